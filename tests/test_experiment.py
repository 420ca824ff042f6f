"""The experiment loop, driven by fakes: levels, resets, resuming."""

import numpy as np

from lottery_ticket.foundations import experiment
from lottery_ticket.foundations import pruning


class _FakeModel(object):

  def __init__(self, presets, masks):
    self.presets, self.masks = presets, masks


def _make(calls):
  rng = np.random.default_rng(0)
  init = {'layer0': rng.normal(size=(10, 10)), 'layer1': rng.normal(size=(10, 2))}

  class FakeDataset(object):

    def placeholders(self):
      return None, None

  def make_model(inputs, labels, presets=None, masks=None):
    return _FakeModel(presets, masks)

  def train_model(sess, level, dataset, model):
    start = model.presets or init
    mask = model.masks or {k: np.ones_like(v) for k, v in init.items()}
    calls.append((level, model.presets, model.masks))
    final = {k: (v + 0.5 * level + 1.0) * mask[k] for k, v in start.items()}
    return ({k: v * mask[k] for k, v in start.items()}, final)

  prune = lambda masks, final: pruning.prune_by_percent(
      {'layer0': .2, 'layer1': .1}, masks, final)
  return FakeDataset, make_model, train_model, prune, init


def test_levels_prune_and_reset_to_the_initial_weights():
  calls = []
  dataset, make_model, train_model, prune, init = _make(calls)
  masks, _ = experiment.experiment(dataset, make_model, train_model, prune, 3)
  assert [c[0] for c in calls] == [0, 1, 2, 3]
  assert calls[0][1] is None and calls[0][2] is None
  for level, presets, level_masks in calls[1:]:
    for name in init:
      np.testing.assert_array_equal(presets[name], init[name])
    assert abs(level_masks['layer0'].mean() - 0.8 ** level) < 0.02
  assert abs(masks['layer1'].mean() - 0.9 ** 3) < 0.05


def _recording(train_model, outputs):
  """train_model that also keeps each level's (initial, final, masks)."""
  def train(sess, level, dataset, model):
    initial, final = train_model(sess, level, dataset, model)
    outputs[level] = (initial, final, model.masks)
    return initial, final
  return train


def _assert_same(weights, expected):
  assert sorted(weights) == sorted(expected)
  for name in expected:
    np.testing.assert_array_equal(weights[name], expected[name])


def test_completed_levels_are_not_trained_again():
  calls = []
  dataset, make_model, train_model, prune, _ = _make(calls)
  outputs = {}
  masks, final = experiment.experiment(
      dataset, make_model, _recording(train_model, outputs), prune, 3)
  reference = calls[:]
  calls.clear()
  # Levels 0 and 1 finished before a restart: what they stored.
  finished = {level: outputs[level] for level in (0, 1)}
  asked = []

  def completed(level):
    asked.append(level)
    return finished.get(level)

  resumed_masks, resumed_final = experiment.experiment(
      dataset, make_model, train_model, prune, 3, completed_level=completed)
  assert asked == [0, 1, 2, 3]
  assert [c[0] for c in calls] == [2, 3]
  # The levels trained again start exactly as in the uninterrupted run.
  for (_, presets, level_masks), (_, ref_presets, ref_masks) in zip(
      calls, reference[2:]):
    _assert_same(presets, ref_presets)
    _assert_same(level_masks, ref_masks)
  _assert_same(resumed_masks, masks)
  _assert_same(resumed_final, final)


def test_a_completed_level_supplies_the_weights_pruned_next():
  calls = []
  dataset, make_model, train_model, prune, init = _make(calls)
  outputs = {}
  experiment.experiment(dataset, make_model, _recording(train_model, outputs),
                        prune, 1)
  calls.clear()
  # Stored final weights unlike anything the fake trains: level 1's masks
  # must come from them, and later levels reset to the stored initial ones.
  rng = np.random.default_rng(1)
  stored_final = {k: rng.normal(size=v.shape) for k, v in init.items()}
  stored_initial = {k: v + 3.0 for k, v in init.items()}
  experiment.experiment(
      dataset, make_model, train_model, prune, 1,
      completed_level=lambda level: (
          (stored_initial, stored_final, None) if level == 0 else None))
  assert [c[0] for c in calls] == [1]
  _assert_same(calls[0][1], stored_initial)
  _assert_same(calls[0][2], prune(None, stored_final))
  assert not all(np.array_equal(calls[0][2][k], outputs[1][2][k])
                 for k in init)
