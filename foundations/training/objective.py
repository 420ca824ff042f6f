"""What one training step of a pack differentiates: losses, decay, clipping.

Every tensor here has a leading network axis, and each network's numbers
are computed so that they do not depend on the other networks of its pack:
per-row ops, and sums over a network's own entries taken by batched matmul
(whose products are independent of the batch count; see model_base.py).
"""

import tensorflow.compat.v1 as tf


def network_losses(labels, logits):
  """[N] mean softmax cross-entropy of each network's batch.

  Args:
    labels: [N, batch] integer labels.
    logits: [N, batch, classes].
  """
  return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
      labels=tf.cast(labels, tf.int32), logits=logits), axis=1)


def network_accuracies(labels, logits):
  """[N] fraction of each network's batch whose top logit is the label."""
  correct = tf.equal(tf.argmax(logits, axis=2, output_type=tf.int32),
                     tf.cast(labels, tf.int32))
  return tf.reduce_mean(tf.cast(correct, tf.float32), axis=1)


# The widest sum one matmul of sums_of_squares takes: narrow enough that no
# CPU kernel splits it across threads, so its order is fixed.
SUM_WIDTH = 64


def sums_of_squares(tensors):
  """[N]: per network, the sum of the squares of its entries of `tensors`.

  Each tensor is [N, ...]. A network's entries are squared, then summed in a
  fixed tree of batched matmuls by ones, each over at most SUM_WIDTH values
  (zeros pad the last group), so the result does not depend on N nor on how
  many threads the kernels get (a single matmul over all entries is split
  across threads when its output is this small).
  """
  num = int(tensors[0].shape[0])
  values = tf.concat([tf.reshape(tf.square(t), [num, -1]) for t in tensors],
                     axis=1)
  size = int(values.shape[1])
  while size > 1:
    groups = -(-size // SUM_WIDTH)
    width = min(size, SUM_WIDTH)
    values = tf.pad(values, [[0, 0], [0, groups * width - size]])
    values = tf.reshape(tf.matmul(tf.reshape(values, [num, groups, width]),
                                  tf.ones([num, width, 1])), [num, groups])
    size = groups
  return tf.reshape(values, [num])


def gradients(loss, kernels, variables, weight_decay=0.0, clip_norm=None,
              clip_value=None, masks=None):
  """The gradients of a pack's step.

  Args:
    loss: the sum of the networks' scalar losses: network i's gradient is
      that of its own loss, the others' adding exact zeros.
    kernels: the [N, ...] variables weight decay applies to (the kernels,
      or with weight_decay_on='all' every variable).
    variables: the [N, ...] variables to differentiate by.
    weight_decay: L2 coefficient: each network's objective adds
      0.5 * wd * sum w^2 of its kernels (its gradient is wd * w).
    clip_norm: optional: scale each network's gradients so that their
      global norm is at most this.
    clip_value: optional: clip every gradient entry to [-v, v].
    masks: optional, per variable, the mask its gradient is multiplied by
      before clipping (None: not masked), for a loss computed with the
      kernels alone rather than kernel * mask.

  Returns:
    a list of gradients, one per variable.
  """
  objective = loss
  if weight_decay:
    objective += weight_decay * tf.add_n([tf.nn.l2_loss(w) for w in kernels])
  grads = tf.gradients(objective, variables)
  if masks:
    grads = [g if m is None else g * m for g, m in zip(grads, masks)]
  if clip_norm:
    norms = tf.sqrt(sums_of_squares(grads))
    scale = clip_norm / tf.maximum(norms, clip_norm)
    grads = [g * tf.reshape(scale, [-1] + [1] * (g.shape.ndims - 1))
             for g in grads]
  if clip_value:
    grads = [tf.clip_by_value(g, -clip_value, clip_value) for g in grads]
  return grads
