"""Schedules of training: sparsity while pruning, drop fraction, learning rate.

Each schedule is a pure function of the training step. The sparsity
schedules are evaluated in numpy ahead of training (their update steps are
known in advance, so the graph only looks values up); the drop-fraction and
learning-rate schedules give tensors of a step tensor, so they can be built
inside the training loop, where the step changes every iteration.

Steps count optimizer updates done: the mask update "at step t" happens
right after the t-th update, so step 0 is the untrained network.

The module is read without TensorFlow (the configuration checks sparsity
and update schedules against the training length before anything is
built); TensorFlow is imported by the functions that build tensors.
"""

import math

import numpy as np

from lottery_ticket.foundations import choices
from lottery_ticket.foundations.sparse import sparsity_distribution

SPARSITY_SCHEDULES = ('polynomial', 'constant')
DROP_FRACTION_SCHEDULES = ('constant', 'cosine', 'lr')
LR_SCHEDULES = ('constant', 'cosine', 'step')
# OpenLTH's gamma: the factor of each drop of the step schedule.
DEFAULT_DROP_FACTOR = 0.1


class SparsitySchedule(object):
  """Target sparsity at the steps where gradual pruning updates the mask.

  'polynomial' (Zhu & Gupta 2017): from `initial_sparsity` at `begin_step`
  to `final_sparsity` at `end_step`,

    s(t) = final + (initial - final) * (1 - (t - begin) / (end - begin))^exponent,

  applied every `frequency` steps from begin_step, and at end_step itself
  so the final sparsity is always reached. 'constant' prunes once, at
  begin_step, to final_sparsity.

  Attributes:
    kind, initial_sparsity, final_sparsity, begin_step, end_step, frequency,
    exponent: as given.
  """

  def __init__(self, kind, final_sparsity, begin_step, end_step=None,
               frequency=100, initial_sparsity=0.0, exponent=3.0):
    """Validates and stores the schedule.

    Raises:
      ValueError: for an unknown kind, sparsities outside [0, 1), an
        initial sparsity above the final one, negative steps, end_step
        before begin_step or a frequency below 1.
    """
    self.kind = choices.check('sparsity schedule', kind, SPARSITY_SCHEDULES)
    self.final_sparsity = sparsity_distribution.check_sparsity(
        final_sparsity, 'final sparsity')
    self.initial_sparsity = sparsity_distribution.check_sparsity(
        initial_sparsity, 'initial_sparsity')
    self.begin_step = int(begin_step)
    self.end_step = self.begin_step if end_step is None else int(end_step)
    self.frequency = int(frequency)
    self.exponent = float(exponent)
    if self.begin_step < 0:
      raise ValueError('prune_begin_step must be >= 0, got {}'.format(
          self.begin_step))
    if self.kind == 'polynomial' and self.end_step <= self.begin_step:
      raise ValueError('prune_end_step ({}) must come after prune_begin_step '
                       '({})'.format(self.end_step, self.begin_step))
    if self.frequency < 1:
      raise ValueError('prune_frequency must be >= 1, got {}'.format(
          self.frequency))
    if self.exponent <= 0:
      raise ValueError('prune_exponent must be > 0, got {}'.format(
          self.exponent))
    if (self.kind == 'polynomial' and
        self.initial_sparsity > self.final_sparsity):
      # Pruning never regrows: the run would end at initial_sparsity.
      raise ValueError('--initial_sparsity={} is above the final '
                       '--sparsity={}: pruning only removes weights'.format(
                           self.initial_sparsity, self.final_sparsity))

  def check_fits(self, total_steps):
    """Raises ValueError unless pruning ends within `total_steps`."""
    last = self.end_step if self.kind == 'polynomial' else self.begin_step
    if last > total_steps:
      raise ValueError('pruning ends at step {} but training has only {} '
                       'steps'.format(last, total_steps))

  def target(self, step):
    """The schedule's sparsity formula at `step` (no rounding to updates)."""
    if self.kind == 'constant':
      return self.final_sparsity if step >= self.begin_step else 0.0
    if step < self.begin_step:
      return 0.0
    progress = min(1.0, (step - self.begin_step) /
                   float(self.end_step - self.begin_step))
    return (self.final_sparsity + (self.initial_sparsity - self.final_sparsity)
            * (1.0 - progress) ** self.exponent)

  def update_steps(self, total_steps=None):
    """The steps at which the mask is pruned, ascending."""
    if self.kind == 'constant':
      steps = [self.begin_step]
    else:
      steps = list(range(self.begin_step, self.end_step + 1, self.frequency))
      if steps[-1] != self.end_step:
        steps.append(self.end_step)
    if total_steps is not None:
      steps = [s for s in steps if s <= total_steps]
    return steps

  def sparsity_at(self, step):
    """The sparsity the mask has after step `step` (0 before any pruning)."""
    done = [s for s in self.update_steps() if s <= step]
    return self.target(done[-1]) if done else 0.0


