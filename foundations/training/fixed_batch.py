"""A fixed batch of examples held in the graph, and gradients on it.

Gradient-flow measurements and RigL's growth criterion look at the gradient
on the same examples every time, so that changes come from the network and
not from the batch. The batch lives in local (never checkpointed) variables
filled once per session from numpy, which keeps the arrays out of the
GraphDef and therefore out of every checkpoint's meta graph.
"""

import numpy as np
import tensorflow.compat.v1 as tf

from lottery_ticket.foundations.training import graph_data
from lottery_ticket.foundations import model_base
from lottery_ticket.foundations.models import packed_model


class FixedBatch(object):
  """Images and labels in local variables.

  Attributes:
    size: number of examples.
  """

  def __init__(self, images, labels, name='fixed_batch'):
    images = np.asarray(images, np.float32)
    labels = np.asarray(labels, np.int32)
    if images.shape[0] != labels.shape[0] or not images.shape[0]:
      raise ValueError('a fixed batch needs as many labels as images (and at '
                       'least one), got {} and {}'.format(images.shape[0],
                                                          labels.shape[0]))
    self.size = int(images.shape[0])
    self._arrays = graph_data.ArrayVariables()
    with tf.name_scope(name):
      self._images = self._arrays.add('images', images)
      self._labels = self._arrays.add('labels', labels)

  def initialize(self, sess):
    """Copies the arrays into the graph (once per session)."""
    self._arrays.initialize(sess)

  def loss(self, model, batch_statistics=False, temperature=1.0):
    """The model's mean loss on the batch, read afresh where it is built.

    Args:
      model: a ModelBase (or anything with its apply and loss_fn).
      batch_statistics: batch norms normalise by this batch's own statistics
        (training mode) and their moving statistics are left as they are;
        otherwise the model is evaluated (the moving statistics normalise).
      temperature: the logits are divided by it before the loss (GraSP's).
    """
    images = self._images.read_value()
    logits = (model.apply(images, training=True, update_statistics=False)
              if batch_statistics else model.apply(images))
    if temperature != 1.0:
      logits = logits / temperature
    return model.loss_fn(self._labels.read_value(), logits)


def draw(dataset, count, seed, skip=0):
  """A seeded sample of training examples (without replacement).

  Args:
    dataset: a DatasetBase.
    count: the number of examples wanted (at most the training split).
    seed: integer seed of the permutation.
    skip: how many examples of the permutation to pass over first, so two
      draws with the same seed and skip=0 / skip=count are disjoint.

  Returns:
    (images, labels) numpy arrays.
  """
  size = dataset.train.num_examples
  order = np.random.default_rng([int(seed), 7]).permutation(size)
  start = min(int(skip), max(0, size - int(count)))
  rows = order[start:start + int(count)]
  return dataset.train.images[rows], dataset.train.labels[rows]


def trainable_gradients(model, batch):
  """Gradients of the batch loss (no weight decay) w.r.t. trainable variables.

  The kernel gradients are masked: a layer computes with kernel * mask, so
  d loss / d kernel = (d loss / d weight) * mask, exactly zero where pruned.

  Returns:
    dict parameter name (layer, or `<layer>_bias`) -> gradient tensor.
  """
  names, variables = parameter_variables(model)
  grads = packed_model.gradients(batch.loss(model), variables)
  return {n: (g if g is not None else tf.zeros_like(v))
          for n, g, v in zip(names, grads, variables)}


def parameter_variables(model):
  """(names, variables) of the trainable kernels and biases, in layer order."""
  names, variables = [], []
  kernels, biases = model.kernels, model.biases
  for layer in model.layer_names:
    names.append(layer)
    variables.append(kernels[layer])
    if layer in biases:
      names.append(model_base.bias_name(layer))
      variables.append(biases[layer])
  return names, variables


def global_norm(tensors):
  """sqrt of the sum of squares of every entry of a list of tensors."""
  return tf.sqrt(tf.add_n([tf.reduce_sum(tf.square(t)) for t in tensors]))
