"""Shared pieces of the sparse-training tests: tiny networks and numpy twins."""

import functools

import numpy as np
import tensorflow.compat.v1 as tf

from lottery_ticket.datasets import registry
from lottery_ticket.foundations import model_fc

HIDDEN = 12
LAYERS = [(HIDDEN, 'relu'), (10, None)]


@functools.lru_cache(maxsize=1)
def digits():
  return registry.make_dataset('digits', train_order_seed=0, validate_size=0)


def tiny_model(masks=None, presets=None, seed=0):
  """A 64-12-10 MLP on digits in the current graph."""
  tf.set_random_seed(seed)
  inputs, labels = digits().placeholders()
  return model_fc.ModelFc({'layers': LAYERS}, inputs, labels, masks=masks,
                          presets=presets)


def on_tiny_model(run, examples, model_seed=6, batch_seed=2):
  """run(sess, model, batch) on the tiny MLP and a fixed batch of digits.

  Builds both in a fresh graph and session, initialised.

  Returns:
    (run's result, the model's initial weights, the batch's images, labels).
  """
  from lottery_ticket.foundations.training import fixed_batch  # pylint: disable=g-import-not-at-top
  with tf.Graph().as_default():
    model = tiny_model(seed=model_seed)
    images, labels = fixed_batch.draw(digits(), examples, seed=batch_seed)
    batch = fixed_batch.FixedBatch(images, labels)
    with tf.Session() as sess:
      sess.run(tf.global_variables_initializer())
      batch.initialize(sess)
      weights = model.get_current_weights(sess)
      return run(sess, model, batch), weights, images, labels


def np_loss_and_grads(weights, images, labels, temperature=1.0):
  """Loss and gradients (w.r.t. kernels and biases) of the tiny MLP, in float64.

  Kernel gradients are w.r.t. the effective weights (dense, not masked). The
  loss is the cross-entropy of logits / temperature.
  """
  w0, b0 = weights['layer0'].astype(np.float64), weights['layer0_bias']
  w1, b1 = weights['layer1'].astype(np.float64), weights['layer1_bias']
  x = images.astype(np.float64)
  pre = x @ w0 + b0
  hidden = np.maximum(pre, 0.0)
  logits = (hidden @ w1 + b1) / temperature
  logits -= logits.max(axis=1, keepdims=True)
  probs = np.exp(logits)
  probs /= probs.sum(axis=1, keepdims=True)
  count = x.shape[0]
  loss = -np.mean(np.log(probs[np.arange(count), labels]))
  d_logits = probs.copy()
  d_logits[np.arange(count), labels] -= 1.0
  d_logits /= count * temperature
  g1 = hidden.T @ d_logits
  d_hidden = (d_logits @ w1.T) * (pre > 0)
  g0 = x.T @ d_hidden
  return loss, {'layer0': g0, 'layer1': g1, 'layer0_bias': d_hidden.sum(0),
                'layer1_bias': d_logits.sum(0)}


def assert_top_set(chosen, scores, count, rtol=1e-4):
  """chosen (bool) holds `count` entries none of which scores clearly below
  an entry left out (up to float32-vs-float64 noise)."""
  chosen = np.asarray(chosen, bool).ravel()
  scores = np.asarray(scores, np.float64).ravel()
  assert chosen.sum() == count
  if 0 < count < scores.size:
    scale = max(1e-12, np.abs(scores).max())
    assert scores[chosen].min() >= scores[~chosen].max() - rtol * scale
