"""Pruning: exact counts among survivors, no mutation, bad percents named."""

import numpy as np
import pytest

from lottery_ticket.foundations import pruning

SHAPES = {'layer0': (64, 30), 'layer1': (30, 20), 'layer2': (20, 10)}
PERCENTS = {'layer0': .2, 'layer1': .2, 'layer2': .1}


def _weights(seed):
  rng = np.random.default_rng(seed)
  return {k: rng.normal(size=s).astype(np.float32) for k, s in SHAPES.items()}


def test_density_after_k_levels_is_geometric():
  masks = None
  for level in range(1, 8):
    masks = pruning.prune_by_percent(PERCENTS, masks, _weights(level))
    for name, percent in PERCENTS.items():
      size = np.prod(SHAPES[name])
      expected = (1 - percent) ** level
      # Rounding costs at most half a weight per level.
      assert abs(masks[name].mean() - expected) <= level * 0.5 / size + 1e-9


def test_prunes_the_smallest_survivors():
  weights = _weights(0)
  first = pruning.prune_by_percent(PERCENTS, None, weights)
  second = pruning.prune_by_percent(PERCENTS, first, weights)
  for name in PERCENTS:
    w = np.abs(weights[name])
    kept, dropped = w[second[name] == 1], w[second[name] == 0]
    assert kept.min() >= dropped.max()
    assert np.all(second[name] <= first[name])  # pruned stays pruned


def test_inputs_are_not_modified():
  weights = _weights(0)
  masks = {k: np.ones(s, np.float32) for k, s in SHAPES.items()}
  before = {k: v.copy() for k, v in masks.items()}
  pruning.prune_by_percent(PERCENTS, masks, weights)
  pruning.prune_global(0.5, masks, weights)
  pruning.prune_random(PERCENTS, masks, weights, seed=0)
  for name in masks:
    np.testing.assert_array_equal(masks[name], before[name])


def test_global_pruning_uses_one_threshold():
  weights = _weights(1)
  masks = pruning.prune_global(0.6, None, weights)
  alive = sum(m.sum() for m in masks.values())
  total = sum(m.size for m in masks.values())
  assert alive == total - round(0.6 * total)
  kept = np.concatenate([np.abs(weights[k])[masks[k] == 1] for k in masks])
  dropped = np.concatenate([np.abs(weights[k])[masks[k] == 0] for k in masks])
  assert kept.min() >= dropped.max()


def test_random_pruning_matches_layerwise_counts_not_positions():
  weights = _weights(2)
  magnitude = pruning.prune_by_percent(PERCENTS, None, weights)
  random = pruning.prune_random(PERCENTS, None, weights, seed=5)
  again = pruning.prune_random(PERCENTS, None, weights, seed=5)
  for name in PERCENTS:
    assert random[name].sum() == magnitude[name].sum()
    np.testing.assert_array_equal(random[name], again[name])
  assert any((random[k] != magnitude[k]).any() for k in PERCENTS)


@pytest.mark.parametrize('percent', [-0.1, 1.5, 'lots'])
def test_bad_percent_is_named(percent):
  with pytest.raises(ValueError, match='layer0'):
    pruning.prune_by_percent({'layer0': percent}, None, _weights(0))


def test_mismatched_mask_is_refused():
  with pytest.raises(ValueError, match='shape'):
    pruning.prune_by_percent({'layer0': .2}, {'layer0': np.ones((2, 2))},
                             _weights(0))
  with pytest.raises(ValueError, match='layer9'):
    pruning.prune_by_percent({'layer9': .2}, None, _weights(0))
