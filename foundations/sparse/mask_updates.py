"""Mask updates built into the graph: drop-and-grow (SET, RigL) and pruning.

Every update runs inside the trainer's while loop, after the optimizer step,
under a `tf.cond` that is true only at the scheduled steps; Python is never
on the per-step path and the graph is never rebuilt.

One routine, `DropAndGrow`, does every dynamic-sparsity update. At an
update step with drop fraction f, in each layer with n active weights:

  1. drop the floor(f * n) active weights with the smallest drop score
     (|w| for SET and RigL);
  2. grow floor(f * n) weights, chosen among all weights not kept (so a
     weight just dropped may come straight back), by the largest grow
     score: uniform noise for SET, |gradient| on a fixed batch for RigL,
     -|gradient| for RigL with inverted growth.

So a layer's number of active weights never changes. A weight that is
active after the update but was not before starts at 0 and has its optimizer
slots (momentum, Adam moments) reset to their initial values; a weight that
was dropped is zeroed with its slots too. This keeps the invariant the
foundations rely on: a kernel is exactly 0 wherever its mask is 0.

`MagnitudePruning` is gradual magnitude pruning as the same kind of update:
at each step of a SparsitySchedule, keep the largest-magnitude active
weights of each layer up to a precomputed count.

Among equal scores the lower flat index is chosen first (to drop, or to
grow; see selection.py), and random growth is a stateless function of
(seed, layer, step), so an update is a pure function of the state and the
step and a resumed run makes the same updates as an uninterrupted one.
"""

import math

import numpy as np
import tensorflow.compat.v1 as tf

from lottery_ticket.foundations import choices
from lottery_ticket.foundations.training import fixed_batch as fixed_batch_lib
from lottery_ticket.foundations.training import graph_mode  # pylint: disable=unused-import
from lottery_ticket.foundations.models import packed_model
from lottery_ticket.foundations.training import schedules
from lottery_ticket.foundations.sparse import selection

# The value a fresh optimizer slot holds: RMSProp's mean square starts at 1
# (so its first steps are not huge); every other slot we know starts at 0.
_SLOT_INITIAL_VALUES = {'rms': 1.0}

GROWTH = ('random', 'gradient', 'inverted_gradient')
# What the record of each update holds, and the split it is recorded under.
COLUMNS = ('fraction', 'grad_norm_before', 'grad_norm_after', 'moved')
SPLIT = 'mask_updates'


def optimizer_slots(optimizer, variable):
  """[(name, slot)] of `variable`'s slots under `optimizer`, by name ([] for
  no optimizer)."""
  if optimizer is None:
    return []
  found = [(name, packed_model.slot(optimizer, variable, name))
           for name in sorted(optimizer.get_slot_names())]
  return [(name, slot) for name, slot in found if slot is not None]


class UpdateHistory(object):
  """One row per scheduled update: its step and COLUMNS, written inside the
  graph.

  Mask updates run inside the trainer's while loop, so Python never sees
  them happen. Each update writes one row of a (checkpointed) variable; the
  rows are read back at record points and appended to the run's records
  under the split 'mask_updates'. Because the variable is checkpointed, a
  resumed run still reports the updates made before it was killed.

  Attributes:
    steps: the scheduled update steps.
  """

  def __init__(self, steps, name='mask_update_history'):
    self.steps = [int(s) for s in steps]
    rows = max(1, len(self.steps))
    self._done = tf.get_variable(name + '_done', [rows], tf.bool,
                                 initializer=tf.zeros_initializer(),
                                 trainable=False, use_resource=True)
    self._values = tf.get_variable(name, [rows, len(COLUMNS)], tf.float32,
                                   initializer=tf.zeros_initializer(),
                                   trainable=False, use_resource=True)

  def write(self, row, values):
    """An op storing `values` (dict column -> scalar tensor) at `row`."""
    vector = tf.stack([tf.cast(values.get(c, np.nan), tf.float32)
                       for c in COLUMNS])
    return tf.group(
        tf.scatter_update(self._values, [row], vector[None, :]),
        tf.scatter_update(self._done, [row], [True]))

  def read(self, sess):
    """[(step, {column: value})] for the updates done so far."""
    done, values = sess.run([self._done, self._values])
    return [(step, {c: None if math.isnan(v) else float(v)
                    for c, v in zip(COLUMNS, row)})
            for step, finished, row in zip(self.steps, done, values)
            if finished]

  def record_new(self, sess, iteration, recorder):
    """Adds to recorder the updates at steps <= iteration not yet recorded."""
    existing = recorder.records.get(SPLIT) or []
    last = existing[-1]['iteration'] if existing else 0
    for step, values in self.read(sess):
      if last < step <= iteration:
        recorder.add(SPLIT, step, values)


