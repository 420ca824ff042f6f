"""Checkpoints of a pack: one per network, as that network trained alone writes.

Each network's run directory gets `checkpoints/model-{k}` holding that
network's slice of every packed variable (kernels, masks, biases and their
optimizer slots) and the variables the pack shares (the global step, Adam's
beta powers), under the names an unpacked trainer's Saver uses
(model/layer0_w, model/layer0_w/Adam, global_step, ...), and the
`checkpoint` index that tf.train.latest_checkpoint reads. So a packed
network's checkpoint can be resumed by an unpacked run, read by `analysis`,
and resumed packed again: the pack continues from the latest iteration that
every one of its networks has a checkpoint (and records) for.
"""

import glob
import os

import numpy as np
import tensorflow.compat.v1 as tf

from lottery_ticket.foundations import paths

PREFIX = 'model'


def records_path(run_dir, iteration):
  """The records saved with the checkpoint of `iteration` (as trainer.train)."""
  return os.path.join(paths.checkpoints(run_dir),
                      'records-{}.json'.format(int(iteration)))


def _prefix(run_dir, iteration):
  return os.path.join(paths.checkpoints(run_dir),
                      '{}-{}'.format(PREFIX, int(iteration)))


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
    iteration = int(path.rsplit('-', 1)[1])
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

  def __init__(self, model, optimizer):
    """Builds one save op per network.

    Call once the optimizer's slots exist; every global variable is then
    either a packed variable (a model variable or its slot) or shared.

    Args:
      model: a packed model.
      optimizer: the optimizer whose slots belong to the model's variables.
    """
    self._num = model.num_networks
    packed = model.trainable_variables + list(model.masks.values())
    packed_names = {v.op.name for v in packed}
    for variable in list(packed):
      for slot in optimizer.get_slot_names():
        holder = optimizer.get_slot(variable, slot)
        if holder is not None:
          packed_names.add(holder.op.name)
    self.variables = sorted(tf.global_variables(), key=lambda v: v.op.name)
    self._packed = [v.op.name in packed_names for v in self.variables]
    names = [v.op.name for v in self.variables]
    self._prefix = tf.placeholder(tf.string, [], name='checkpoint_prefix')
    self._saves = []
    with tf.name_scope('packed_save'):
      for index in range(self._num):
        tensors = [v[index] if is_packed else v.read_value()
                   for v, is_packed in zip(self.variables, self._packed)]
        self._saves.append(tf.raw_ops.SaveV2(
            prefix=self._prefix, tensor_names=names,
            shape_and_slices=[''] * len(names), tensors=tensors))

  def save(self, sess, run_dirs, iteration, keep=2):
    """Writes each network's checkpoint of `iteration`, index last.

    Args:
      sess: the session.
      run_dirs: the N run directories.
      iteration: the training iteration.
      keep: how many checkpoints to keep per network (0 keeps all).
    """
    for index, run_dir in enumerate(run_dirs):
      directory = os.path.abspath(paths.checkpoints(run_dir))
      os.makedirs(directory, exist_ok=True)
      sess.run(self._saves[index], {self._prefix: _prefix(run_dir, iteration)})
      state = tf.train.get_checkpoint_state(directory)
      listed = [p for p in (state.all_model_checkpoint_paths if state else [])
                if int(p.rsplit('-', 1)[1]) != int(iteration)]
      listed.append(_prefix(run_dir, iteration))
      dropped = listed[:-keep] if keep else []
      kept = listed[-keep:] if keep else listed
      tf.train.update_checkpoint_state(
          directory, os.path.basename(kept[-1]),
          all_model_checkpoint_paths=[os.path.basename(p) for p in kept])
      for path in dropped:
        for name in glob.glob(os.path.join(directory,
                                           os.path.basename(path) + '.*')):
          os.remove(name)

  def read(self, run_dirs, iteration):
    """The packed values of every variable, from the checkpoints of `iteration`.

    Returns:
      dict variable -> numpy array of its (packed or shared) shape.

    Raises:
      ValueError: if a checkpoint lacks a variable or disagrees on a shared
        one (the networks were not at the same step).
    """
    readers = [tf.train.load_checkpoint(_prefix(d, iteration)) for d in run_dirs]
    values = {}
    for variable, is_packed in zip(self.variables, self._packed):
      name = variable.op.name
      for run_dir, reader in zip(run_dirs, readers):
        if not reader.has_tensor(name):
          raise ValueError('checkpoint {} lacks {}'.format(
              _prefix(run_dir, iteration), name))
      found = [reader.get_tensor(name) for reader in readers]
      if is_packed:
        values[variable] = np.stack(found)
      else:
        for run_dir, value in zip(run_dirs[1:], found[1:]):
          if not np.array_equal(value, found[0]):
            raise ValueError('checkpoint {} disagrees with {} on {}'.format(
                _prefix(run_dir, iteration), _prefix(run_dirs[0], iteration),
                name))
        values[variable] = found[0]
    return values
