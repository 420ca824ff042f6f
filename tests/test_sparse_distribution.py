"""Sparsity distributions, random and shuffled masks (numpy only)."""

import numpy as np
import pytest

from lottery_ticket.foundations.sparse import sparsity_distribution as dist

SHAPES = {'conv0': [5, 5, 1, 6], 'conv1': [5, 5, 6, 16], 'fc0': [256, 120],
          'fc1': [120, 84], 'fc2': [84, 10]}
TOTAL = sum(int(np.prod(s)) for s in SHAPES.values())


@pytest.mark.parametrize('sparsity', [0.0, 0.5, 0.8, 0.9, 0.95, 0.99])
def test_erk_counts_sum_to_the_target(sparsity):
  counts = dist.layer_counts(SHAPES, sparsity, 'erk')
  assert sum(counts.values()) == int(round((1 - sparsity) * TOTAL))
  for name, count in counts.items():
    assert 1 <= count <= np.prod(SHAPES[name])


def test_erk_gives_small_layers_higher_density():
  counts = dist.layer_counts(SHAPES, 0.9, 'erk')
  densities = {n: c / np.prod(SHAPES[n]) for n, c in counts.items()}
  # fc0 is the largest layer by far and has the smallest raw ERK density.
  assert densities['fc0'] == min(densities.values())
  raw = {n: dist.erk_raw_density(s) for n, s in SHAPES.items()}
  free = [n for n in SHAPES if densities[n] < 1.0]
  ratios = [densities[n] / raw[n] for n in free]
  np.testing.assert_allclose(ratios, ratios[0], rtol=0.02)


def test_erk_keeps_a_layer_dense_when_its_share_exceeds_one():
  shapes = {'big': [1000, 1000], 'small': [10, 10]}
  counts = dist.layer_counts(shapes, 0.5, 'erk')
  assert counts['small'] == 100
  assert counts['big'] == int(round(0.5 * 1000100)) - 100


def test_uniform_counts_are_per_layer():
  counts = dist.layer_counts(SHAPES, 0.9)
  for name, shape in SHAPES.items():
    assert counts[name] == max(1, int(round(0.1 * np.prod(shape))))


@pytest.mark.parametrize('bad', [1.0, -0.1, 1.5, 'x', None])
def test_sparsity_outside_the_interval_is_rejected(bad):
  with pytest.raises(ValueError, match='sparsity'):
    dist.layer_counts(SHAPES, bad, 'uniform')


def test_unknown_distribution_is_named():
  with pytest.raises(ValueError, match="No such sparsity distribution: 'er'"):
    dist.layer_counts(SHAPES, 0.5, 'er')


def test_random_masks_have_exact_counts_and_depend_on_the_seed():
  counts = dist.layer_counts(SHAPES, 0.8, 'erk')
  masks = dist.random_masks(SHAPES, counts, seed=3)
  again = dist.random_masks(SHAPES, counts, seed=3)
  other = dist.random_masks(SHAPES, counts, seed=4)
  for name in SHAPES:
    assert masks[name].shape == tuple(SHAPES[name])
    assert masks[name].sum() == counts[name]
    np.testing.assert_array_equal(masks[name], again[name])
  assert any(not np.array_equal(masks[n], other[n]) for n in SHAPES)


def test_shuffled_masks_keep_layer_counts_and_move_weights():
  masks = dist.random_masks(SHAPES, dist.layer_counts(SHAPES, 0.7), seed=0)
  shuffled = dist.shuffle_masks(masks, seed=1)
  for name in SHAPES:
    assert shuffled[name].sum() == masks[name].sum()
  assert not np.array_equal(shuffled['fc0'], masks['fc0'])
