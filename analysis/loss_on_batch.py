"""A saved network's loss on one fixed batch, ready for Hessian products.

The batch is drawn once (seeded, without replacement) from a split of the
network's dataset and held as constants in the graph, so every
Hessian-vector product differentiates the same function.

The sparse spectrum takes as coordinates the surviving kernel weights
(mask 1) and every bias; the dense spectrum takes every kernel entry, pruned
ones included, at the same effective weights.
"""

import numpy as np
import tensorflow.compat.v1 as tf

from lottery_ticket.analysis import hessian_operator
from lottery_ticket.analysis import network_model
from lottery_ticket.foundations.training import session as session_lib

def fixed_batch(dataset, split='train', num_examples=1000, seed=0):
  """(images, labels) of a seeded sample of a split.

  Args:
    dataset: a DatasetBase.
    split: 'train', 'validate' or 'test'.
    num_examples: sample size (the whole split when it is smaller or None).
    seed: seed of the sample.

  Raises:
    ValueError: for an unknown or absent split, or num_examples < 1.
  """
  data = getattr(dataset, split, None) if split in (
      'train', 'validate', 'test') else None
  if data is None:
    raise ValueError('No {!r} split in the dataset (choose train, test{})'.format(
        split, ' or validate' if dataset.validate is not None else ''))
  if num_examples is not None and int(num_examples) < 1:
    raise ValueError('num_examples must be >= 1, got {}'.format(num_examples))
  count = data.num_examples if num_examples is None else min(
      int(num_examples), data.num_examples)
  rows = np.sort(np.random.default_rng(int(seed)).choice(
      data.num_examples, size=count, replace=False))
  return data.images[rows], data.labels[rows]


def coordinate_selections(model, masks, spectrum):
  """Per trainable variable (each layer's kernel, then its bias if it has
  one): None (all entries) or, for the sparse spectrum, the flat indices of
  a kernel's survivors."""
  selections = []
  for layer in model.layer_names:
    selections.append(np.flatnonzero(np.asarray(masks[layer]).ravel())
                      if spectrum == 'sparse' and layer in masks else None)
    if layer in model.biases:
      selections.append(None)
  return selections


class LossOnBatch(session_lib.SessionOwner):
  """A network's mean cross-entropy on a fixed batch, in its own graph.

  Use as a context manager (or call close()) to free the session.
  """

  def __init__(self, network, images, labels, num_classes, spectrum='sparse'):
    """Builds the graph.

    Args:
      network: a network_source.Network.
      images, labels: the fixed batch.
      num_classes: the dataset's number of classes.
      spectrum: 'sparse' or 'dense' (which coordinates the operator spans).

    Raises:
      ValueError: if the saved weights do not fit the network.
    """
    self.graph = tf.Graph()
    with self.graph.as_default():
      inputs = tf.constant(np.asarray(images, np.float32), name='hessian_images')
      targets = tf.constant(np.asarray(labels, np.int32), name='hessian_labels')
      self.model = network_model.build(network, inputs, targets, num_classes,
                                       with_masks=(spectrum == 'sparse'))
      selections = coordinate_selections(self.model, network.masks, spectrum)
      self.session = session_lib.new_session(self.graph)
      self.session.run(tf.global_variables_initializer())
      self.operator = hessian_operator.HessianOperator(
          self.session, self.model.loss, self.model.trainable_variables,
          selections)
      self.accuracy = float(self.session.run(self.model.accuracy))
