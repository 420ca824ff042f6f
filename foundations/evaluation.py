"""In-graph evaluation of a model on a whole split.

Loss and accuracy are sums over the split divided by its size, computed in
one session run; a split larger than `chunk_size` is walked in chunks by a
while loop so memory stays bounded (conv nets on 10,000 CIFAR images).
"""

import tensorflow.compat.v1 as tf

from lottery_ticket.foundations import graph_mode  # pylint: disable=unused-import


def _sums(model, images, labels, substitutes=None):
  logits = model.apply(images, substitutes)
  losses = tf.nn.sparse_softmax_cross_entropy_with_logits(
      labels=labels, logits=logits)
  correct = tf.equal(tf.argmax(logits, axis=1, output_type=tf.int32), labels)
  return tf.reduce_sum(losses), tf.reduce_sum(tf.cast(correct, tf.float32))


def split_metrics(model, images, labels, size, chunk_size=10000,
                  substitutes=None):
  """Mean loss and accuracy of `model` over a split held in variables.

  Args:
    model: a ModelBase.
    images, labels: the split's variables.
    size: the number of examples.
    chunk_size: the largest number of examples evaluated at once.
    substitutes: see ModelBase.apply.

  Returns:
    dict with scalar tensors 'loss' and 'accuracy'.
  """
  if size <= chunk_size:
    loss_sum, correct = _sums(model, images.read_value(), labels.read_value(),
                              substitutes)
  else:
    chunks = -(-size // chunk_size)

    def body(index, loss_sum, correct):
      rows = tf.range(index * chunk_size,
                      tf.minimum((index + 1) * chunk_size, size))
      more_loss, more_correct = _sums(model, tf.gather(images, rows),
                                      tf.gather(labels, rows), substitutes)
      return index + 1, loss_sum + more_loss, correct + more_correct

    _, loss_sum, correct = tf.while_loop(
        lambda index, *_: index < chunks, body,
        (tf.constant(0), tf.constant(0.0), tf.constant(0.0)))
  return {'loss': loss_sum / size, 'accuracy': correct / size}


def data_metrics(model, data, chunk_size=10000, substitutes=None):
  """split_metrics for every evaluation split (validate, test) of GraphData."""
  out = {}
  for name in ('validate', 'test'):
    if data.has(name):
      images, labels, size = data.splits[name]
      with tf.name_scope('eval_' + name):
        out[name] = split_metrics(model, images, labels, size, chunk_size,
                                  substitutes)
  return out
