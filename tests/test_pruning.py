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


# The lottery pruning strategies -------------------------------------------


def _np_smallest(values, alive, count):
  """numpy twin: flat positions of the `count` smallest alive values."""
  positions = np.flatnonzero(alive)
  order = np.argsort(values[positions], kind='stable')
  return positions[order[:count]]


def _np_global(weights, names, rate):
  """One magnitude ranking over `names` (all alive), as flat masks."""
  flat = np.concatenate([np.abs(weights[n]).ravel() for n in names])
  keep = np.ones(flat.size)
  keep[_np_smallest(flat, keep, int(round(rate * flat.size)))] = 0
  out, start = {}, 0
  for name in names:
    size = weights[name].size
    out[name] = keep[start:start + size].reshape(weights[name].shape)
    start += size
  return out


def test_global_ranks_the_hidden_layers_and_prunes_the_output_at_its_rate():
  weights = _weights(3)
  weights['layer2'] = weights['layer2'] * 0.01  # tiny: global would empty it
  masks = pruning.make_prune_masks('global', PERCENTS, seed=0)(None, weights)
  expected = _np_global(weights, ['layer0', 'layer1'], 0.2)
  for name in ('layer0', 'layer1'):
    np.testing.assert_array_equal(masks[name], expected[name])
  # The output layer: 10% of its 200 weights, its own smallest.
  output = np.ones(200)
  output[_np_smallest(np.abs(weights['layer2']).ravel(), output, 20)] = 0
  np.testing.assert_array_equal(masks['layer2'].ravel(), output)


def test_global_with_output_ranks_every_layer_together():
  weights = _weights(3)
  weights['layer2'] = weights['layer2'] * 0.01
  masks = pruning.make_prune_masks('global_with_output', PERCENTS, seed=0)(
      None, weights)
  expected = _np_global(weights, ['layer0', 'layer1', 'layer2'], 0.2)
  for name in SHAPES:
    np.testing.assert_array_equal(masks[name], expected[name])
  assert masks['layer2'].sum() < 0.8 * 200  # the output layer lost more


def test_layerwise_strategy_is_prune_by_percent_and_levels_compound():
  prune_masks = pruning.make_prune_masks('layerwise', PERCENTS, seed=0)
  masks = None
  for level in (1, 2):
    masks = prune_masks(masks, _weights(level), level)
  # 1920 weights of layer0: 384 go, then round(0.2 * 1536) = 307.
  assert masks['layer0'].sum() == 1920 - 384 - 307
  assert masks['layer2'].sum() == 200 - 20 - 18


def test_random_strategy_draws_a_new_seed_per_level():
  prune_masks = pruning.make_prune_masks('random', PERCENTS, seed=7)
  weights = _weights(0)
  first = prune_masks(None, weights)
  second = prune_masks(first, weights, 2)
  np.testing.assert_array_equal(
      first['layer0'], pruning.prune_random(PERCENTS, None, weights, 7001)[
          'layer0'])
  again = pruning.prune_random(PERCENTS, first, weights, 7002)
  for name in SHAPES:
    np.testing.assert_array_equal(second[name], again[name])


def test_the_registry_names_each_strategy_and_its_source():
  assert pruning.NAMES == ('layerwise', 'global', 'global_with_output',
                           'random')
  for name in pruning.NAMES:
    strategy = pruning.get(name)
    assert strategy.name == name and strategy.follows
  with pytest.raises(ValueError, match="No such pruning strategy: 'magnitude'"):
    pruning.make_prune_masks('magnitude', PERCENTS, 0)
  with pytest.raises(ValueError, match="output layer 'fc9'"):
    pruning.get('global').prune(PERCENTS, None, _weights(0),
                                output_layer='fc9')


@pytest.mark.parametrize('strategy', ['layerwise', 'global',
                                      'global_with_output', 'random'])
@pytest.mark.parametrize('bad', [np.nan, np.inf])
def test_non_finite_weights_are_refused_by_name(strategy, bad):
  weights = _weights(0)
  weights['layer1'][3, 4] = bad
  with pytest.raises(ValueError, match=r"cannot prune 'layer1': 1 of its 600 "
                     r'weights are NaN or infinite'):
    pruning.make_prune_masks(strategy, PERCENTS, 0)(None, weights)
