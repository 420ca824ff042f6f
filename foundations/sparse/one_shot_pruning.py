"""Pruning at initialisation, in one shot: SNIP and GraSP.

Both score every weight of a dense, untrained network on a batch of data and
keep the weights with the largest scores:

  SNIP  (Lee et al. 2019)   |g * w|: how much the loss would change if the
                            weight were removed (connection sensitivity).
  GraSP                     built on w * (H g): removing weight w changes the
                            gradient norm g^T g by about -2 w (H g) to first
                            order. Two conventions (`grasp_variant`):
    'evci' (default)        |w * Hg| at temperature 1. This is what the
                            gradient-flow paper ran: RigLGrasp in
                            google-research/rigl rigl_tf2/mask_updaters.py,
                            whose comment notes that the signed score gave
                            bad results.
    'wang'                  Wang et al. (2020): the signed w * Hg, the logits
                            divided by a temperature (200 in their code) before
                            the loss (GraSP removes the largest -w * Hg, i.e.
                            keeps the largest w * Hg).

Where the weights are kept (`scope`): 'layer' keeps each layer's count of
the sparsity distribution, as the gradient-flow paper's code does for both
methods (its default here for SNIP and GraSP 'evci'); 'global' ranks all
layers together and keeps the distribution's total, as Wang et al.'s GraSP
and the references of prune_at_init's methods do (Frankle et al. 2021
compare every method so, which the `pai` recipe follows).

g is the gradient of the data loss and H its Hessian w.r.t. the kernels; H g
is computed exactly as the gradient of g . stop_gradient(g). Biases are never
scored or pruned.
"""

import numpy as np
import tensorflow.compat.v1 as tf
from lottery_ticket.foundations import choices
from lottery_ticket.foundations.sparse import sparse_methods

METHODS = ('snip', 'grasp')


class _Tempered(object):
  """A model seen through logits divided by a temperature (for FixedBatch)."""

  def __init__(self, model, temperature):
    self._model = model
    self._temperature = float(temperature)
    self.loss_fn = model.loss_fn

  def apply(self, inputs):
    return self._model.apply(inputs) / self._temperature


def check_grasp(variant, temperature=None):
  """Returns (variant, temperature) with the variant's default temperature.

  Raises:
    ValueError: for an unknown variant or a temperature that is not > 0.
  """
  choices.check('GraSP variant', variant, sparse_methods.GRASP_VARIANTS)
  if temperature is None:
    return variant, sparse_methods.GRASP_TEMPERATURES[variant]
  value = float(temperature)
  if not np.isfinite(value) or value <= 0:
    raise ValueError('the GraSP temperature must be a finite number > 0, got '
                     '{!r}'.format(temperature))
  return variant, value


def _kernel_gradients(model, batch, temperature=1.0):
  kernels = [model.kernels[n] for n in model.layer_names]
  target = model if temperature == 1.0 else _Tempered(model, temperature)
  return kernels, tf.gradients(batch.loss(target), kernels)


def snip_scores(model, batch):
  """dict layer -> |g * w| tensor, on a dense model (every mask one)."""
  kernels, grads = _kernel_gradients(model, batch)
  return {n: tf.abs(g * k.read_value())
          for n, k, g in zip(model.layer_names, kernels, grads)}


def grasp_scores(model, batch, variant='evci', temperature=None):
  """dict layer -> GraSP score tensor, on a dense model (every mask one).

  Args:
    model: the dense ModelBase.
    batch: a FixedBatch.
    variant: 'evci' for |w * Hg| or 'wang' for the signed w * Hg.
    temperature: divides the logits before the loss (default: the
      variant's, sparse_methods.GRASP_TEMPERATURES).
  """
  variant, temperature = check_grasp(variant, temperature)
  kernels, grads = _kernel_gradients(model, batch, temperature)
  inner = tf.add_n([tf.reduce_sum(g * tf.stop_gradient(g)) for g in grads])
  hessian_grads = tf.gradients(inner, kernels)
  scores = {n: k.read_value() * hg
            for n, k, hg in zip(model.layer_names, kernels, hessian_grads)}
  if variant == 'evci':
    scores = {n: tf.abs(s) for n, s in scores.items()}
  return scores


