"""Pruning at initialisation, in one shot: SNIP and GraSP.

Both score every weight of a dense, untrained network on a batch of data and
keep, in each layer, the weights with the largest scores (the per-layer
counts come from a sparsity distribution):

  SNIP  (Lee et al. 2019)   |g * w|: how much the loss would change if the
                            weight were removed (connection sensitivity).
  GraSP (Wang et al. 2020)  w * (H g): removing weight w changes the gradient
                            norm g^T g by about -2 w (H g) to first order, so
                            keeping the largest w * Hg preserves gradient
                            flow best (GraSP removes the largest -w * Hg).

g is the gradient of the loss and H its Hessian w.r.t. the weights; H g is
computed exactly as the gradient of g . stop_gradient(g).
"""

import numpy as np
import tensorflow.compat.v1 as tf
from lottery_ticket.foundations import choices

METHODS = ('snip', 'grasp')


def _kernel_gradients(model, batch):
  kernels = [model.kernels[n] for n in model.layer_names]
  return kernels, tf.gradients(batch.loss(model), kernels)


def snip_scores(model, batch):
  """dict layer -> |g * w| tensor, on a dense model (every mask one)."""
  kernels, grads = _kernel_gradients(model, batch)
  return {n: tf.abs(g * k.read_value())
          for n, k, g in zip(model.layer_names, kernels, grads)}


def grasp_scores(model, batch):
  """dict layer -> w * (H g) tensor, on a dense model (every mask one)."""
  kernels, grads = _kernel_gradients(model, batch)
  inner = tf.add_n([tf.reduce_sum(g * tf.stop_gradient(g)) for g in grads])
  hessian_grads = tf.gradients(inner, kernels)
  return {n: k.read_value() * hg
          for n, k, hg in zip(model.layer_names, kernels, hessian_grads)}


def scores(method, model, batch):
  """Score tensors of a method name (see METHODS)."""
  if method == 'snip':
    return snip_scores(model, batch)
  if method == 'grasp':
    return grasp_scores(model, batch)
  choices.check('one-shot pruning method', method, METHODS)


def keep_top(scores_by_layer, counts):
  """Masks keeping, per layer, the `counts[layer]` largest scores.

  Args:
    scores_by_layer: dict layer -> numpy scores.
    counts: dict layer -> number of weights to keep.

  Returns:
    dict layer -> float32 0/1 mask; ties go to the lower flat index.
  """
  masks = {}
  for name, score in scores_by_layer.items():
    score = np.asarray(score)
    flat = np.zeros(score.size, np.float32)
    order = np.argsort(-score.ravel(), kind='stable')
    flat[order[:int(counts[name])]] = 1.0
    masks[name] = flat.reshape(score.shape)
  return masks


def prune(sess, method, model, batch, counts):
  """One-shot masks for a dense model already initialised in `sess`.

  Args:
    sess: the session holding the model's variables (and the batch's).
    method: 'snip' or 'grasp'.
    model: a ModelBase whose masks are all one.
    batch: an initialised FixedBatch.
    counts: dict layer -> number of weights to keep.

  Returns:
    dict layer -> mask.

  Raises:
    ValueError: if the model is already sparse.
  """
  masks = model.get_current_masks(sess)
  if any(not np.all(m == 1) for m in masks.values()):
    raise ValueError('{} prunes a dense network; this one has masks'.format(
        method))
  with sess.graph.as_default():
    tensors = scores(method, model, batch)
  return keep_top(sess.run(tensors), counts)
