"""A dataset copied into the graph once, so batches never cross from Python.

The splits become local (never checkpointed) variables initialised from
placeholders; a training batch is a gather of rows chosen by an index tensor,
and evaluation reads a whole split (in chunks when it is large).
"""

import tensorflow.compat.v1 as tf

SPLITS = ('train', 'validate', 'test')


class ArrayVariables(object):
  """Numpy arrays as local variables, filled from placeholders once.

  Feeding the values at initialisation keeps the arrays out of the GraphDef
  (and so out of every checkpoint's meta graph); local variables are never
  checkpointed. A dataset's arrays come aligned (dataset_base.aligned), so
  each variable holds its array rather than a second copy of it.
  """

  def __init__(self):
    self._feeds = {}

  def add(self, name, array):
    """A local variable that will hold `array`."""
    placeholder = tf.placeholder(array.dtype, array.shape, name=name + '_value')
    variable = tf.Variable(placeholder, trainable=False, name=name,
                           collections=[tf.GraphKeys.LOCAL_VARIABLES],
                           use_resource=True)
    self._feeds[variable.initializer] = (placeholder, array)
    return variable

  def initialize(self, sess):
    """Copies every array into its variable."""
    for initializer, (placeholder, array) in self._feeds.items():
      sess.run(initializer, {placeholder: array})


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
    self._arrays = ArrayVariables()
    with tf.name_scope('data'):
      for name in SPLITS:
        split = getattr(dataset, name, None)
        if split is None:
          continue
        images = self._arrays.add(name + '_images', split.images)
        labels = self._arrays.add(name + '_labels', split.labels)
        self.splits[name] = (images, labels, split.num_examples)

  def initialize(self, sess):
    """Copies the arrays into the graph (once per session)."""
    self._arrays.initialize(sess)

  def train_batch(self, indices):
    """Images and labels of the training rows `indices`.

    Gathered from the variables' values: a gather from the variable itself
    would first copy the array it shares with numpy.
    """
    images, labels, _ = self.splits['train']
    return (tf.gather(images.read_value(), indices),
            tf.gather(labels.read_value(), indices))
