"""A dataset copied into the graph once, so batches never cross from Python.

The splits become local (never checkpointed) variables initialised from
placeholders; a training batch is a gather of rows chosen by an index tensor,
and evaluation reads a whole split (in chunks when it is large).
"""

import tensorflow.compat.v1 as tf

SPLITS = ('train', 'validate', 'test')


class GraphData(object):
  """The splits of a DatasetBase as graph variables.

  Attributes:
    dataset: the DatasetBase.
    splits: dict split name -> (images variable, labels variable, size) for
      the splits the dataset has.
  """

  def __init__(self, dataset):
    self.dataset = dataset
    self.splits = {}
    self._feeds = {}
    with tf.name_scope('data'):
      for name in SPLITS:
        split = getattr(dataset, name, None)
        if split is None:
          continue
        images = self._variable(name + '_images', split.images)
        labels = self._variable(name + '_labels', split.labels)
        self.splits[name] = (images, labels, split.num_examples)

  def _variable(self, name, array):
    placeholder = tf.placeholder(array.dtype, array.shape, name=name + '_value')
    variable = tf.Variable(placeholder, trainable=False, name=name,
                           collections=[tf.GraphKeys.LOCAL_VARIABLES],
                           use_resource=True)
    self._feeds[variable.initializer] = (placeholder, array)
    return variable

  def initialize(self, sess):
    """Copies the arrays into the graph (once per session)."""
    for initializer, (placeholder, array) in self._feeds.items():
      sess.run(initializer, {placeholder: array})

  def train_batch(self, indices):
    """Images and labels of the training rows `indices`."""
    images, labels, _ = self.splits['train']
    return tf.gather(images, indices), tf.gather(labels, indices)

  def has(self, name):
    return name in self.splits
