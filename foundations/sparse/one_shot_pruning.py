"""Pruning at initialisation, in one shot: SNIP's and GraSP's scores.

The rounds of every method of pruning at initialisation, these two
included, are run by prune_at_init.prune_rounds; they keep the largest
scores with keep_top (per layer or over all layers).

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


def scores(method, model, batch, grasp_variant='evci', grasp_temperature=None):
  """Score tensors of a method name (see METHODS), dict layer -> tensor, on
  a dense model (every mask one).

  Args:
    method: 'snip' (|g * w|) or 'grasp'.
    model: the dense ModelBase.
    batch: a FixedBatch.
    grasp_variant: 'evci' for |w * Hg| or 'wang' for the signed w * Hg.
    grasp_temperature: divides the logits before GraSP's loss (default: the
      variant's, sparse_methods.GRASP_TEMPERATURES).
  """
  choices.check('one-shot pruning method', method, METHODS)
  variant, temperature = check_grasp(grasp_variant, grasp_temperature)
  if method == 'snip':
    temperature = 1.0
  kernels = [model.kernels[n] for n in model.layer_names]
  grads = tf.gradients(batch.loss(model, temperature=temperature), kernels)
  if method == 'grasp':
    inner = tf.add_n([tf.reduce_sum(g * tf.stop_gradient(g)) for g in grads])
    grads = tf.gradients(inner, kernels)  # H g
  scores_by_layer = {n: k.read_value() * g
                     for n, k, g in zip(model.layer_names, kernels, grads)}
  if method == 'snip' or variant == 'evci':
    scores_by_layer = {n: tf.abs(s) for n, s in scores_by_layer.items()}
  return scores_by_layer


def keep_top(scores_by_layer, keep):
  """Masks keeping the largest scores, per layer or over all layers.

  Args:
    scores_by_layer: dict layer -> numpy scores.
    keep: dict layer -> number of weights to keep in that layer; or an int,
      the number to keep in the whole network, all layers ranked together.

  Returns:
    dict layer -> float32 0/1 mask; ties go to the layer first by name, then
    to the lower flat index.
  """
  if isinstance(keep, dict):
    masks = {}
    for name, score in scores_by_layer.items():
      masks.update(keep_top({name: score}, keep[name]))
    return masks
  names = sorted(scores_by_layer)
  flat = np.concatenate([np.asarray(scores_by_layer[n], np.float64).ravel()
                         for n in names])
  chosen = np.zeros(flat.size, np.float32)
  chosen[np.argsort(-flat, kind='stable')[:int(keep)]] = 1.0
  masks, offset = {}, 0
  for name in names:
    shape = np.shape(scores_by_layer[name])
    size = int(np.prod(shape))
    masks[name] = chosen[offset:offset + size].reshape(shape)
    offset += size
  return masks

