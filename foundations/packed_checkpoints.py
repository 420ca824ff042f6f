"""Checkpoints of a pack: one per network, as that network trained alone writes.

Each network's run directory gets `checkpoints/model-{k}` holding that
network's variables (kernels, masks, biases, its optimizer's slots and
Adam's beta powers) and the global step, under the names an unpacked
trainer's Saver gives them (model/layer0_w, model/layer0_w/Adam,
beta1_power, global_step, ...), written with its records, hashes and index
by checkpoint_files as trainer.train writes them. So a packed network's
checkpoint can be resumed by an unpacked run, read by `analysis`, and
resumed packed again: the pack continues from the latest iteration that
every one of its networks has a verified checkpoint for.
"""

import numpy as np
import tensorflow.compat.v1 as tf

from lottery_ticket.foundations import checkpoint_files
from lottery_ticket.foundations import packed_model
from lottery_ticket.foundations import trainer


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

  def save(self, sess, run_dirs, iteration, records, keep=2, indices=None):
    """Writes each network's checkpoint of `iteration` (checkpoint_files).

    Args:
      sess: the session.
      run_dirs: the N run directories.
      iteration: the training iteration.
      records: per network, its records so far.
      keep: how many checkpoints to keep per network (0 keeps all).
      indices: the networks to checkpoint (default: all).

    Raises:
      save_restore.WriteError: naming the directory that cannot be written.
    """
    for index in range(len(run_dirs)) if indices is None else indices:
      def write_variables(prefix, index=index):
        try:
          sess.run(self._saves[index], {self._prefix: prefix})
        except tf.errors.OpError as error:
          raise trainer.checkpoint_error(prefix, error) from error
      checkpoint_files.save(run_dirs[index], iteration, records[index],
                            write_variables, keep)

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
      reader = tf.train.load_checkpoint(
          checkpoint_files.prefix(run_dir, iteration))
      for name, variable in pairs:
        if not reader.has_tensor(name):
          raise ValueError('checkpoint {} lacks {}'.format(
              checkpoint_files.prefix(run_dir, iteration), name))
        value = reader.get_tensor(name)
        known = values.get(variable.op.name)
        if known is not None and not np.array_equal(known, value):
          raise ValueError('checkpoint {} disagrees with the pack\'s other '
                           'networks on {}'.format(
                               checkpoint_files.prefix(run_dir, iteration), name))
        values[variable.op.name] = value
    return values
