"""SNIP and GraSP keep the weights their criteria rank highest."""

import numpy as np
import pytest
import tensorflow.compat.v1 as tf

from lottery_ticket.foundations.training import fixed_batch
from lottery_ticket.foundations.sparse import prune_at_init

import sparse_testlib

COUNTS = {'layer0': 150, 'layer1': 30}


def _prune(method, scope='layer', **options):
  return sparse_testlib.on_tiny_model(
      lambda sess, model, batch: prune_at_init.prune(
          sess, method, model, batch, COUNTS, scope=scope, **options), 400)


def _np_weight_times_hessian_gradient(weights, images, labels, temperature):
  """w * (H g) per kernel, in float64 numpy, H g by central differences.

  Like both GraSP implementations, over the kernels (the prunable weights)
  only: the weights move along g, the kernel gradient, and biases stay.
  """
  _, grads = sparse_testlib.np_loss_and_grads(weights, images, labels,
                                              temperature)
  step = 1e-4 / np.sqrt(sum(np.sum(grads[n] ** 2) for n in COUNTS))
  moved = [{n: weights[n] + sign * step * grads[n] if n in COUNTS
            else weights[n] for n in weights} for sign in (1, -1)]
  plus = sparse_testlib.np_loss_and_grads(moved[0], images, labels,
                                          temperature)[1]
  minus = sparse_testlib.np_loss_and_grads(moved[1], images, labels,
                                           temperature)[1]
  return {n: weights[n] * (plus[n] - minus[n]) / (2 * step) for n in COUNTS}


def test_snip_keeps_the_largest_gradient_times_weight():
  masks, weights, images, labels = _prune('snip')
  _, grads = sparse_testlib.np_loss_and_grads(weights, images, labels)
  for name, count in COUNTS.items():
    sparse_testlib.assert_top_set(masks[name],
                                  np.abs(grads[name] * weights[name]), count)


def test_grasp_by_default_keeps_the_largest_absolute_score_per_layer():
  # The gradient-flow paper's RigLGrasp: |w * Hg|, layer by layer.
  masks, weights, images, labels = _prune('grasp')
  scores = _np_weight_times_hessian_gradient(weights, images, labels, 1.0)
  for name, count in COUNTS.items():
    sparse_testlib.assert_top_set(masks[name], np.abs(scores[name]), count,
                                  rtol=1e-3)


def test_grasp_wang_keeps_the_largest_signed_score_over_all_layers():
  # Wang et al.: logits / 200, the signed w * Hg, one global ranking.
  masks, weights, images, labels = _prune('grasp', 'global',
                                          grasp_variant='wang')
  scores = _np_weight_times_hessian_gradient(weights, images, labels, 200.0)
  names = sorted(COUNTS)
  chosen = np.concatenate([masks[n].ravel() for n in names])
  flat = np.concatenate([scores[n].ravel() for n in names])
  sparse_testlib.assert_top_set(chosen, flat, sum(COUNTS.values()), rtol=1e-3)
  # One ranking: the per-layer counts are not kept.
  assert [int(masks[n].sum()) for n in names] != [COUNTS[n] for n in names]


@pytest.mark.slow
@pytest.mark.parametrize('method', ['snip', 'grasp'])
def test_global_scope_keeps_everything_above_one_threshold(method):
  # --prune_scope=global: one threshold over every layer's scores (SNIP's
  # |g * w|, GraSP evci's |w * Hg|), keeping the total of the counts.
  masks, weights, images, labels = _prune(method, 'global')
  if method == 'snip':
    _, grads = sparse_testlib.np_loss_and_grads(weights, images, labels)
    scores = {n: np.abs(grads[n] * weights[n]) for n in COUNTS}
  else:
    scores = {n: np.abs(s) for n, s in _np_weight_times_hessian_gradient(
        weights, images, labels, 1.0).items()}
  names = sorted(COUNTS)
  flat = np.concatenate([scores[n].ravel() for n in names])
  total = sum(COUNTS.values())
  threshold = np.sort(flat)[::-1][total - 1]
  chosen = np.concatenate([masks[n].ravel() for n in names]) > 0
  assert chosen.sum() == total
  # Kept: at or above the threshold; left: at or below it (float32 scores
  # against float64 ones, up to a relative 1e-3 of the largest).
  slack = 1e-3 * flat.max()
  assert flat[chosen].min() >= threshold - slack
  assert flat[~chosen].max() <= threshold + slack
  # Not the per-layer counts: the layers' shares follow their scores.
  assert [int(masks[n].sum()) for n in names] != [COUNTS[n] for n in names]
  # Inverted, the lowest scores over all layers.
  inverted, _, _, _ = _prune(method, 'global', invert=True)
  low = np.concatenate([inverted[n].ravel() for n in names]) > 0
  sparse_testlib.assert_top_set(low, -flat, total, rtol=1e-3)


@pytest.mark.slow
def test_grasp_temperature_and_sign_change_the_mask():
  evci, weights, images, labels = _prune('grasp')
  signed, _, _, _ = _prune('grasp', 'global', grasp_variant='wang',
                           grasp_temperature=1.0)
  scores = _np_weight_times_hessian_gradient(weights, images, labels, 1.0)
  names = sorted(COUNTS)
  flat = np.concatenate([scores[n].ravel() for n in names])
  sparse_testlib.assert_top_set(
      np.concatenate([signed[n].ravel() for n in names]), flat,
      sum(COUNTS.values()), rtol=1e-3)
  assert any((evci[n] != signed[n]).any() for n in names)


@pytest.mark.parametrize('variant, temperature, message', [
    ('lee', None, "No such GraSP variant: 'lee'"),
    ('wang', 0, 'temperature'),
    ('evci', float('nan'), 'temperature'),
])
def test_bad_grasp_settings_are_named(variant, temperature, message):
  with pytest.raises(ValueError, match=message):
    prune_at_init.check_grasp(variant, temperature)


def test_a_bad_scope_is_named():
  with pytest.raises(ValueError, match="No such pruning scope: 'local'"):
    prune_at_init.schedule({'a': [2]}, {'a': 1}, 1, 'local')


def test_keep_top_global_ranks_layers_together():
  masks = prune_at_init.keep_top(
      {'a': np.array([[3.0, -1.0]]), 'b': np.array([2.0, 5.0, 2.0])}, 3)
  np.testing.assert_array_equal(masks['a'], [[1, 0]])
  np.testing.assert_array_equal(masks['b'], [1, 1, 0])  # ties: lower index


def test_one_shot_pruning_needs_a_dense_network():
  graph = tf.Graph()
  with graph.as_default():
    model = sparse_testlib.tiny_model(
        masks={'layer1': np.zeros([sparse_testlib.HIDDEN, 10])})
    batch = fixed_batch.FixedBatch(*fixed_batch.draw(sparse_testlib.digits(),
                                                     10, seed=0))
    with tf.Session() as sess:
      sess.run(tf.global_variables_initializer())
      with pytest.raises(ValueError, match='prunes a dense network'):
        prune_at_init.prune(sess, 'snip', model, batch, COUNTS,
                            scope='layer')