def scores(method, model, batch, grasp_variant='evci', grasp_temperature=None):
  """Score tensors of a method name (see METHODS)."""
  choices.check('one-shot pruning method', method, METHODS)
  if method == 'snip':
    return snip_scores(model, batch)
  return grasp_scores(model, batch, grasp_variant, grasp_temperature)


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


def keep_top_global(scores_by_layer, total):
  """Masks keeping the `total` largest scores over all layers together.

  Args:
    scores_by_layer: dict layer -> numpy scores.
    total: number of weights to keep in the whole network.

  Returns:
    dict layer -> float32 0/1 mask; ties go to the layer first by name, then
    to the lower flat index.
  """
  names = sorted(scores_by_layer)
  flat = np.concatenate([np.asarray(scores_by_layer[n], np.float64).ravel()
                         for n in names])
  chosen = np.zeros(flat.size, np.float32)
  chosen[np.argsort(-flat, kind='stable')[:int(total)]] = 1.0
  masks, offset = {}, 0
  for name in names:
    shape = np.shape(scores_by_layer[name])
    size = int(np.prod(shape))
    masks[name] = chosen[offset:offset + size].reshape(shape)
    offset += size
  return masks


def keep_in_scope(scores_by_layer, counts, scope):
  """Masks keeping the largest scores per layer or over all layers.

  Args:
    scores_by_layer: dict layer -> numpy scores.
    counts: dict layer -> number of weights to keep.
    scope: 'layer' (each layer its count, keep_top) or 'global' (the sum
      of the counts over all layers, keep_top_global).

  Returns:
    dict layer -> float32 0/1 mask.
  """
  if choices.check('pruning scope', scope,
                   sparse_methods.PRUNE_SCOPES) == 'global':
    return keep_top_global(scores_by_layer,
                           sum(int(c) for c in counts.values()))
  return keep_top(scores_by_layer, counts)


def prune(sess, method, model, batch, counts, scope, grasp_variant='evci',
          grasp_temperature=None, invert=False):
  """One-shot masks for a dense model already initialised in `sess`.

  Args:
    sess: the session holding the model's variables (and the batch's).
    method: 'snip' or 'grasp'.
    model: a ModelBase whose masks are all one.
    batch: an initialised FixedBatch.
    counts: dict layer -> number of weights to keep.
    scope: 'layer' or 'global' (see the module docstring).
    grasp_variant: 'evci' (the gradient-flow paper's code) or 'wang' (the
      GraSP paper's); see the module docstring.
    grasp_temperature: GraSP's logit temperature (default: the variant's).
    invert: keep the lowest scores instead (the inversion ablation of
      Frankle et al. 2021).

  Returns:
    dict layer -> mask.

  Raises:
    ValueError: if the model is already sparse, or for a bad scope or GraSP
      setting.
  """
  choices.check('pruning scope', scope, sparse_methods.PRUNE_SCOPES)
  grasp_variant, grasp_temperature = check_grasp(grasp_variant,
                                                 grasp_temperature)
  check_dense(sess, model, method)
  with sess.graph.as_default():
    tensors = scores(method, model, batch, grasp_variant, grasp_temperature)
  values = sess.run(tensors)
  if invert:
    values = {n: -v for n, v in values.items()}
  return keep_in_scope(values, counts, scope)


def check_dense(sess, model, method):
  """Refuses a model that has masks already: `method` prunes a dense one.

  Raises:
    ValueError: naming the method.
  """
  masks = model.get_current_masks(sess)
  if any(not np.all(m == 1) for m in masks.values()):
    raise ValueError('{} prunes a dense network; this one has masks'.format(
        method))
