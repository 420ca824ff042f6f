"""The sparse-training methods, one registry entry each.

Each entry says everything the rest of the code needs to know about a
method, so no module compares method names:

  sparse         whether it takes a sparsity (dense trains every weight)
  mask_from      'required' (it trains the final mask of a finished run),
                 'optional' (it may start from one instead of its own) or
                 'never'
  start          where its starting mask comes from when no --mask_from is
                 given: 'dense' (all ones), 'random' (the distribution's
                 per-layer counts, placed at random) or 'one_shot' (the
                 dense initialisation pruned by its saliency scores, once
                 or over rounds)
  one_shot       the criterion of a method of pruning at initialisation (a
                 name of prune_at_init.ALL_METHODS)
  growth         the growth criterion of a drop-and-grow method
  gradual        whether the mask shrinks by gradual magnitude pruning
  narrow         whether the network is a narrower dense one (small_dense)
  init_stream    which stream of random initialisations it draws from:
                 methods that must not start from the initial weights of
                 the run whose mask they read (scratch, and SET/RigL with
                 --mask_from) use their own stream
  keeps_weights  whether it starts from the saved initial weights of the
                 --mask_from run (lottery), so it takes no --init_method
  paper          whether the gradient-flow paper (Evci et al.) compared it,
                 so its recipes (argfiles.paper_recipes) run it
  rounds         the reference's number of rounds of an iterative method of
                 pruning at initialisation (0: it prunes once)
  scope          where it ranks its scores unless --prune_scope says: 'global'
                 (all layers together, the references of prune_at_init's
                 methods) or 'layer' (the distribution's per-layer counts:
                 SNIP and GraSP as the gradient-flow paper ran them; GraSP's
                 'wang' variant ranks globally, GRASP_SCOPES). Read only by
                 the methods of pruning at initialisation.
  ablatable      whether the sanity-check ablations of Frankle et al. 2021
                 (--ablation) apply: methods of pruning at initialisation
                 whose scores order the weights (not random_init)
  scores         a criterion of pruning at initialisation of one's own
                 (`register`, docs/extending.md): callable({layer: initial
                 kernel}) -> {layer: scores}, the highest kept
"""

import dataclasses
from typing import Callable, Optional

# Initialisation streams (see mnist_fc.builders.make_model_fn): 0 is the stream of
# every run that owns its initialisation; a method that reads another run's
# mask draws from its own, so it never restarts from that run's weights.
DEFAULT_STREAM = 0
SCRATCH_STREAM = 700
FROM_MASK_STREAM = 800

# The choices of the methods' own settings, read here (without TensorFlow)
# by the configuration and by the code that uses them (sparse_init,
# prune_at_init).
INIT_METHODS = ('dense', 'unit_scaled', 'layer_scaled', 'metainit')
FAN_MODES = ('fan_in', 'fan_out', 'fan_avg')
METAINIT_SCOPES = ('conv', 'all')
GRASP_VARIANTS = ('evci', 'wang')
# Where pruning at initialisation keeps weights (prune_at_init's scope).
PRUNE_SCOPES = ('global', 'layer')
# The sanity checks of pruning at initialisation (Frankle, Dziugaite, Roy &
# Carbin 2021): none, the mask shuffled within each layer, the kept weights
# re-drawn, the lowest scores kept instead of the highest.
ABLATIONS = ('none', 'shuffle', 'reinit', 'invert')
# The initialisation stream of the kept weights re-drawn by --ablation=reinit.
REINIT_STREAM = 900
# The logits' temperature of each GraSP variant when none is given.
GRASP_TEMPERATURES = {'evci': 1.0, 'wang': 200.0}
# Where each GraSP variant ranks when --prune_scope is not given: the
# gradient-flow paper's RigLGrasp per layer, Wang et al.'s code over all.
GRASP_SCOPES = {'evci': 'layer', 'wang': 'global'}


