"""In-graph evaluation of a model on a whole split.

Loss and accuracy are sums over the split divided by its size, computed in
one session run; a split larger than `chunk_size` is walked in chunks by a
while loop so memory stays bounded (conv nets on 10,000 CIFAR images).
"""

import tensorflow.compat.v1 as tf

from lottery_ticket.foundations.training import graph_mode  # pylint: disable=unused-import


def _sums(models, images, labels, substitutes=None):
  """Per model, (sum of losses, number correct) on one chunk of a split.

  The models run one after another, so the chunk's activations of only one
  of them are in memory at a time (a pack of 8 would otherwise hold eight
  sets of [10000, units] activations at once).
  """
  out = []
  for model in models:
    with tf.control_dependencies(out[-1:]):
      logits = model.apply(tf.identity(images), substitutes)
    losses = tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=labels, logits=logits)
    correct = tf.equal(tf.argmax(logits, axis=1, output_type=tf.int32), labels)
    out.append(tf.stack([tf.reduce_sum(losses),
                         tf.reduce_sum(tf.cast(correct, tf.float32))]))
  return tf.stack(out)


def split_metrics(models, images, labels, size, chunk_size=10000,
                  substitutes=None):
  """Mean loss and accuracy of models over a split held in variables.

  The split is read once for all the models (a pack's networks), chunk by
  chunk, so its memory does not grow with their number.

  Args:
    models: a ModelBase, or a list of models (anything with `apply`).
    images, labels: the split's variables.
    size: the number of examples.
    chunk_size: the largest number of examples evaluated at once.
    substitutes: see ModelBase.apply.

  Returns:
    dict with scalar tensors 'loss' and 'accuracy' (for one model), or a
    list of such dicts (for a list).
  """
  several = isinstance(models, (list, tuple))
  models = list(models) if several else [models]
  if size <= chunk_size:
    sums = _sums(models, images.read_value(), labels.read_value(), substitutes)
  else:
    chunks = -(-size // chunk_size)

    def body(index, sums):
      rows = tf.range(index * chunk_size,
                      tf.minimum((index + 1) * chunk_size, size))
      return index + 1, sums + _sums(
          models, tf.gather(images.read_value(), rows),
          tf.gather(labels.read_value(), rows), substitutes)

    _, sums = tf.while_loop(
        lambda index, *_: index < chunks, body,
        (tf.constant(0), tf.zeros([len(models), 2])))
  out = [{'loss': sums[i, 0] / size, 'accuracy': sums[i, 1] / size}
         for i in range(len(models))]
  return out if several else out[0]


def data_metrics(models, data, chunk_size=10000, substitutes=None):
  """split_metrics for every evaluation split (validate, test) of GraphData.

  Returns:
    dict split -> split_metrics' result for `models`.
  """
  out = {}
  for name in ('validate', 'test'):
    if name in data.splits:
      images, labels, size = data.splits[name]
      with tf.name_scope('eval_' + name):
        out[name] = split_metrics(models, images, labels, size, chunk_size,
                                  substitutes)
  return out
