"""Pruning masks from trained weights, and the lottery pruning strategies.

Every function prunes among the weights that still survive (mask 1), counts
exactly (`round(percent * survivors)` weights go), breaks magnitude ties by
position so results are deterministic, and returns new masks without touching
its inputs. Layers absent from `percents` keep their masks. Weights that are
NaN or infinite (a diverged run) are refused: their "magnitudes" would prune
by storage position.

The strategies a lottery experiment prunes with between levels, one registry
entry each (STRATEGIES, by name):

  layerwise           every layer at its own rate (Frankle & Carbin 2019:
                      LeNet-300-100 prunes 20% of each hidden layer and 10%
                      of the output layer per level).
  global              one magnitude ranking over every layer but the output
                      layer, at the hidden rate; the output layer at its own
                      rate (Frankle & Carbin 2019 for the deep conv nets;
                      facebookresearch/open_lth pruning/sparse_global.py,
                      whose models keep the output layer out of the ranking
                      with pruning_layers_to_ignore - there its rate is 0).
  global_with_output  one ranking over every layer, the output layer
                      included, at the hidden rate (open_lth's sparse_global
                      with nothing ignored).
  random              the random-pruning control: layerwise counts, random
                      positions (Frankle & Carbin 2019, Figs. 3-4).

`make_prune_masks(strategy, percents, seed)` turns one into the
`prune_masks(masks, final_weights, level)` step of a lottery trial
(foundations/experiment.py).
"""

import dataclasses

import numpy as np

from lottery_ticket.foundations import choices
from lottery_ticket.foundations.training import finite


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


def check_finite(name, weights):
  """Raises ValueError unless every weight of layer `name` is finite."""
  bad = finite.count_non_finite(weights)
  if bad:
    raise ValueError('cannot prune {!r}: {} of its {} weights are NaN or '
                     'infinite (did training diverge? try a lower learning '
                     'rate)'.format(name, bad, np.size(weights)))


def _prepare(percents, masks, final_weights):
  """Validates inputs; returns (percents, masks) with ones for missing masks."""
  percents = {k: check_percent(k, v) for k, v in percents.items()}
  masks = dict(masks or {})
  for name in percents:
    if name not in final_weights:
      raise ValueError('cannot prune {!r}: no such weights (have: {})'.format(
          name, ', '.join(sorted(final_weights))))
    check_finite(name, final_weights[name])
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


def _prune_each(percents, masks, final_weights, scores):
  """Prunes each layer's lowest `scores(name, mask)` among its survivors."""
  percents, new_masks = _prepare(percents, masks, final_weights)
  for name in sorted(percents):
    mask = new_masks[name]
    count = int(round(percents[name] * mask.sum()))
    mask.ravel()[_smallest_alive(scores(name, mask), mask, count)] = 0
  return new_masks


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
  return _prune_each(percents, masks, final_weights,
                     lambda name, _: np.abs(final_weights[name]))


def prune_random(percents, masks, final_weights, seed):
  """The random-pruning control: the layerwise counts, positions at random.

  Args:
    percents: as for prune_by_percent.
    masks: current masks or None.
    final_weights: used only for names and shapes.
    seed: integer seed of the random choice (layers drawn in name order).

  Returns:
    dict layer name -> new mask.
  """
  rng = np.random.default_rng(int(seed))
  return _prune_each(percents, masks, final_weights,
                     lambda _, mask: rng.random(mask.shape))


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
  pieces = np.split(flat_mask,
                    np.cumsum([new_masks[n].size for n in names])[:-1])
  for name, piece in zip(names, pieces):
    new_masks[name] = piece.reshape(new_masks[name].shape).astype(np.float32)
  return new_masks


