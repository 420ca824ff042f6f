"""Pruning masks from trained weights: layerwise, global and random.

Every function prunes among the weights that still survive (mask 1), counts
exactly (`round(percent * survivors)` weights go), breaks magnitude ties by
position so results are deterministic, and returns new masks without touching
its inputs. Layers absent from `percents` keep their masks.
"""

import numpy as np


def check_percent(name, percent):
  """Raises ValueError unless 0 <= percent <= 1."""
  try:
    value = float(percent)
  except (TypeError, ValueError):
    raise ValueError('percent for {!r} is not a number: {!r}'.format(
        name, percent)) from None
  if not 0.0 <= value <= 1.0:
    raise ValueError('percent for {!r} must be in [0, 1], got {}'.format(
        name, percent))
  return value


def _prepare(percents, masks, final_weights):
  """Validates inputs; returns (percents, masks) with ones for missing masks."""
  percents = {k: check_percent(k, v) for k, v in percents.items()}
  masks = dict(masks or {})
  for name in percents:
    if name not in final_weights:
      raise ValueError('cannot prune {!r}: no such weights (have: {})'.format(
          name, ', '.join(sorted(final_weights))))
    shape = np.shape(final_weights[name])
    if name not in masks:
      masks[name] = np.ones(shape, np.float32)
    elif np.shape(masks[name]) != shape:
      raise ValueError('mask {!r} has shape {}, weights have shape {}'.format(
          name, np.shape(masks[name]), shape))
  return percents, {k: np.asarray(v, np.float32).copy() for k, v in masks.items()}


def _smallest_alive(scores, mask, count):
  """Flat indices of the `count` smallest scores among surviving positions."""
  alive = np.flatnonzero(mask.ravel())
  if count <= 0 or alive.size == 0:
    return alive[:0]
  order = np.argsort(scores.ravel()[alive], kind='stable')
  return alive[order[:count]]


def prune_by_percent(percents, masks, final_weights):
  """Prunes the smallest-magnitude surviving weights of each layer.

  Args:
    percents: dict layer name -> fraction of its surviving weights to prune
      (the paper prunes 20% of hidden layers and 10% of the output layer per
      level for LeNet-300-100).
    masks: dict layer name -> current 0/1 mask, or None (nothing pruned yet).
    final_weights: dict layer name -> trained weights.

  Returns:
    dict layer name -> new mask (float32).

  Raises:
    ValueError: for a percent outside [0, 1] or mismatched names or shapes.
  """
  percents, new_masks = _prepare(percents, masks, final_weights)
  for name, percent in percents.items():
    mask = new_masks[name]
    count = int(round(percent * mask.sum()))
    drop = _smallest_alive(np.abs(final_weights[name]), mask, count)
    mask.ravel()[drop] = 0
  return new_masks


def prune_global(percent, masks, final_weights, layers=None):
  """Prunes the smallest-magnitude surviving weights with one global threshold.

  Args:
    percent: fraction of all surviving weights (over `layers`) to prune.
    masks: dict layer name -> current mask, or None.
    final_weights: dict layer name -> trained weights.
    layers: names to prune over (default: every name in masks, or else every
      name in final_weights).

  Returns:
    dict layer name -> new mask.
  """
  if layers is None:
    layers = sorted(masks) if masks else sorted(final_weights)
  percents, new_masks = _prepare({k: percent for k in layers}, masks,
                                 final_weights)
  percent = check_percent('global', percent)
  names = sorted(percents)
  flat_scores = np.concatenate(
      [np.abs(np.asarray(final_weights[n], np.float64)).ravel() for n in names])
  flat_mask = np.concatenate([new_masks[n].ravel() for n in names])
  count = int(round(percent * flat_mask.sum()))
  flat_mask[_smallest_alive(flat_scores, flat_mask, count)] = 0
  offset = 0
  for name in names:
    size = new_masks[name].size
    new_masks[name] = flat_mask[offset:offset + size].reshape(
        new_masks[name].shape).astype(np.float32)
    offset += size
  return new_masks


def prune_random(percents, masks, final_weights, seed):
  """The random-pruning control: the layerwise counts, positions at random.

  Args:
    percents: as for prune_by_percent.
    masks: current masks or None.
    final_weights: used only for names and shapes.
    seed: integer seed of the random choice.

  Returns:
    dict layer name -> new mask.
  """
  percents, new_masks = _prepare(percents, masks, final_weights)
  rng = np.random.default_rng(int(seed))
  for name in sorted(percents):
    mask = new_masks[name]
    count = int(round(percents[name] * mask.sum()))
    drop = _smallest_alive(rng.random(mask.shape), mask, count)
    mask.ravel()[drop] = 0
  return new_masks


def density(masks):
  """Fraction of weights remaining, per layer and overall.

  Returns:
    (dict layer name -> density, overall density).
  """
  per_layer = {k: float(np.mean(v)) for k, v in masks.items()}
  total = sum(np.size(v) for v in masks.values())
  alive = sum(float(np.sum(v)) for v in masks.values())
  return per_layer, (alive / total if total else 1.0)
