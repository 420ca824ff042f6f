"""Masks: which kernel weights of a network are alive.

One `Masks` object is the one place that knows what a mask is: a dict of
layer name -> 0/1 float32 array, one per kernel (biases are never masked).
It checks that on the way in (binary values, finite, names), measures
density and sparsity, checks that it fits a network's kernel shapes, and
loads itself from a directory of .npy files (save_restore).
"""

import collections.abc

import numpy as np

from lottery_ticket.foundations import save_restore

BIAS_SUFFIX = '_bias'
# Names of a batch-norm layer's tensors (model_base.batch_norm): its scale and
# shift are trained, its moving statistics are state; none is ever masked.
BATCH_NORM_SUFFIXES = ('_gamma', '_beta', '_moving_mean', '_moving_variance')
UNMASKED_SUFFIXES = (BIAS_SUFFIX,) + BATCH_NORM_SUFFIXES


def is_unmasked(name):
  """Whether `name` is a tensor that is never masked or pruned: a bias or a
  batch norm's scale, shift or moving statistic."""
  return name.endswith(UNMASKED_SUFFIXES)


class Masks(collections.abc.Mapping):
  """A read-only mapping layer name -> 0/1 float32 array.

  Args:
    layers: dict layer name -> array-like of 0s and 1s (bias and batch-norm
      entries, `<layer>_bias`, `<bn>_gamma` etc., are dropped: they are never
      masked).
    source: where the masks come from, for messages.

  Raises:
    ValueError: naming the layer whose mask holds values other than 0 and 1.
  """

  def __init__(self, layers, source='the masks'):
    self.source = source
    self._layers = {}
    for name in sorted(layers):
      if is_unmasked(name):
        continue
      value = np.asarray(layers[name])
      if value.size and not np.all((value == 0) | (value == 1)):
        raise ValueError('mask {!r} from {} holds values other than 0 and '
                         '1'.format(name, source))
      self._layers[name] = value.astype(np.float32)

  @classmethod
  def load(cls, directory):
    """The masks saved in `directory` (one .npy per layer)."""
    return cls(save_restore.restore_network(directory), source=directory)

  def __getitem__(self, name):
    return self._layers[name]

  def __iter__(self):
    return iter(self._layers)

  def __len__(self):
    return len(self._layers)

  def alive(self):
    """Weights kept, over all layers."""
    return int(sum(np.count_nonzero(v) for v in self._layers.values()))

  def size(self):
    """Weights masked, over all layers."""
    return int(sum(v.size for v in self._layers.values()))

  def density(self):
    """Fraction of weights kept, over all layers (1.0 for no weights)."""
    total = self.size()
    return self.alive() / total if total else 1.0

  def sparsity(self):
    return 1.0 - self.density()

  def layer_density(self):
    """dict layer -> fraction of its weights kept."""
    return {name: float(np.count_nonzero(v)) / v.size if v.size else 1.0
            for name, v in self._layers.items()}

  def check_fits(self, shapes, what='the mask'):
    """Raises ValueError unless the masks have exactly the layers of `shapes`.

    Args:
      shapes: dict layer name -> kernel shape of the network.
      what: what the masks are, for the message.
    """
    if set(self._layers) != set(shapes):
      raise ValueError('{} from {} is from a different network: it has {}; '
                       'this network has {}'.format(
                           what, self.source, ', '.join(sorted(self._layers)),
                           ', '.join(sorted(shapes))))
    for name in sorted(shapes):
      if list(self._layers[name].shape) != list(shapes[name]):
        raise ValueError('{} from {} is from a different network: {} is {}, '
                         'here it is {}'.format(
                             what, self.source, name,
                             list(self._layers[name].shape),
                             list(shapes[name])))
    return self
