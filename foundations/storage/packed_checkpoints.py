"""Checkpoints of a pack: one per network, as a lone run of it writes.

Each network's run directory gets `checkpoints/model-{k}` holding that
network's variables under a lone run's names: its slice of every packed
variable (model/layer0_w, model/layer0_m, model/layer0_b, a batch norm's
scale, shift and moving statistics, and the optimizer slots beside them,
model/layer0_w/Adam), its hooks' own variables (their
network{i}/ prefix dropped), and what the pack shares (the global step,
Adam's beta powers), written with its records, hashes and index by
checkpoint_files. So a network's checkpoint is read by `analysis` as any
other run's, and a pack resumes from the latest iteration that every one
of its networks has a verified checkpoint for, whatever pack wrote them.
"""

import numpy as np
import tensorflow.compat.v1 as tf

from lottery_ticket.foundations.storage import checkpoint_files
from lottery_ticket.foundations.models import packed_model
from lottery_ticket.foundations import save_restore


class PackedCheckpoints(object):
  """Writes and reads the per-network checkpoints of a pack."""

  def __init__(self, model, optimizer):
    """Builds one save op per network.

    Call once every variable exists (the optimizer's slots and the hooks'
    variables included): each global variable is then packed (the model's
    and their slots), network i's own (named network{i}/...) or shared.

    Args:
      model: the packed model.
      optimizer: the pack's optimizer.
    """
    num = model.num_networks
    packed = (list(model.trainable_variables) + list(model.masks.values()) +
              list(model.state_variables))
    packed += [optimizer.get_slot(v, name) for v in model.trainable_variables
               for name in optimizer.get_slot_names()
               if optimizer.get_slot(v, name) is not None]
    self._packed = {v.op.name for v in packed}
    prefixes = [packed_model.prefix(i) for i in range(num)]
    shared = [v for v in tf.global_variables()
              if v.op.name not in self._packed and
              not any(v.op.name.startswith(p) for p in prefixes)]
    self._variables = []  # per network: (lone name, variable, tensor)
    for index, start in enumerate(prefixes):
      own = [(packed_model.unpacked_name(v.op.name, index), v, v.read_value())
             for v in tf.global_variables() if v.op.name.startswith(start)]
      own += [(v.op.name, v, v.read_value()[index]) for v in packed]
      own += [(v.op.name, v, v.read_value()) for v in shared]
      self._variables.append(sorted(own, key=lambda item: item[0]))
    self._prefix = tf.placeholder(tf.string, [], name='checkpoint_prefix')
    self._saves = []
    with tf.name_scope('packed_save'):
      for items in self._variables:
        self._saves.append(tf.raw_ops.SaveV2(
            prefix=self._prefix, tensor_names=[name for name, _, _ in items],
            shape_and_slices=[''] * len(items),
            tensors=[tensor for _, _, tensor in items]))

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
      save_restore.WriteError: naming the checkpoint that cannot be written.
    """
    for index in range(len(run_dirs)) if indices is None else indices:
      def write_variables(prefix, index=index):
        try:
          self.write(sess, index, prefix)
        except tf.errors.OpError as error:
          raise checkpoint_error(prefix, error) from error
      checkpoint_files.save(run_dirs[index], iteration, records[index],
                            write_variables, keep)

  def write(self, sess, index, prefix):
    """Writes network `index`'s variables as the tensor bundle `prefix`."""
    sess.run(self._saves[index], {self._prefix: prefix})

  def read(self, run_dirs, iteration):
    """Every variable's value, from the networks' checkpoints of `iteration`.

    Returns:
      dict variable name -> numpy array (a packed variable's networks
      stacked).

    Raises:
      ValueError: if a checkpoint lacks a variable or the checkpoints
        disagree on a shared one (the networks were not at the same step).
    """
    values, slices = {}, {}
    for run_dir, items in zip(run_dirs, self._variables):
      where = checkpoint_files.prefix(run_dir, iteration)
      reader = tf.train.load_checkpoint(where)
      for name, variable, _ in items:
        if not reader.has_tensor(name):
          raise ValueError('checkpoint {} lacks {}'.format(where, name))
        value = reader.get_tensor(name)
        if variable.op.name in self._packed:
          slices.setdefault(variable.op.name, []).append(value)
          continue
        known = values.get(variable.op.name)
        if known is not None and not np.array_equal(known, value):
          raise ValueError('checkpoint {} disagrees with the pack\'s other '
                           'networks on {}'.format(where, name))
        values[variable.op.name] = value
    values.update({name: np.stack(parts) for name, parts in slices.items()})
    return values


def checkpoint_error(prefix, error):
  """The one-line WriteError, naming the checkpoint's path prefix, for a
  TensorFlow error while writing its variables."""
  text = (getattr(error, 'message', None) or str(error)).strip()
  first_line = text.splitlines()[0] if text else type(error).__name__
  if (isinstance(error, tf.errors.ResourceExhaustedError) or
      'no space left' in text.lower()):
    return save_restore.out_of_space(prefix)
  return save_restore.WriteError(prefix, OSError(None, first_line))
