"""What a sparse run measures as it trains, as tensors for the trainer.

At every test point the trainer evaluates `GradientFlow.tensors()` (its
`extra_metrics`) and records them under the split 'extra':

  learning_rate                 the optimizer's rate at the current step
  sparsity/<layer>, sparsity    fraction of each kernel (and all kernels) pruned
  grad_norm/<param>, grad_norm  norm of the gradient of the loss on a fixed
                                batch (no weight decay; kernel gradients
                                masked), per kernel or bias and overall
  dist_init_l2/<param>, dist_init_l2          ||w - w0|| per tensor and overall
  dist_init_cosine/<param>, dist_init_cosine  1 - cos(w, w0)
  momentum_norm                 norm of the optimizer's momentum (or Adam's
                                first moment) over all parameters, if any

`MaskImages` writes every mask as a TensorBoard image at the same points.
"""

import os

import numpy as np
import tensorflow.compat.v1 as tf

from lottery_ticket.foundations.training import fixed_batch as fixed_batch_lib
from lottery_ticket.foundations.training import graph_data
from lottery_ticket.foundations.sparse import mask_updates

MOMENTUM_SLOTS = ('momentum', 'm')
# The least denominator of a cosine (1 - cos is 1 when either is all zeros).
_EPSILON = 1e-12


class GradientFlow(object):
  """The measurements of a run, given its model and fixed batch."""

  def __init__(self, model, batch, initial_weights, learning_rate_fn=None,
               optimizer=None):
    """Creates the local variables that hold the initial weights.

    Args:
      model: a ModelBase.
      batch: the FixedBatch the gradient is measured on.
      initial_weights: dict parameter name -> initial (effective) value,
        for every kernel and bias of the model.
      learning_rate_fn: optional callable(step tensor) -> rate.
      optimizer: optional optimizer whose momentum slots are measured.
    """
    self._model = model
    self._batch = batch
    self._learning_rate_fn = learning_rate_fn
    self._optimizer = optimizer
    names, _ = fixed_batch_lib.parameter_variables(model)
    missing = sorted(set(names) - set(initial_weights))
    if missing:
      raise ValueError('initial weights lack {}'.format(', '.join(missing)))
    self._arrays = graph_data.ArrayVariables()
    with tf.name_scope('initial_weights'):
      self._initial = {
          name: self._arrays.add(
              name, np.asarray(initial_weights[name], np.float32))
          for name in names}

  def initialize(self, sess):
    """Loads the initial weights and the fixed batch into the session."""
    self._arrays.initialize(sess)
    self._batch.initialize(sess)

  def tensors(self):
    """dict metric name -> scalar tensor (see the module docstring)."""
    model = self._model
    out = {}
    if self._learning_rate_fn is not None:
      step = tf.train.get_or_create_global_step().read_value()
      out['learning_rate'] = self._learning_rate_fn(step)
    masks = model.masks
    pruned = []
    for name in model.layer_names:
      out['sparsity/' + name] = 1.0 - tf.reduce_mean(masks[name])
      pruned.append(tf.reduce_sum(1.0 - masks[name]))
    total = float(sum(int(np.prod(masks[n].shape)) for n in masks))
    out['sparsity'] = tf.add_n(pruned) / total

    grads = fixed_batch_lib.trainable_gradients(model, self._batch)
    for name, grad in grads.items():
      out['grad_norm/' + name] = tf.norm(grad)
    out['grad_norm'] = fixed_batch_lib.global_norm(list(grads.values()))

    current = model.parameters()
    # (now, start) flat, per tensor ('/name') and over all of them ('').
    pairs = {'/' + name: (tf.reshape(current[name], [-1]),
                          tf.reshape(start.read_value(), [-1]))
             for name, start in self._initial.items()}
    pairs[''] = tuple(tf.concat(list(flat), 0) for flat in zip(*pairs.values()))
    for suffix, (now, start) in pairs.items():
      out['dist_init_l2' + suffix] = tf.norm(now - start)
      norms = tf.maximum(tf.norm(now) * tf.norm(start), _EPSILON)
      out['dist_init_cosine' + suffix] = (
          1.0 - tf.reduce_sum(now * start) / norms)

    _, variables = fixed_batch_lib.parameter_variables(model)
    momenta = [slot.read_value() for variable in variables
               for name, slot in mask_updates.optimizer_slots(
                   self._optimizer, variable) if name in MOMENTUM_SLOTS]
    if momenta:
      out['momentum_norm'] = fixed_batch_lib.global_norm(momenta)
    return out


def mask_image(mask):
  """A mask as a [1, rows, columns, 1] image (conv kernels: kh*kw*in x out)."""
  shape = mask.shape.as_list()
  rows = int(np.prod(shape[:-1])) if len(shape) > 1 else 1
  return tf.reshape(tf.cast(mask, tf.float32), [1, rows, shape[-1], 1])


class MaskImages(object):
  """Writes the masks as TensorBoard images to `directory`."""

  def __init__(self, model, directory):
    self._directory = directory
    self._writer = None
    self._summary = tf.summary.merge([
        tf.summary.image('masks/' + name, mask_image(model.masks[name]),
                         max_outputs=1, collections=[])
        for name in model.layer_names])

  def write(self, sess, iteration):
    if not self._directory:
      return
    if self._writer is None:
      os.makedirs(self._directory, exist_ok=True)
      self._writer = tf.summary.FileWriter(self._directory)
    self._writer.add_summary(sess.run(self._summary), int(iteration))
    self._writer.flush()

  def close(self):
    if self._writer is not None:
      self._writer.close()
      self._writer = None
