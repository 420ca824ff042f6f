"""How many weights each layer keeps at a given overall sparsity.

Two distributions:

  uniform  every layer keeps the same fraction, 1 - sparsity, of its
           weights (rounded per layer).
  erk      Erdos-Renyi-Kernel (Evci et al. 2020): a layer's density is
           proportional to the sum of its kernel's dimensions divided by
           their product, so small layers stay denser than large ones. The
           scale is chosen so that the kept weights add up to exactly
           round((1 - sparsity) * total); a layer that would need a density
           above 1 is kept dense and the others share what is left.

Counts are integers, so masks built from them have exactly the density the
distribution promises. Random masks with those counts come from explicit
integer seeds.
"""

import numpy as np
from lottery_ticket.foundations import choices

DISTRIBUTIONS = ('uniform', 'erk')


def check_sparsity(sparsity, name='sparsity'):
  """Returns sparsity as a float, or raises ValueError unless 0 <= s < 1."""
  try:
    value = float(sparsity)
  except (TypeError, ValueError):
    raise ValueError('{} must be a number, got {!r}'.format(
        name, sparsity)) from None
  if not 0.0 <= value < 1.0:
    raise ValueError('{} must be in [0, 1), got {!r}'.format(name, sparsity))
  return value


def erk_raw_density(shape):
  """The unnormalised ERK density of a kernel: sum(shape) / prod(shape)."""
  return float(np.sum(shape)) / float(np.prod(shape))


def _round_preserving_sum(exact, sizes, target):
  """Integer counts near `exact`, within [1, size], adding up to `target`."""
  counts = {n: min(sizes[n], max(1, int(np.floor(v)))) for n, v in exact.items()}
  # Hand out (or take back) the remainder one weight at a time, largest
  # fractional part first; ties go to the layer that comes first by name.
  order = sorted(exact, key=lambda n: (-(exact[n] - np.floor(exact[n])), n))
  missing = target - sum(counts.values())
  step = 1 if missing > 0 else -1
  if step < 0:
    order.reverse()
  while missing:  # a pass gives (or takes) one to each layer that can move
    movable = [n for n in order
               if (counts[n] < sizes[n] if step > 0 else counts[n] > 1)]
    if not movable:
      break  # every layer is at its bound: the target cannot be met exactly
    for name in movable[:abs(missing)]:
      counts[name] += step
      missing -= step
  return counts


def layer_counts(shapes, sparsity, distribution='uniform'):
  """Weights kept per layer for a distribution name (see DISTRIBUTIONS).

  Args:
    shapes: dict layer name -> kernel shape.
    sparsity: overall fraction of weights removed, in [0, 1).
    distribution: 'uniform' or 'erk'.

  Returns:
    dict layer name -> int number of weights kept: under 'uniform' the
    layer's share rounded (at least 1); under 'erk' counts that add up to
    round((1 - sparsity) * total weights) exactly.
  """
  choices.check('sparsity distribution', distribution, DISTRIBUTIONS)
  density = 1.0 - check_sparsity(sparsity)
  sizes = {name: int(np.prod(shape)) for name, shape in shapes.items()}
  if distribution == 'uniform':
    return {name: max(1, int(round(density * size)))
            for name, size in sizes.items()}
  target = int(round(density * sum(sizes.values())))
  dense = set()
  # Each pass makes dense every layer whose scaled density would exceed 1;
  # at most one pass per layer.
  while True:
    budget = target - sum(sizes[n] for n in dense)
    free = [n for n in sorted(shapes) if n not in dense]
    weight = sum(erk_raw_density(shapes[n]) * sizes[n] for n in free)
    scale = budget / weight if weight else 0.0
    too_dense = [n for n in free if scale * erk_raw_density(shapes[n]) > 1.0]
    if not too_dense:
      break
    dense.update(too_dense)
  exact = {n: (float(sizes[n]) if n in dense
               else scale * erk_raw_density(shapes[n]) * sizes[n])
           for n in shapes}
  return _round_preserving_sum(exact, sizes, target)


def random_masks(shapes, counts, seed):
  """Masks with exactly counts[layer] ones at random positions.

  Args:
    shapes: dict layer name -> kernel shape.
    counts: dict layer name -> number of ones.
    seed: integer seed; layer i (in sorted name order) draws from the
      stream [seed, i].

  Returns:
    dict layer name -> float32 0/1 array.
  """
  masks = {}
  for index, name in enumerate(sorted(shapes)):
    size = int(np.prod(shapes[name]))
    rng = np.random.default_rng([int(seed), index])
    flat = np.zeros(size, np.float32)
    flat[rng.permutation(size)[:int(counts[name])]] = 1.0
    masks[name] = flat.reshape(shapes[name])
  return masks


def shuffle_masks(masks, seed):
  """Each mask's ones moved to random positions within the same layer."""
  out = {}
  for index, name in enumerate(sorted(masks)):
    mask = np.asarray(masks[name], np.float32)
    rng = np.random.default_rng([int(seed), index])
    out[name] = rng.permutation(mask.ravel()).reshape(mask.shape)
  return out
