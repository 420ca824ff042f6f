"""Checkpoints of a pack: one per network, as that network trained alone writes.

Each network's run directory gets `checkpoints/model-{k}` holding that
network's variables (kernels, masks, biases, its optimizer's slots and
Adam's beta powers) and the global step, under the names an unpacked
trainer's Saver gives them (model/layer0_w, model/layer0_w/Adam,
beta1_power, global_step, ...), and the
`checkpoint` index that tf.train.latest_checkpoint reads. So a packed
network's checkpoint can be resumed by an unpacked run, read by `analysis`,
and resumed packed again: the pack continues from the latest iteration that
every one of its networks has a checkpoint (and records) for.
"""

import glob
import os

import numpy as np
import tensorflow.compat.v1 as tf
from tensorflow.python.util import deprecation  # pylint: disable=g-direct-tensorflow-import

from lottery_ticket.foundations import packed_model
from lottery_ticket.foundations import paths
from lottery_ticket.foundations import save_restore
from lottery_ticket.foundations import trainer

PREFIX = 'model'


def records_path(run_dir, iteration):
  """The records saved with the checkpoint of `iteration` (as trainer.train)."""
  return os.path.join(paths.checkpoints(run_dir),
                      'records-{}.json'.format(int(iteration)))


def _prefix(run_dir, iteration):
  return os.path.join(paths.checkpoints(run_dir),
                      '{}-{}'.format(PREFIX, int(iteration)))


def _iteration(prefix):
  return int(prefix.rsplit('-', 1)[1])


def saved_iterations(run_dir):
  """Iterations with a complete checkpoint, records and initial weights.

  Returns:
    A set of ints (empty when the run cannot be resumed).
  """
  if run_dir is None or not os.path.isdir(paths.initial(run_dir)):
    return set()
  state = tf.train.get_checkpoint_state(paths.checkpoints(run_dir))
  if state is None:
    return set()
  found = set()
  for path in state.all_model_checkpoint_paths:
    iteration = _iteration(path)
    if (os.path.exists(_prefix(run_dir, iteration) + '.index') and
        os.path.exists(records_path(run_dir, iteration))):
      found.add(iteration)
  return found


def common_iteration(run_dirs):
  """The latest iteration every run directory has a checkpoint for (or 0)."""
  common = None
  for run_dir in run_dirs:
    found = saved_iterations(run_dir)
    common = found if common is None else common & found
  return max(common) if common else 0


class PackedCheckpoints(object):
  """Writes and reads the per-network checkpoints of a pack."""

  def __init__(self, num_networks):
    """Builds one save op per network.

    Call once every variable exists (the optimizers' slots included): each
    global variable is then either network i's (named network{i}/...) or
    shared by the pack (the global step).

    Args:
      num_networks: N.
    """
    variables = tf.global_variables()
    prefixes = [packed_model.prefix(i) for i in range(num_networks)]
    shared = [v for v in variables
              if not any(v.op.name.startswith(p) for p in prefixes)]
    self._variables = []  # per network: (unpacked name, variable) pairs
    for index, start in enumerate(prefixes):
      own = [(packed_model.unpacked_name(v.op.name, index), v)
             for v in variables if v.op.name.startswith(start)]
      self._variables.append(sorted(own + [(v.op.name, v) for v in shared],
                                    key=lambda pair: pair[0]))
    self._prefix = tf.placeholder(tf.string, [], name='checkpoint_prefix')
    self._saves = []
    with tf.name_scope('packed_save'):
      for pairs in self._variables:
        self._saves.append(tf.raw_ops.SaveV2(
            prefix=self._prefix, tensor_names=[name for name, _ in pairs],
            shape_and_slices=[''] * len(pairs),
            tensors=[v.read_value() for _, v in pairs]))

  def save(self, sess, run_dirs, iteration, keep=2, indices=None):
    """Writes each network's checkpoint of `iteration`, index last.

    As trainer.train's Saver: the `checkpoint` index lists the `keep`
    latest (0: the latest, every checkpoint being kept); older checkpoints
    and their records are removed.

    Args:
      sess: the session.
      run_dirs: the N run directories.
      iteration: the training iteration.
      keep: how many checkpoints to keep per network (0 keeps all).
      indices: the networks to checkpoint (default: all).

    Raises:
      save_restore.WriteError: naming the directory that cannot be written.
    """
    for index in range(len(run_dirs)) if indices is None else indices:
      directory = os.path.abspath(paths.checkpoints(run_dirs[index]))
      with save_restore.naming_failures(directory):
        os.makedirs(directory, exist_ok=True)
      try:
        sess.run(self._saves[index],
                 {self._prefix: _prefix(run_dirs[index], iteration)})
      except tf.errors.OpError as error:
        raise trainer.checkpoint_error(directory, error) from error
      state = tf.train.get_checkpoint_state(directory)
      listed = [os.path.basename(p) for p in
                (state.all_model_checkpoint_paths if state else [])
                if _iteration(p) != int(iteration)]
      listed.append(os.path.basename(_prefix(run_dirs[index], iteration)))
      kept = listed[-keep:] if keep else listed
      # The index as the Saver writes it: checkpoint prefixes as it was
      # given them, and with keep=0 (it tracks none) only the latest.
      indexed = [_prefix(run_dirs[index], _iteration(name))
                 for name in (kept if keep else kept[-1:])]
      with save_restore.naming_failures(directory):
        # The Saver's own bookkeeping call; TensorFlow marks the public name
        # deprecated (for TF2's CheckpointManager) and would print so on
        # every run's console.
        with deprecation.silence():
          tf.train.update_checkpoint_state(directory, indexed[-1],
                                           all_model_checkpoint_paths=indexed)
        for name in listed[:-keep] if keep else []:
          for path in glob.glob(os.path.join(directory, name + '.*')):
            os.remove(path)
          records = records_path(run_dirs[index], _iteration(name))
          if os.path.exists(records):
            os.remove(records)

  def read(self, run_dirs, iteration):
    """Every variable's value, from the networks' checkpoints of `iteration`.

    Returns:
      dict variable name -> numpy array.

    Raises:
      ValueError: if a checkpoint lacks a variable or the checkpoints
        disagree on a shared one (the networks were not at the same step).
    """
    values = {}
    for run_dir, pairs in zip(run_dirs, self._variables):
      reader = tf.train.load_checkpoint(_prefix(run_dir, iteration))
      for name, variable in pairs:
        if not reader.has_tensor(name):
          raise ValueError('checkpoint {} lacks {}'.format(
              _prefix(run_dir, iteration), name))
        value = reader.get_tensor(name)
        known = values.get(variable.op.name)
        if known is not None and not np.array_equal(known, value):
          raise ValueError('checkpoint {} disagrees with the pack\'s other '
                           'networks on {}'.format(
                               _prefix(run_dir, iteration), name))
        values[variable.op.name] = value
    return values