# Updaters ----------------------------------------------------------------

class MaskUpdater(object):
  """Updates a model's masks in the graph at a fixed list of steps.

  In each layer an update drops the active weights of smallest magnitude,
  as many as `_dropped(row, index, alive, fraction)` says (alive: the
  layer's active weights), and grows as many by `_grow_scores(step, after)`
  (None: nothing grows). Subclasses implement `_dropped` and
  `_fraction(step, row)`, the fraction tensor of the record.

  Attributes:
    model: the ModelBase whose masks change.
    steps: the update steps (ascending, all >= 1).
    history: the UpdateHistory the updates write to.
  """

  def __init__(self, model, steps, optimizer=None, probe=None):
    """Sets up the updater (its variables are created here).

    Args:
      model: a ModelBase.
      steps: the steps at which to update.
      optimizer: the optimizer whose slots are reset for changed weights.
      probe: optional FixedBatch on which the gradient norm is measured just
        before and just after each update.
    """
    self.model = model
    self.steps = sorted(int(s) for s in steps if int(s) >= 1)
    self.history = UpdateHistory(self.steps)
    self._optimizer = optimizer
    self._probe = probe

  def _grad_norm(self, after):
    if self._probe is None:
      return tf.constant(np.nan, tf.float32)
    with tf.control_dependencies(after):
      grads = fixed_batch_lib.trainable_gradients(self.model, self._probe)
    return fixed_batch_lib.global_norm(list(grads.values()))

  def update(self, step, row=0):
    """An op that updates the masks now, as at `step`, and logs it at `row`."""
    model = self.model
    names = model.layer_names
    old = {n: model.masks[n].read_value() > 0 for n in names}
    before = self._grad_norm(list(old.values()))
    new, fraction = self._new_masks(step, row, old,
                                    [before] + list(old.values()))
    writes = []
    moved = []
    for name in names:
      kernel, mask = model.kernels[name], model.masks[name]
      stay = tf.logical_and(new[name], old[name])
      moved.append(tf.reduce_sum(tf.cast(
          tf.logical_and(new[name], tf.logical_not(old[name])), tf.float32)))
      writes.append(kernel.assign(tf.where(stay, kernel.read_value(),
                                           tf.zeros(kernel.shape))))
      for slot_name, slot in optimizer_slots(self._optimizer, kernel):
        writes.append(slot.assign(tf.where(stay, slot.read_value(), tf.fill(
            slot.shape, _SLOT_INITIAL_VALUES.get(slot_name, 0.0)))))
      writes.append(mask.assign(tf.cast(new[name], mask.dtype)))
    after = self._grad_norm(writes)
    log = self.history.write(row, {
        'fraction': fraction, 'grad_norm_before': before,
        'grad_norm_after': after, 'moved': tf.add_n(moved)})
    with tf.control_dependencies(writes + [log]):
      return tf.identity(tf.cast(step, tf.int64))

  def after_step(self, global_step):
    """The trainer's after_step hook: update when the step is scheduled."""
    if not self.steps:
      return None
    step = global_step.read_value()
    is_update, row = schedules.lookup(self.steps, step)
    # The update is one function call in the graph: a v1 cond still walks
    # every op of the branch it does not take, which would cost each of the
    # other steps about as much as a few hundred small ops.
    update = tf.function(self.update, autograph=False)
    return tf.cond(is_update, lambda: update(step, row),
                   lambda: tf.cast(step, tf.int64))

  def _grow_scores(self, step, after):
    del step, after
    return None

  def _new_masks(self, step, row, old, after):
    """(dict layer -> new bool mask, the fraction tensor of the record)."""
    model = self.model
    fraction = self._fraction(step, row)
    with tf.control_dependencies(after):
      drop_scores = {n: tf.abs(model.kernels[n].read_value())
                     for n in model.layer_names}
    grow_scores = self._grow_scores(step, after + list(drop_scores.values()))
    new = {}
    for index, name in enumerate(model.layer_names):
      active = tf.reshape(old[name], [-1])
      alive = tf.reduce_sum(tf.cast(active, tf.int32))
      dropped = self._dropped(row, index, alive, fraction)
      drop = selection.choose_largest(
          -tf.reshape(drop_scores[name], [-1]), active, dropped)
      keep = tf.logical_and(active, tf.logical_not(drop))
      if grow_scores is not None:
        keep = tf.logical_or(keep, selection.choose_largest(
            tf.reshape(grow_scores[name], [-1]), tf.logical_not(keep),
            dropped))
      new[name] = tf.reshape(keep, tf.shape(old[name]))
    return new, fraction


