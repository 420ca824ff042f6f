"""The level loop, driven by fake trials: levels, resets, resuming, packs."""

import numpy as np

from lottery_ticket.foundations import experiment
from lottery_ticket.foundations import pruning

PERCENTS = {'layer0': .2, 'layer1': .1}


class _FakeTrial(experiment.Trial):
  """A trial whose 'training' is arithmetic on its starting weights, and
  whose finished levels are the dict `stored`."""

  def __init__(self, seed, stored=None):
    rng = np.random.default_rng(seed)
    self.init = {'layer0': rng.normal(size=(10, 10)),
                 'layer1': rng.normal(size=(10, 2))}
    self.stored = dict(stored or {})
    self.outputs = {}

  def finished(self, level):
    return self.stored.get(level)

  def prune(self, level, masks, final_weights):
    self.pruned = getattr(self, 'pruned', []) + [level]
    return pruning.prune_by_percent(PERCENTS, masks, final_weights)

  def reset(self, initial_weights):
    return initial_weights

  def start(self, reset_weights, previous_final):
    return reset_weights

  def train(self, level, job):
    start = job.presets or self.init
    mask = job.masks or {k: np.ones_like(v) for k, v in self.init.items()}
    initial = {k: v * mask[k] for k, v in start.items()}
    final = {k: (v + 0.5 * level + 1.0) * mask[k] for k, v in start.items()}
    self.outputs[level] = (initial, final, job.masks)
    return initial, final


def _packs(calls, diverge=()):
  """train_pack recording (level, [trial ids]); trials in `diverge` (by
  (level, id)) return an error instead of weights."""
  def train_pack(level, jobs):
    calls.append((level, [id(job.trial) for job in jobs], jobs))
    return [ValueError('diverged') if (level, id(job.trial)) in diverge
            else job.trial.train(level, job) for job in jobs]
  return train_pack


def _assert_same(weights, expected):
  assert sorted(weights) == sorted(expected)
  for name in expected:
    np.testing.assert_array_equal(weights[name], expected[name])


def test_levels_prune_and_reset_to_the_initial_weights():
  trial, calls = _FakeTrial(0), []
  results, errors = experiment.experiment([trial], 3, _packs(calls))
  assert not errors
  assert [c[0] for c in calls] == [0, 1, 2, 3]
  assert calls[0][2][0].presets is None and calls[0][2][0].masks is None
  for level, _, (job,) in calls[1:]:
    _assert_same(job.presets, trial.outputs[0][0])
    assert abs(job.masks['layer0'].mean() - 0.8 ** level) < 0.02
  masks, final = results[0]
  assert abs(masks['layer1'].mean() - 0.9 ** 3) < 0.05
  _assert_same(final, trial.outputs[3][1])


def test_completed_levels_are_not_trained_again():
  reference = _FakeTrial(0)
  experiment.experiment([reference], 3, _packs([]))
  resumed, calls = _FakeTrial(0, {0: reference.outputs[0],
                                  1: reference.outputs[1]}), []
  (masks, final), = experiment.experiment([resumed], 3, _packs(calls))[0]
  assert [c[0] for c in calls] == [2, 3]
  assert resumed.pruned == [2, 3]  # each level pruned knowing its number
  for level in (2, 3):
    for got, expected in zip(resumed.outputs[level], reference.outputs[level]):
      _assert_same(got, expected)
  _assert_same(masks, reference.outputs[3][2])
  _assert_same(final, reference.outputs[3][1])


def test_a_completed_level_supplies_the_weights_pruned_next():
  rng = np.random.default_rng(1)
  trial = _FakeTrial(0)
  stored_final = {k: rng.normal(size=v.shape) for k, v in trial.init.items()}
  stored_initial = {k: v + 3.0 for k, v in trial.init.items()}
  trial.stored = {0: (stored_initial, stored_final, None)}
  calls = []
  experiment.experiment([trial], 1, _packs(calls))
  (level, _, (job,)), = calls
  assert level == 1
  _assert_same(job.presets, stored_initial)
  _assert_same(job.masks, pruning.prune_by_percent(PERCENTS, None,
                                                   stored_final))


def test_trials_at_different_levels_catch_up_in_one_pack():
  ahead = _FakeTrial(0)
  experiment.experiment([ahead], 1, _packs([]))
  ahead = _FakeTrial(0, {0: ahead.outputs[0], 1: ahead.outputs[1]})
  behind, calls = _FakeTrial(1), []
  results, _ = experiment.experiment([ahead, behind], 2, _packs(calls))
  assert [(c[0], c[1]) for c in calls] == [
      (0, [id(behind)]), (1, [id(behind)]), (2, [id(ahead), id(behind)])]
  # Each trial pruned and reset from its own levels.
  assert results[0][1] is ahead.outputs[2][1]
  _assert_same(calls[2][2][0].presets, ahead.stored[0][0])
  _assert_same(calls[2][2][1].presets, behind.outputs[0][0])


def test_a_diverged_trial_leaves_and_the_others_go_on():
  first, second, calls = _FakeTrial(0), _FakeTrial(1), []
  results, errors = experiment.experiment(
      [first, second], 2, _packs(calls, diverge={(1, id(first))}))
  assert [(c[0], c[1]) for c in calls] == [
      (0, [id(first), id(second)]), (1, [id(first), id(second)]),
      (2, [id(second)])]
  assert results[0] is None and results[1] is not None
  assert list(errors) == [0] and str(errors[0]) == 'diverged'


def test_level_0_starts_from_the_presets_given():
  trial, calls = _FakeTrial(0), []
  presets = {k: v * 2 for k, v in trial.init.items()}
  experiment.experiment([trial], 0, _packs(calls), presets=presets)
  (_, _, (job,)), = calls
  assert job.presets is presets and job.masks is None
