"""Initialisations that account for sparsity.

A dense scheme (Glorot, He, LeCun) gives every weight the variance
scale / fan, with fan counted over all connections of the layer. In a
sparse layer a unit has fewer incoming and outgoing connections, so those
variances are too small and the signal shrinks layer after layer.

  unit_scaled   each surviving weight gets variance scale / fan, with the fan
                of its own units counted over surviving connections only:
                fan-in of its output unit, fan-out of its input unit, or
                their average (the dense scheme's mode, unless overridden).
  layer_scaled  the dense initialisation divided by sqrt(layer density).
  metainit      MetaInit (Dauphin & Schoenholz 2019): keep the direction of
                each kernel and learn its norm by signed gradient descent on
                the gradient quotient |H g / g| at random inputs. By default
                only convolution kernels are rescaled, as in the reference
                (ScaleSGD(mindim=3) in google-research/rigl
                rigl_tf2/metainit.py), so an MLP keeps its initialisation;
                scope='all' rescales every kernel.

Fans of a conv kernel [kh, kw, in, out] count the surviving connections of
an output channel (over kh, kw, in) and of an input channel (over kh, kw,
out).
"""

import sys

import numpy as np
import tensorflow.compat.v1 as tf

from lottery_ticket.foundations import choices
from lottery_ticket.foundations.training import fixed_batch
from lottery_ticket.foundations.training import graph_mode  # pylint: disable=unused-import
from lottery_ticket.foundations.models import initializers
from lottery_ticket.foundations.storage import progress as progress_lib
from lottery_ticket.foundations.sparse import sparse_methods

# ScaleSGD's mindim: tensors with fewer dimensions keep their scale.
METAINIT_MIN_DIMENSIONS = 3
# MetaInit steps per session run (progress is printed between runs).
METAINIT_CHUNK = 50
# A normal truncated at two standard deviations has this standard deviation;
# TF's variance-scaling initializers divide by it, and so do we.
_TRUNCATED_STDDEV = 0.87962566103423978


def surviving_fans(mask):
  """(fan_in per output unit, fan_out per input unit) of a 2-D or 4-D mask."""
  mask = np.asarray(mask, np.float64)
  if mask.ndim not in (2, 4):
    raise ValueError('expected a 2-D or 4-D kernel mask, got shape {}'.format(
        mask.shape))
  per_pair = mask if mask.ndim == 2 else mask.sum(axis=(0, 1))  # [in, out]
  return per_pair.sum(axis=0), per_pair.sum(axis=1)


def unit_variances(mask, scale, mode):
  """The variance each kernel entry should have under unit scaling."""
  choices.check('fan mode', mode, sparse_methods.FAN_MODES)
  fan_in, fan_out = surviving_fans(mask)
  shape = np.shape(mask)
  fans = {'fan_in': fan_in.reshape([1] * (len(shape) - 1) + [-1]),
          'fan_out': fan_out.reshape([1] * (len(shape) - 2) + [-1, 1])}
  fans['fan_avg'] = (fans['fan_in'] + fans['fan_out']) / 2.0
  return scale / np.maximum(1.0, np.broadcast_to(fans[mode], shape))


def _sample(rng, shape, distribution):
  """Unit-variance samples of a distribution name."""
  if distribution == 'uniform':
    return rng.uniform(-np.sqrt(3.0), np.sqrt(3.0), shape)
  values = rng.standard_normal(shape)
  if distribution in ('untruncated_normal', 'normal'):
    return values
  # Truncated at two standard deviations, then rescaled to unit variance.
  outside = np.abs(values) > 2.0
  while np.any(outside):
    values[outside] = rng.standard_normal(int(outside.sum()))
    outside = np.abs(values) > 2.0
  return values / _TRUNCATED_STDDEV


def unit_scaled(masks, initializer='glorot_normal', seed=0, mode=None):
  """Unit-scaled kernels for the given masks.

  Args:
    masks: dict layer -> 0/1 mask.
    initializer: the dense scheme whose scale, mode and distribution to use.
    seed: integer seed; layer i (sorted by name) draws from [seed, i].
    mode: optional fan mode overriding the scheme's.

  Returns:
    dict layer -> float32 kernel, zero where masked.
  """
  scale, scheme_mode, distribution = initializers.scheme(initializer)
  mode = mode or scheme_mode
  out = {}
  for index, name in enumerate(sorted(masks)):
    mask = np.asarray(masks[name], np.float32)
    rng = np.random.default_rng([int(seed), index])
    std = np.sqrt(unit_variances(mask, scale, mode))
    out[name] = (_sample(rng, mask.shape, distribution) * std * mask).astype(
        np.float32)
  return out


def layer_scaled(kernels, masks):
  """Dense kernels masked and divided by sqrt(layer density)."""
  out = {}
  for name, mask in masks.items():
    mask = np.asarray(mask, np.float32)
    density = max(float(mask.mean()), 1.0 / mask.size)
    out[name] = (np.asarray(kernels[name], np.float32) * mask /
                 np.sqrt(density)).astype(np.float32)
  return out