class DropAndGrow(MaskUpdater):
  """The drop-and-grow update (SET, RigL, RigL inverted); see
  drop_and_grow."""

  def __init__(self, model, steps, drop_fraction_fn, growth, batch, seed,
               optimizer=None, probe=None):
    super(DropAndGrow, self).__init__(model, steps, optimizer, probe)
    self._drop_fraction_fn = drop_fraction_fn
    self._growth = growth
    self._batch = batch
    self._seed = seed

  def _fraction(self, step, row):
    del row
    return tf.clip_by_value(
        tf.cast(self._drop_fraction_fn(step), tf.float32), 0.0, 1.0)

  def _dropped(self, row, index, alive, fraction):
    del row, index
    return tf.cast(tf.floor(tf.cast(alive, tf.float32) * fraction), tf.int32)

  def _grow_scores(self, step, after):
    """SET's stateless uniform noise of (seed, layer, step), or RigL's
    |d loss / d weight| on the fixed batch (minus it, inverted).

    The trainer's kernels are masked, so the gradient w.r.t. a kernel is
    zero wherever its mask is 0, yet growth needs the gradient exactly
    there. Since every pruned kernel entry is exactly 0, setting the masks
    to one leaves the network's function unchanged and makes d loss /
    d kernel the full dense gradient; the masks are overwritten with the new
    ones right after.
    """
    model = self.model
    names = model.layer_names
    if self._growth == 'random':
      out = {}
      for index, name in enumerate(names):
        key = tf.stack([tf.constant(int(self._seed) * 1000 + index, tf.int64),
                        tf.cast(step, tf.int64)])
        out[name] = tf.random.stateless_uniform(
            model.kernels[name].shape, seed=key)
      return out
    masks = model.masks
    with tf.control_dependencies(after):
      ones = [masks[n].assign(tf.ones(masks[n].shape)) for n in names]
    with tf.control_dependencies(ones):
      kernels = [model.kernels[n] for n in names]
      grads = packed_model.gradients(self._batch.loss(model), kernels)
    sign = -1.0 if self._growth == 'inverted_gradient' else 1.0
    return {n: sign * tf.abs(g) for n, g in zip(names, grads)}


class MagnitudePruning(MaskUpdater):
  """Gradual magnitude pruning to precomputed per-layer counts."""

  def __init__(self, model, steps, counts, fractions, optimizer=None,
               probe=None):
    """Sets up the pruning.

    Args:
      model: a ModelBase.
      steps: the pruning steps (>= 1).
      counts: dict layer -> list of weights to keep, one per step.
      fractions: the overall target sparsity at each step (recorded).
      optimizer, probe: see MaskUpdater.
    """
    steps = [int(s) for s in steps]
    if any(len(counts[n]) != len(steps) for n in counts) or len(
        fractions) != len(steps):
      raise ValueError('MagnitudePruning needs one count and fraction per step')
    super(MagnitudePruning, self).__init__(model, steps, optimizer, probe)
    order = np.argsort(steps, kind='stable')
    self._counts = tf.constant(np.array(
        [[counts[n][i] for n in model.layer_names] for i in order], np.int32))
    self._fractions = tf.constant(np.array(fractions, np.float32)[order])

  def _fraction(self, step, row):
    del step
    return tf.gather(self._fractions, row)

  def _dropped(self, row, index, alive, fraction):
    del fraction
    return tf.maximum(alive - tf.gather(self._counts, row)[index], 0)


def drop_and_grow(model, growth, steps, drop_fraction_fn, batch=None, seed=0,
                  optimizer=None, probe=None):
  """The drop-and-grow update of a growth criterion (module docstring).

  Args:
    model: a ModelBase.
    growth: 'random' (SET), 'gradient' (RigL) or 'inverted_gradient'.
    steps: update steps.
    drop_fraction_fn: callable(step tensor) -> fraction of each layer's
      active weights to drop (and grow back).
    batch: the FixedBatch of gradient growth.
    seed: the seed of random growth.
    optimizer, probe: see MaskUpdater.

  Raises:
    ValueError: for an unknown growth name or a missing batch.
  """
  choices.check('growth criterion', growth, GROWTH)
  if growth != 'random' and batch is None:
    raise ValueError('gradient growth needs a fixed batch')
  return DropAndGrow(model, steps, drop_fraction_fn, growth, batch, seed,
                     optimizer, probe)