@dataclasses.dataclass(frozen=True)
class Strategy(object):
  """A lottery pruning strategy: how a level's masks follow the last one's.

  Attributes:
    name: the registry name.
    follows: the paper or code whose convention it reproduces.
    ranked: what one magnitude ranking covers, at the largest rate among
      the ranked layers (with the lottery defaults: the hidden
      fully-connected rate): '' nothing (each layer loses its own fraction
      of its smallest-magnitude survivors), 'hidden' every layer but the
      output layer, which is then pruned at its own rate (so that a ranking
      dominated by the thousands of hidden weights cannot empty the few
      hundred output weights), or 'all'.
    random: whether positions are drawn at random (with layerwise counts).
  """
  name: str
  follows: str
  ranked: str = ''
  random: bool = False

  def prune(self, percents, masks, final_weights, seed=0, output_layer=None):
    """New masks from trained weights.

    Args:
      percents: dict layer -> fraction of its surviving weights to prune.
      masks: dict layer -> current mask, or None before the first pruning.
      final_weights: dict layer -> trained weights.
      seed: integer seed of any random choice (different per level).
      output_layer: the name of the output layer (for the global
        strategies; default: the last name of `percents`, in its order).

    Returns:
      dict layer -> new float32 mask.
    """
    if self.random:
      return prune_random(percents, masks, final_weights, seed)
    if not self.ranked or not percents:
      return prune_by_percent(percents, masks, final_weights)
    output = output_layer if output_layer is not None else list(percents)[-1]
    if output not in percents:
      raise ValueError('the output layer {!r} is not one of the pruned layers '
                       '({})'.format(output, ', '.join(percents)))
    ranked = [n for n in percents if self.ranked == 'all' or n != output]
    if not ranked:  # a network of one layer: nothing to rank it against
      return prune_by_percent(percents, masks, final_weights)
    rate = max(check_percent(n, percents[n]) for n in ranked)
    new_masks = prune_global(rate, masks, final_weights, layers=ranked)
    if self.ranked == 'hidden':
      new_masks = prune_by_percent({output: percents[output]}, new_masks,
                                   final_weights)
    return new_masks


STRATEGIES = {s.name: s for s in (
    Strategy('layerwise', 'Frankle & Carbin 2019 (the lottery ticket paper), '
             'and google-research/lottery-ticket-hypothesis prune_by_percent'),
    Strategy('global', 'Frankle & Carbin 2019 (global pruning of the deep '
             'conv nets, the output layer at its own rate); '
             'facebookresearch/open_lth pruning/sparse_global.py with the '
             'output layer ignored', ranked='hidden'),
    Strategy('global_with_output', 'facebookresearch/open_lth '
             'pruning/sparse_global.py with no layer ignored: the output '
             'layer ranked with the others', ranked='all'),
    Strategy('random', 'Frankle & Carbin 2019, the random-pruning control '
             '(Figs. 3-4)', random=True),
)}
NAMES = tuple(STRATEGIES)
# Seeds of random pruning: seed * SEED_STRIDE + level.
SEED_STRIDE = 1000


def get(name):
  """The Strategy of a name.

  Raises:
    ValueError: 'No such pruning strategy: ...' naming the choices.
  """
  return STRATEGIES[choices.check('pruning strategy', name, NAMES)]


def make_prune_masks(strategy, percents, seed, output_layer=None, ignore=()):
  """The prune_masks(masks, final_weights, level) step of a lottery trial.

  Args:
    strategy: a name of NAMES (or a Strategy).
    percents: dict layer -> fraction pruned per level, in layer order.
    seed: the trial's integer seed; level L of random pruning draws from
      seed * SEED_STRIDE + L.
    output_layer: the output layer's name (default: the last of
      `percents`).
    ignore: layers never pruned and left out of every ranking (OpenLTH's
      pruning_layers_to_ignore: its CIFAR VGGs ignore the output layer,
      fc, under one global ranking of the others, which is
      global_with_output with ignore=('fc',)). Their masks pass through.

  Returns:
    A callable(masks, final_weights, level=1) -> the masks of `level`
    (1 for the first pruning): random pruning draws from the level's own
    seed, so a resumed trial, whose finished levels are read back rather
    than pruned again, draws what it drew uninterrupted.

  Raises:
    ValueError: for an unknown strategy, an ignored layer that `percents`
      lacks, or 'global' with the output layer ignored (its output layer
      would be another: use global_with_output).
  """
  if not isinstance(strategy, Strategy):
    strategy = get(strategy)
  percents = dict(percents)
  ignore = list(ignore or ())
  unknown = [name for name in ignore if name not in percents]
  if unknown:
    raise ValueError('cannot ignore {}: not a pruned layer (layers: {})'.format(
        ', '.join(unknown), ', '.join(percents)))
  if ignore and strategy.ranked == 'hidden':
    output = output_layer if output_layer is not None else list(percents)[-1]
    if output in ignore:
      raise ValueError('the {} strategy prunes the output layer {!r} at its '
                       'own rate, but it is ignored: use global_with_output '
                       'to rank the other layers together'.format(
                           strategy.name, output))
  percents = {k: v for k, v in percents.items() if k not in ignore}
  if output_layer in ignore:
    output_layer = None  # global_with_output ranks what is left as one

  def prune_masks(masks, final_weights, level=1):
    return strategy.prune(percents, masks, final_weights,
                          seed=int(seed) * SEED_STRIDE + int(level),
                          output_layer=output_layer)
  return prune_masks