def gradient_quotient(model, inputs, labels, eps=1e-5):
  """MetaInit's gradient quotient mean |1 - (g - H g) / g| over live weights.

  Pruned kernel entries (gradient exactly 0) are left out of the mean.
  """
  names, variables = fixed_batch.parameter_variables(model)
  loss = model.loss_fn(labels, model.apply(inputs))
  grads = tf.gradients(loss, variables)
  half_square = tf.add_n([tf.reduce_sum(tf.square(g)) for g in grads]) / 2.0
  products = tf.gradients(half_square, variables)
  masks = model.masks  # a kernel's parameter name is its layer's
  total, count = [], []
  for name, g, hg in zip(names, grads, products):
    sign = tf.where(g >= 0, tf.ones_like(g), -tf.ones_like(g))
    term = tf.abs(1.0 - (g - hg) / (g + eps * sign))
    live = masks[name] if name in masks else tf.ones_like(g)
    total.append(tf.reduce_sum(term * live))
    count.append(tf.reduce_sum(live))
  return tf.add_n(total) / tf.maximum(tf.add_n(count), 1.0)


def metainit_kernels(model, scope='conv'):
  """Names of the kernels MetaInit rescales.

  Args:
    model: a ModelBase.
    scope: 'conv' for the kernels of at least 3 dimensions only, as the
      reference does (ScaleSGD(mindim=3) in google-research/rigl
      rigl_tf2/metainit.py leaves every tensor of fewer dimensions alone, so
      an MLP keeps its initialisation); 'all' for every kernel.

  Raises:
    ValueError: for an unknown scope.
  """
  choices.check('MetaInit scope', scope, sparse_methods.METAINIT_SCOPES)
  return [n for n in model.layer_names if scope == 'all' or
          len(model.kernels[n].shape) >= METAINIT_MIN_DIMENSIONS]


def metainit(sess, model, input_shape, num_classes, steps=1000,
             learning_rate=1e-3, momentum=0.9, batch_size=128, seed=0,
             scope='conv', progress=None):
  """Runs MetaInit on a model's kernels in place.

  Each step draws Gaussian inputs and uniform labels (stateless, from seed
  and step), and moves the norm of every rescaled kernel by -learning_rate *
  sign(d GQ / d norm) with momentum; directions, masks, biases and the
  kernels outside `scope` stay. The steps run inside the graph, in chunks
  between which progress is printed.

  Args:
    sess: the session holding the initialised model.
    model: a ModelBase.
    input_shape: the shape of one example.
    num_classes: the number of labels.
    steps, learning_rate, momentum, batch_size, seed: MetaInit's settings.
    scope: which kernels are rescaled: 'conv' (the reference: kernels of at
      least 3 dimensions, so none in an MLP) or 'all' (every kernel).
    progress: print progress lines to stderr; None: only when stderr is a
      terminal.

  Returns:
    (gradient quotient before, after) on the batch of step 0 (equal when
    `scope` leaves no kernel to rescale, and then no step runs).
  """
  names = metainit_kernels(model, scope)
  kernels = [model.kernels[n] for n in names]
  shape = [int(batch_size)] + [int(d) for d in input_shape]

  def batch(step):
    key = tf.stack([tf.constant(int(seed), tf.int64), tf.cast(step, tf.int64)])
    inputs = tf.random.stateless_normal(shape, seed=key)
    labels = tf.random.stateless_uniform([int(batch_size)], seed=key + 1,
                                         minval=0, maxval=int(num_classes),
                                         dtype=tf.int32)
    return inputs, labels

  with sess.graph.as_default():
    probe = gradient_quotient(model, *batch(tf.constant(0)))
  before = float(sess.run(probe))
  if not kernels or int(steps) <= 0:
    return before, before

  with sess.graph.as_default():
    first = tf.placeholder(tf.int32, [], name='metainit_first_step')
    last = tf.placeholder(tf.int32, [], name='metainit_last_step')
    velocity_feeds = [tf.placeholder(tf.float32, [], name='metainit_velocity')
                      for _ in kernels]

    def body(step, velocities):
      with tf.control_dependencies([step]):
        quotient = gradient_quotient(model, *batch(step))
        slopes = tf.gradients(quotient, kernels)
        writes, new_velocities = [], []
        for kernel, slope, velocity in zip(kernels, slopes, velocities):
          value = kernel.read_value()
          norm = tf.norm(value)
          direction = tf.sign(tf.reduce_sum(value * slope) /
                              (norm + 1e-12))
          velocity = momentum * velocity - learning_rate * direction
          writes.append(tf.assign(kernel, value * (norm + velocity) /
                                  (norm + 1e-12)))
          new_velocities.append(velocity)
      with tf.control_dependencies(writes):
        return step + 1, [tf.identity(v) for v in new_velocities]

    loop = tf.while_loop(lambda step, _: step < last, body,
                         (first, list(velocity_feeds)),
                         parallel_iterations=1)

  total = int(steps)
  show = sys.stderr.isatty() if progress is None else bool(progress)
  meter = progress_lib.Progress('MetaInit', total) if show else None
  velocities = [0.0] * len(kernels)
  for start in range(0, total, METAINIT_CHUNK):
    end = min(total, start + METAINIT_CHUNK)
    feed = {first: start, last: end}
    feed.update(zip(velocity_feeds, velocities))
    _, velocities = sess.run(loop, feed)
    if meter:
      meter.update(end, force=(end == total))
  return before, float(sess.run(probe))