@dataclasses.dataclass(frozen=True)
class SparseMethod(object):
  name: str
  summary: str
  sparse: bool = True
  mask_from: str = 'never'
  start: str = 'dense'
  one_shot: Optional[str] = None
  growth: Optional[str] = None
  gradual: bool = False
  narrow: bool = False
  init_stream: int = DEFAULT_STREAM
  keeps_weights: bool = False
  paper: bool = True
  rounds: int = 0
  scope: str = 'global'
  ablatable: bool = False
  scores: Optional[Callable] = None

  def stream(self, with_mask_from):
    """The initialisation stream of a run of this method."""
    if with_mask_from and self.mask_from == 'optional':
      return FROM_MASK_STREAM
    return self.init_stream

  def default_scope(self, grasp_variant='evci'):
    """Where this method ranks when --prune_scope is not given (GraSP:
    its variant's, GRASP_SCOPES)."""
    if self.one_shot == 'grasp':
      return GRASP_SCOPES[grasp_variant]
    return self.scope


METHODS = {m.name: m for m in (
    SparseMethod('dense', 'every weight trained', sparse=False),
    SparseMethod('small_dense', 'a narrower dense network with the sparse '
                 "one's parameter count", narrow=True),
    SparseMethod('prune', 'gradual magnitude pruning during training '
                 '(Zhu & Gupta 2017)', gradual=True),
    SparseMethod('lottery', "the final mask of a finished run, from that "
                 "run's initial weights", mask_from='required',
                 keeps_weights=True),
    SparseMethod('scratch', 'the final mask of a finished run, from a fresh '
                 'initialisation', mask_from='required',
                 init_stream=SCRATCH_STREAM),
    SparseMethod('set', 'drop by magnitude, grow at random (Mocanu et al. '
                 '2018)', mask_from='optional', start='random',
                 growth='random'),
    SparseMethod('rigl', 'drop by magnitude, grow by gradient magnitude '
                 '(Evci et al. 2020)', mask_from='optional', start='random',
                 growth='gradient'),
    SparseMethod('rigl_inverted', 'RigL growing where the gradient is '
                 'smallest (the gradient-flow paper\'s control)',
                 mask_from='optional', start='random',
                 growth='inverted_gradient'),
    SparseMethod('snip', 'pruned once at initialisation by |g * w| (Lee et '
                 'al. 2019)', start='one_shot', one_shot='snip',
                 scope='layer', ablatable=True),
    SparseMethod('grasp', 'pruned once at initialisation by the gradient '
                 'flow score (Wang et al. 2020)', start='one_shot',
                 one_shot='grasp', scope='layer', ablatable=True),
    SparseMethod('synflow', 'pruned at initialisation by iterative synaptic '
                 'flow, without data (Tanaka et al. 2020)', start='one_shot',
                 one_shot='synflow', paper=False,
                 rounds=100, ablatable=True),
    SparseMethod('iter_snip', 'pruned at initialisation by |g * w| over '
                 'rounds, pruned weights out for good (de Jorge et al. 2021)',
                 start='one_shot', one_shot='iter_snip', paper=False,
                 rounds=60, ablatable=True),
    SparseMethod('force', 'pruned at initialisation by |g * w0| over rounds, '
                 'pruned weights free to return (FORCE, de Jorge et al. '
                 '2021)', start='one_shot', one_shot='force', paper=False,
                 rounds=60, ablatable=True),
    SparseMethod('magnitude_init', 'pruned at initialisation by |w0| (the '
                 'baseline of Frankle et al. 2021)', start='one_shot',
                 one_shot='magnitude_init', paper=False,
                 ablatable=True),
    SparseMethod('random_init', 'pruned at initialisation by random scores '
                 '(the baseline of Frankle et al. 2021)', start='one_shot',
                 one_shot='random_init', paper=False),
)}
NAMES = tuple(METHODS)


def register(method):
  """Adds a SparseMethod to the registry: it becomes a --method choice.

  Raises:
    ValueError: if its name is taken.
  """
  global NAMES
  if method.name in METHODS:
    raise ValueError('sparse method {} exists already'.format(method.name))
  METHODS[method.name] = method
  NAMES += (method.name,)


def get(name):
  """The SparseMethod called `name` (names are checked by the config)."""
  return METHODS[name]


def names_where(predicate):
  """Names of the methods for which predicate(method) holds, in order."""
  return tuple(m.name for m in METHODS.values() if predicate(m))
