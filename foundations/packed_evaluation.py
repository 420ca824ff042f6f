"""Evaluation of every network of a pack, overlapping training.

As for one network (background_evaluation.py), the pack's variables are
copied into snapshot variables at an evaluation point and the copy is
evaluated in a second thread while training goes on. Each network is
evaluated by the unpacked computation on its own snapshot
(packed_model.NetworkView), so its loss and accuracy are bit-identical to
those of the same network trained alone, and the evaluation data are read
from the one copy in the graph, never tiled N times.
"""

import threading

import tensorflow.compat.v1 as tf

from lottery_ticket.foundations import evaluation
from lottery_ticket.foundations import packed_model


class PackedEvaluator(object):
  """Evaluates snapshots of a pack's weights in a background thread.

  Attributes:
    initializer: initialises the snapshot variables (run once).
    splits: the evaluation splits the data have ('validate', 'test').
  """

  def __init__(self, model, data, chunk_size=10000):
    """Builds the snapshot variables and the per-network metrics on them.

    Args:
      model: a packed model (packed_model.PackedLayers).
      data: GraphData with the evaluation splits.
      chunk_size: the largest evaluation chunk (as for one network, so the
        sums are taken in the same order).
    """
    variables = model.trainable_variables + [
        m for i in range(model.num_networks)
        for m in model.network_masks(i).values()]
    with tf.name_scope('snapshot'):
      snapshots = [tf.Variable(tf.zeros(v.shape, v.dtype), trainable=False,
                               collections=[tf.GraphKeys.LOCAL_VARIABLES],
                               name=v.op.name.replace('/', '_'),
                               use_resource=True) for v in variables]
      self.initializer = tf.variables_initializer(snapshots)
      self._copy = tf.group(*[s.assign(v) for s, v in zip(snapshots, variables)])
    substitutes = {v.name: s for v, s in zip(variables, snapshots)}
    per_network = []
    for index in range(model.num_networks):
      with tf.name_scope('network{}'.format(index)):
        per_network.append(evaluation.data_metrics(
            packed_model.NetworkView(model, index), data, chunk_size,
            substitutes=substitutes))
    self.splits = sorted(per_network[0])
    # split -> metric -> [N] tensor
    self._metrics = {split: {key: tf.stack([m[split][key] for m in per_network])
                             for key in per_network[0][split]}
                     for split in self.splits}
    self._thread = None
    self._result = None

  def start(self, sess, iteration, splits):
    """Snapshots the weights now and evaluates `splits` in the background.

    Args:
      sess: the session.
      iteration: the training iteration the snapshot belongs to.
      splits: names of the splits to evaluate (a subset of self.splits).
    """
    if self._thread is not None:
      raise RuntimeError('collect() the running evaluation first')
    if not splits:
      return
    sess.run(self._copy)
    wanted = {split: self._metrics[split] for split in splits}
    result = {'iteration': iteration}

    def run():
      try:
        result['values'] = sess.run(wanted)
      except Exception as error:  # pylint: disable=broad-except
        result['error'] = error

    self._result = result
    self._thread = threading.Thread(target=run, daemon=True)
    self._thread.start()

  def wait(self):
    """Waits for a running evaluation and drops it (its errors too).

    For leaving training early: the thread must not outlive the session.
    """
    if self._thread is not None:
      self._thread.join()
      self._thread = None
      self._result = None

  def collect(self):
    """Waits for the running evaluation.

    Returns:
      (iteration, per_network) where per_network[i] is a dict split ->
      {'loss': ..., 'accuracy': ...} of network i, or None when nothing was
      running.

    Raises:
      whatever the evaluation raised.
    """
    if self._thread is None:
      return None
    self._thread.join()
    self._thread = None
    result, self._result = self._result, None
    if 'error' in result:
      raise result['error']
    values = result['values']
    count = len(next(iter(next(iter(values.values())).values())))
    per_network = [{split: {key: metric[i] for key, metric in metrics.items()}
                    for split, metrics in values.items()}
                   for i in range(count)]
    return result['iteration'], per_network
