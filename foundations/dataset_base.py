"""A dataset as numpy arrays: train / test / optional validation splits.

The trainer copies the arrays into graph variables once and draws every
minibatch inside the graph, so a dataset's job is only to hold the splits and
to say, for any training step, which training examples form its batch. The
order is a pure function of `train_order_seed` and the step, which is what
makes a resumed run see exactly the batches an uninterrupted run would.
"""

import numpy as np

# TensorFlow takes a fed array without copying it when its address is a
# multiple of this many bytes (its allocator's alignment): a variable
# initialised from it then holds the array itself, not a copy.
ALIGNMENT = 64


def aligned(array):
  """`array` if it is C-contiguous at an address TensorFlow takes without a
  copy (ALIGNMENT), else such a copy of it."""
  array = np.asarray(array)
  if array.flags.c_contiguous and array.ctypes.data % ALIGNMENT == 0:
    return array
  buffer = np.empty(array.nbytes + ALIGNMENT, np.uint8)
  start = -buffer.ctypes.data % ALIGNMENT
  out = buffer[start:start + array.nbytes].view(array.dtype)
  out = out.reshape(array.shape)
  out[...] = array
  return out


class DatasetSplit(object):
  """One split: images (float32, N x ...) and integer labels (N,)."""

  def __init__(self, images, labels):
    images = np.asarray(images, dtype=np.float32)
    labels = np.asarray(labels).astype(np.int32)
    if images.shape[0] != labels.shape[0]:
      raise ValueError('images and labels disagree on the number of examples: '
                       '{} vs {}'.format(images.shape[0], labels.shape[0]))
    # Aligned once here, so the graph's variables hold these very arrays
    # (graph_data) and a process keeps one copy of its data.
    self.images = aligned(images)
    self.labels = aligned(labels)

  @property
  def num_examples(self):
    return self.images.shape[0]


class DatasetBase(object):
  """Train, test and (optionally) validation splits with a seeded order.

  Attributes:
    train, test: DatasetSplit.
    validate: DatasetSplit or None.
    num_classes: number of label classes.
    input_shape: shape of one example (without the batch dimension).
    train_order_seed: the integer seed of the training order.
  """

  def __init__(self, train_images, train_labels, test_images, test_labels,
               validate_size=0, train_order_seed=None, num_classes=None,
               permute_labels=False):
    """Builds the splits.

    Args:
      train_images, train_labels: the full training set.
      test_images, test_labels: the test set.
      validate_size: how many examples to hold out of the end of the training
        set as a validation split (0: no validation split).
      train_order_seed: integer seed of the training order; None draws one,
        so the order is then fixed for this object but not reproducible.
      num_classes: number of classes (default: 1 + the largest label).
      permute_labels: shuffle the training (and validation) labels across
        examples with a seeded permutation, breaking the image-label relation
        (the random-label control). Test labels stay true.

    Raises:
      ValueError: if validate_size leaves no training examples.
    """
    train = DatasetSplit(train_images, train_labels)
    validate_size = int(validate_size or 0)
    if validate_size < 0 or validate_size >= train.num_examples:
      raise ValueError('validate_size={} must be in [0, {}) for a training set '
                       'of {} examples'.format(validate_size, train.num_examples,
                                               train.num_examples))
    if train_order_seed is None:
      train_order_seed = int(np.random.SeedSequence().entropy % (2**31))
    self.train_order_seed = int(train_order_seed)

    labels = train.labels
    if permute_labels:
      rng = np.random.default_rng([self.train_order_seed, 1])
      labels = labels[rng.permutation(labels.shape[0])]

    cut = train.num_examples - validate_size
    self.train = DatasetSplit(train.images[:cut], labels[:cut])
    self.validate = (DatasetSplit(train.images[cut:], labels[cut:])
                     if validate_size else None)
    self.test = DatasetSplit(test_images, test_labels)
    if self.train.images.shape[1:] != self.test.images.shape[1:]:
      raise ValueError('train and test examples differ in shape: {} vs {}'.format(
          self.train.images.shape[1:], self.test.images.shape[1:]))
    self.num_classes = int(num_classes or 1 + max(self.train.labels.max(),
                                                  self.test.labels.max()))
    self.input_shape = tuple(self.train.images.shape[1:])

  def steps_per_epoch(self, batch_size):
    """Whole batches per pass over the training split (the tail is dropped)."""
    return max(1, self.train.num_examples // batch_size)

  def train_order(self, start_step, num_steps, batch_size):
    """Indices into the training split for steps [start_step, start_step+num_steps).

    Each epoch is a fresh seeded permutation of the training split, cut into
    whole batches.

    Returns:
      int32 array of shape [num_steps, batch_size].
    """
    if batch_size > self.train.num_examples:
      raise ValueError('batch_size={} exceeds the {} training examples'.format(
          batch_size, self.train.num_examples))
    per_epoch = self.steps_per_epoch(batch_size)
    out = np.empty((num_steps, batch_size), dtype=np.int32)
    row = 0
    while row < num_steps:  # the steps of one epoch at a time
      epoch, within = divmod(start_step + row, per_epoch)
      steps = min(num_steps - row, per_epoch - within)
      rng = np.random.default_rng([self.train_order_seed, 0, epoch])
      rows = rng.permutation(self.train.num_examples)[
          within * batch_size:(within + steps) * batch_size]
      out[row:row + steps] = rows.reshape(steps, batch_size)
      row += steps
    return out

  def placeholders(self):
    """Placeholders for a batch of inputs and integer labels."""
    import tensorflow.compat.v1 as tf  # pylint: disable=g-import-not-at-top
    inputs = tf.placeholder(tf.float32, (None,) + self.input_shape, name='input')
    labels = tf.placeholder(tf.int32, (None,), name='label')
    return inputs, labels