def cosine_decay(initial, step, decay_steps):
  """initial * (1 + cos(pi * min(step, T) / T)) / 2 as a tensor."""
  import tensorflow.compat.v1 as tf  # pylint: disable=g-import-not-at-top
  decay_steps = max(1, int(decay_steps))
  progress = tf.minimum(tf.cast(step, tf.float32), float(decay_steps))
  return initial * 0.5 * (1.0 + tf.cos(math.pi * progress / decay_steps))


def step_rates(learning_rate, drops, drop_factor=DEFAULT_DROP_FACTOR):
  """The rates of a step schedule: before the first drop, after each.

  learning_rate * drop_factor ** k after the k-th drop, computed once in
  float64 and rounded to float32, so the graph and the numpy twin give the
  same numbers.
  """
  return np.array([float(learning_rate) * float(drop_factor) ** k
                   for k in range(len(drops) + 1)], np.float32)


def check_drops(drops, total_steps=None):
  """`drops` (iterations) as a list, if strictly increasing, above 0 and,
  with `total_steps`, below it.

  Raises:
    ValueError: naming the drop that is out of order or outside training.
  """
  drops = [int(d) for d in drops]
  for index, drop in enumerate(drops):
    if drop < 1:
      raise ValueError('a learning-rate drop at iteration {} drops nothing: '
                       'give iterations after 0'.format(drop))
    if total_steps is not None and drop >= int(total_steps):
      raise ValueError('a learning-rate drop at iteration {} is not within '
                       'the {} training iterations'.format(drop, total_steps))
    if index and drop <= drops[index - 1]:
      raise ValueError('learning-rate drops must be at increasing iterations, '
                       'got {}'.format(drops))
  return drops


def learning_rate_fn(learning_rate, schedule, total_steps, warmup_steps=0,
                     drops=(), drop_factor=DEFAULT_DROP_FACTOR):
  """callable(step tensor) -> learning rate tensor.

  Args:
    learning_rate: the peak rate.
    schedule: 'constant'; 'cosine' (decay to 0 at total_steps); or 'step'
      (multiplied by drop_factor at each of `drops`: the update at step t
      uses learning_rate * drop_factor ** (number of drops <= t), as
      OpenLTH's milestone_steps and gamma do, training/optimizers.py).
    total_steps: the training length in steps.
    warmup_steps: the first steps scale the rate linearly, by
      (step + 1) / warmup_steps, so the first update is already non-zero
      and step warmup_steps - 1 uses the full rate (0: no warm-up). It
      multiplies any schedule.
    drops: 'step': the iterations of the drops, increasing.
    drop_factor: 'step': the factor of each drop.

  Raises:
    ValueError: for an unknown schedule, or 'step' without drops.
  """
  import tensorflow.compat.v1 as tf  # pylint: disable=g-import-not-at-top
  choices.check('learning-rate schedule', schedule, LR_SCHEDULES)
  learning_rate = float(learning_rate)
  if schedule == 'cosine':
    base = lambda step: cosine_decay(learning_rate, step, total_steps)
  elif schedule == 'step':
    if not drops:
      raise ValueError("learning-rate schedule 'step' needs drops")
    rates = step_rates(learning_rate, drops, drop_factor)
    bounds = np.asarray(check_drops(drops), np.int64)

    def base(step):  # the constants belong to the graph of the step
      passed = tf.reduce_sum(tf.cast(
          tf.cast(step, tf.int64) >= tf.constant(bounds), tf.int32))
      return tf.gather(tf.constant(rates), passed)
  else:
    base = lambda step: tf.constant(learning_rate, tf.float32)
  warmup_steps = int(warmup_steps)
  if warmup_steps <= 0:
    return base

  def warmed_up(step):
    ramp = (tf.cast(step, tf.float32) + 1.0) / float(warmup_steps)
    return base(step) * tf.minimum(ramp, 1.0)
  return warmed_up


