"""Dense initialisation schemes by name, and small tensor helpers.

The sparsity-aware schemes (unit-scaled, layer-scaled, MetaInit) live with
the sparse-training code; these are the usual dense ones. The table is
read without TensorFlow (the configuration's choices); TensorFlow is
imported by the functions that build ops.
"""

from lottery_ticket.foundations import choices

# name -> (scale, mode, distribution) of a variance-scaling initializer.
_SCHEMES = {
    'glorot_normal': (1.0, 'fan_avg', 'truncated_normal'),
    'glorot_uniform': (1.0, 'fan_avg', 'uniform'),
    'he_normal': (2.0, 'fan_in', 'truncated_normal'),
    'he_uniform': (2.0, 'fan_in', 'uniform'),
    # PyTorch's kaiming_normal_ (fan_in, relu gain): an untruncated normal of
    # variance 2 / fan_in, the CIFAR nets' default as in OpenLTH
    # (models/initializers.py).
    'kaiming_normal': (2.0, 'fan_in', 'untruncated_normal'),
    'lecun_normal': (1.0, 'fan_in', 'truncated_normal'),
    'lecun_uniform': (1.0, 'fan_in', 'uniform'),
}

NAMES = tuple(sorted(_SCHEMES))


def scheme(name):
  """(scale, mode, distribution) of a scheme by name.

  Raises:
    ValueError: for an unknown name.
  """
  return _SCHEMES[choices.check('initializer', name, NAMES)]


def kernel_initializer(name, seed=None):
  """A kernel initializer by name.

  Args:
    name: one of NAMES (e.g. 'glorot_normal', the lottery ticket default), or
      an initializer object, which is returned as it is.
    seed: optional integer seed.

  Raises:
    ValueError: for an unknown name.
  """
  import tensorflow.compat.v1 as tf  # pylint: disable=g-import-not-at-top
  if not isinstance(name, str):
    return name
  scale, mode, distribution = scheme(name)
  return tf.variance_scaling_initializer(scale=scale, mode=mode,
                                         distribution=distribution, seed=seed)


def layer_seed(seed, index):
  """The seed of layer `index` of a network seeded with `seed` (or None)."""
  return None if seed is None else int(seed) * 1000 + int(index)
