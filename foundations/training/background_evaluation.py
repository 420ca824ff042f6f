"""Evaluation that overlaps training, for every network of a pack.

At an evaluation point the variables are copied (cheaply, in the
graph) into snapshot variables, and the evaluation of that snapshot runs in a
second thread while the main thread goes on training. The numbers are those
of the weights at the evaluation point, exactly as if training had waited;
what changes is that the two cores are both busy. With one intra-op thread
per op and two inter-op threads, a small network then trains on one core and
evaluates on the other (for LeNet-300-100 about 1.7x the throughput of
evaluating in line).
"""

import threading

import tensorflow.compat.v1 as tf

from lottery_ticket.foundations.training import evaluation
from lottery_ticket.foundations.models import packed_model


class BackgroundEvaluator(object):
  """Evaluates snapshots of variables in a background thread.

  Attributes:
    initializer: initialises the snapshot variables (run once).
    metrics: dict split -> its metric tensors, computed on the snapshots.
  """

  def __init__(self, variables, build_metrics):
    """Builds the snapshot variables and the metrics on them.

    Args:
      variables: the variables the metrics read (weights and masks).
      build_metrics: callable(substitutes) -> dict split -> metric tensors,
        built with `substitutes` (dict variable name -> its snapshot) in
        place of the variables (see evaluation.data_metrics).
    """
    with tf.name_scope('snapshot'):
      snapshots = [tf.Variable(tf.zeros(v.shape, v.dtype), trainable=False,
                               collections=[tf.GraphKeys.LOCAL_VARIABLES],
                               name=v.op.name.replace('/', '_'),
                               use_resource=True) for v in variables]
      self.initializer = tf.variables_initializer(snapshots)
      self._copy = tf.group(*[s.assign(v) for s, v in zip(snapshots, variables)])
    self.metrics = build_metrics({v.name: s for v, s in zip(variables,
                                                            snapshots)})
    self._thread = None
    self._result = None

  def start(self, sess, iteration, splits):
    """Snapshots the weights now and evaluates `splits` in the background.

    Args:
      sess: the session.
      iteration: the training iteration the snapshot belongs to.
      splits: names of the splits to evaluate (a subset of self.metrics).
    """
    if self._thread is not None:
      raise RuntimeError('collect() the running evaluation first')
    if not splits:
      return
    sess.run(self._copy)
    wanted = {name: self.metrics[name] for name in splits}
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

    Returns:
      what the evaluation left: {'iteration', and 'values' or 'error'}, or
      None when nothing was running.
    """
    if self._thread is not None:
      self._thread.join()
    self._thread = None
    result, self._result = self._result, None
    return result

  def collect(self):
    """Waits for the running evaluation.

    Returns:
      (iteration, dict split -> metrics), or None when nothing was running.

    Raises:
      whatever the evaluation raised.
    """
    result = self.wait()
    if result is None:
      return None
    if 'error' in result:
      raise result['error']
    return result['iteration'], result['values']


def for_pack(model, data, chunk_size=10000):
  """A BackgroundEvaluator of every network of a pack: [N] metrics.

  Each network is evaluated through its NetworkView (in evaluation mode:
  batch norms use their moving statistics), the computation of a pack of
  one, so its loss and accuracy do not depend on its pack; the
  evaluation data are read from the one copy in the graph, never tiled.

  Args:
    model: a packed model (packed_model.PackedLayers).
    data: GraphData with the evaluation splits.
    chunk_size: the largest evaluation chunk.
  """
  variables = (model.trainable_variables + list(model.masks.values()) +
               model.state_variables)

  def build_metrics(substitutes):
    views = [packed_model.NetworkView(model, index)
             for index in range(model.num_networks)]
    per_split = evaluation.data_metrics(views, data, chunk_size, substitutes)
    # split -> metric -> [N] tensor
    return {split: {key: tf.stack([m[key] for m in per_network])
                    for key in per_network[0]}
            for split, per_network in per_split.items()}

  return BackgroundEvaluator(variables, build_metrics)


def per_network(values):
  """Collected values split by network.

  Args:
    values: dict split -> metric -> [N] values, as the evaluator collects.

  Returns:
    a list of N dicts split -> {'loss': ..., 'accuracy': ...}.
  """
  count = len(next(iter(next(iter(values.values())).values())))
  return [{split: {key: metric[i] for key, metric in metrics.items()}
           for split, metrics in values.items()} for i in range(count)]