def learning_rate_np(learning_rate, schedule, total_steps, step,
                     warmup_steps=0, drops=(), drop_factor=DEFAULT_DROP_FACTOR):
  """The numpy twin of learning_rate_fn: the rate of the update at `step`."""
  choices.check('learning-rate schedule', schedule, LR_SCHEDULES)
  rate = float(learning_rate)
  if schedule == 'cosine':  # cosine_decay's arithmetic, in float64
    decay_steps = max(1, int(total_steps))
    progress = min(float(step), float(decay_steps))
    rate = rate * 0.5 * (1.0 + math.cos(math.pi * progress / decay_steps))
  elif schedule == 'step':
    passed = sum(1 for drop in check_drops(drops) if int(step) >= drop)
    rate = float(step_rates(rate, drops, drop_factor)[passed])
  if int(warmup_steps) > 0:
    rate *= min((float(step) + 1.0) / float(warmup_steps), 1.0)
  return rate


def drop_fraction_fn(schedule, initial, end_step, lr_fn=None, peak_lr=None):
  """callable(step tensor) -> fraction of active weights a mask update drops.

  Args:
    schedule: 'constant'; 'cosine' (from `initial` at step 0 to 0 at
      end_step); or 'lr' (initial * lr(step) / lr(0), following the
      learning rate, as in the gradient-flow paper's configurations).
    initial: the drop fraction at step 0, in [0, 1].
    end_step: the last step with a mask update.
    lr_fn: the learning-rate function (needed by 'lr').
    peak_lr: the rate 'lr' is relative to (default lr_fn at step 0; give the
      peak rate when the schedule warms up).

  Raises:
    ValueError: for an unknown schedule or a fraction outside [0, 1].
  """
  import tensorflow.compat.v1 as tf  # pylint: disable=g-import-not-at-top
  choices.check('drop-fraction schedule', schedule, DROP_FRACTION_SCHEDULES)
  initial = float(initial)
  if not 0.0 <= initial <= 1.0:
    raise ValueError('drop_fraction must be in [0, 1], got {}'.format(initial))
  if schedule == 'cosine':
    return lambda step: cosine_decay(initial, step, end_step)
  if schedule == 'lr':
    if lr_fn is None:
      raise ValueError("drop-fraction schedule 'lr' needs a learning rate")
    start = (lr_fn(tf.constant(0, tf.int64)) if peak_lr is None
             else tf.constant(float(peak_lr), tf.float32))
    return lambda step: initial * lr_fn(step) / tf.maximum(start, 1e-12)
  return lambda step: tf.constant(initial, tf.float32)


def update_steps(frequency, end_step, total_steps):
  """Steps of a periodic mask update: frequency, 2 * frequency, ... <= end.

  Raises:
    ValueError: if frequency < 1.
  """
  frequency = int(frequency)
  if frequency < 1:
    raise ValueError('update_freq must be >= 1, got {}'.format(frequency))
  last = min(int(end_step), int(total_steps))
  return list(range(frequency, last + 1, frequency))


def lookup(steps, step):
  """In-graph: (is step one of `steps`, its index there, or 0).

  Args:
    steps: a non-empty ascending list of ints.
    step: an integer step tensor.
  """
  import tensorflow.compat.v1 as tf  # pylint: disable=g-import-not-at-top
  table = tf.constant(np.asarray(steps, np.int64))
  matches = tf.equal(table, tf.cast(step, tf.int64))
  return (tf.reduce_any(matches),
          tf.cast(tf.argmax(tf.cast(matches, tf.int32)), tf.int32))
