"""Evaluation of every network of a pack, overlapping training.

As for one network (background_evaluation.py), the pack's variables are
copied into snapshot variables at an evaluation point and the copy is
evaluated in a second thread while training goes on. Each network is
evaluated by the unpacked computation on its own snapshot
(packed_model.NetworkView), so its loss and accuracy are bit-identical to
those of the same network trained alone, and the evaluation data are read
from the one copy in the graph, never tiled N times.
"""

import tensorflow.compat.v1 as tf

from lottery_ticket.foundations import background_evaluation
from lottery_ticket.foundations import evaluation
from lottery_ticket.foundations import packed_model


def evaluator(model, data, chunk_size=10000):
  """A BackgroundEvaluator whose metrics are [N] tensors, one per network.

  Args:
    model: a packed model (packed_model.PackedLayers).
    data: GraphData with the evaluation splits.
    chunk_size: the largest evaluation chunk (as for one network, so the
      sums are taken in the same order).
  """
  variables = model.trainable_variables + [
      m for i in range(model.num_networks)
      for m in model.network_masks(i).values()]

  def build_metrics(substitutes):
    per_network = []
    for index in range(model.num_networks):
      with tf.name_scope('network{}'.format(index)):
        per_network.append(evaluation.data_metrics(
            packed_model.NetworkView(model, index), data, chunk_size,
            substitutes=substitutes))
    # split -> metric -> [N] tensor
    return {split: {key: tf.stack([m[split][key] for m in per_network])
                    for key in per_network[0][split]}
            for split in per_network[0]}

  return background_evaluation.BackgroundEvaluator(variables, build_metrics)


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
