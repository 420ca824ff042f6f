"""Loss and accuracy of many weight settings of one network on a whole split.

One graph holds the network (all-ones masks, so its kernels are the
effective weights themselves), the split in graph variables and the same
in-graph evaluation the trainer records with; each setting of the weights is
loaded into the variables and evaluated by one session run. Evaluating a
network's saved final weights therefore reproduces the test metrics its run
recorded at the end of training.
"""

import numpy as np
import tensorflow.compat.v1 as tf

from lottery_ticket.analysis import network_model
from lottery_ticket.foundations import choices
from lottery_ticket.foundations.training import evaluation
from lottery_ticket.foundations.training import graph_data
from lottery_ticket.foundations.training import session as session_lib

SPLITS = ('train', 'validate', 'test')
EVAL_CHUNK_SIZE = 10000  # as the trainer's default


class WeightEvaluator(session_lib.SessionOwner):
  """Evaluates weight dictionaries of a network's architecture on a split.

  Use as a context manager (or call close()).
  """

  def __init__(self, network, split='test'):
    """Builds the graph.

    Args:
      network: a network_source.Network (its architecture and dataset; its
        weights are the first ones loaded).
      split: 'train', 'validate' or 'test'.

    Raises:
      ValueError: for a split the dataset lacks, or weights that do not fit.
    """
    choices.check('split', split, SPLITS)
    dataset = network.run_config.make_dataset()
    if getattr(dataset, split, None) is None:
      raise ValueError('the dataset {} has no {!r} split'.format(
          network.run_config.data.dataset, split))
    graph = tf.Graph()
    with graph.as_default():
      inputs, labels = dataset.placeholders()
      model = network_model.build(network, inputs, labels, dataset.num_classes,
                                  with_masks=False)
      data = graph_data.GraphData(dataset)
      images, targets, size = data.splits[split]
      with tf.name_scope('eval_' + split):
        self._metrics = evaluation.split_metrics(model, images, targets, size,
                                                 EVAL_CHUNK_SIZE)
      variables = dict(model.kernels, **{n + '_bias': b
                                         for n, b in model.biases.items()})
      self._feeds = {k: tf.placeholder(tf.float32, v.shape)
                     for k, v in variables.items()}
      self._load = tf.group(*[v.assign(self._feeds[k])
                              for k, v in variables.items()])
      self.session = session_lib.new_session(graph)
      self.session.run(tf.global_variables_initializer())
      data.initialize(self.session)

  def evaluate(self, weights):
    """{'loss', 'accuracy'} of the network with `weights` on the split.

    Args:
      weights: dict name -> array for every kernel and bias, shaped as the
        network's (interpolation.check_compatible saw to that).
    """
    self.session.run(self._load, {
        placeholder: np.asarray(weights[name], np.float32)
        for name, placeholder in self._feeds.items()})
    return {k: float(v) for k, v in self.session.run(self._metrics).items()}
