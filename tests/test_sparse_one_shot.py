"""SNIP and GraSP keep the weights their criteria rank highest."""

import numpy as np
import pytest
import tensorflow.compat.v1 as tf

from lottery_ticket.foundations import fixed_batch
from lottery_ticket.foundations import one_shot_pruning

import sparse_testlib

COUNTS = {'layer0': 150, 'layer1': 30}


def _prune(method):
  graph = tf.Graph()
  with graph.as_default():
    model = sparse_testlib.tiny_model(seed=6)
    images, labels = fixed_batch.draw(sparse_testlib.digits(), 400, seed=2)
    batch = fixed_batch.FixedBatch(images, labels)
    with tf.Session() as sess:
      sess.run(tf.global_variables_initializer())
      batch.initialize(sess)
      weights = model.get_current_weights(sess)
      masks = one_shot_pruning.prune(sess, method, model, batch, COUNTS)
  return masks, weights, images, labels


def test_snip_keeps_the_largest_gradient_times_weight():
  masks, weights, images, labels = _prune('snip')
  _, grads = sparse_testlib.np_loss_and_grads(weights, images, labels)
  for name, count in COUNTS.items():
    sparse_testlib.assert_top_set(masks[name],
                                  np.abs(grads[name] * weights[name]), count)


def test_grasp_keeps_the_largest_weight_times_hessian_gradient():
  masks, weights, images, labels = _prune('grasp')
  _, grads = sparse_testlib.np_loss_and_grads(weights, images, labels)
  # H g by central differences of the exact gradient along g; like GraSP,
  # over the kernels (the prunable weights) only.
  step = 1e-4 / np.sqrt(sum(np.sum(grads[n] ** 2) for n in COUNTS))
  moved = [{n: weights[n] + sign * step * grads[n] if n in COUNTS
            else weights[n] for n in weights} for sign in (1, -1)]
  plus = sparse_testlib.np_loss_and_grads(moved[0], images, labels)[1]
  minus = sparse_testlib.np_loss_and_grads(moved[1], images, labels)[1]
  for name, count in COUNTS.items():
    hessian_grad = (plus[name] - minus[name]) / (2 * step)
    sparse_testlib.assert_top_set(masks[name], weights[name] * hessian_grad,
                                  count, rtol=1e-3)


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
        one_shot_pruning.prune(sess, 'snip', model, batch, COUNTS)
  with pytest.raises(ValueError, match="No such one-shot pruning method"):
    one_shot_pruning.scores('synflow', None, None)
