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


def test_completed_levels_are_not_trained_again():
  calls = []
  dataset, make_model, train_model, prune, _ = _make(calls)
  experiment.experiment(dataset, make_model, train_model, prune, 3)
  finished = {}
  for level, presets, masks in calls[:2]:
    finished[level] = (None, None, masks)
  reference = calls[:]
  calls.clear()
  # Levels 0 and 1 "on disk": recompute their outputs with a fresh fake.
  store = []
  dataset2, make_model2, train_model2, prune2, _ = _make(store)
  outputs = {}

  def completed(level):
    if level > 1:
      return None
    if level not in outputs:
      model = _FakeModel(reference[level][1], reference[level][2])
      initial, final = train_model2(None, level, None, model)
      outputs[level] = (initial, final, reference[level][2])
    return outputs[level]

  experiment.experiment(dataset, make_model, train_model, prune, 3,
                        completed_level=completed)
  assert [c[0] for c in calls] == [2, 3]
  for (level, _, masks), (ref_level, _, ref_masks) in zip(calls, reference[2:]):
    assert level == ref_level
    for name in masks:
      np.testing.assert_array_equal(masks[name], ref_masks[name])
