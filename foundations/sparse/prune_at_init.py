"""Pruning at initialisation beyond SNIP and GraSP: what papers compare with.

Every method scores the kernels of a dense, untrained network and keeps the
weights with the largest scores; the iterative ones do so over `rounds`
rounds, keeping fewer weights each round on an exponential schedule (after
round k of R, a fraction d^(k/R) of the weights, d the final density):

  synflow         Tanaka et al. (2020), data-free: |w * dR/dw| with
                  R = sum of the outputs of the network whose kernels and
                  biases are replaced by their absolute values (ReLU kept),
                  on one all-ones input. 100 rounds. Pruned weights (their
                  kernels zero) score 0 and never return.
  iter_snip       Iterative SNIP (de Jorge et al. 2021): |w * g| with g the
                  loss gradient of the network pruned so far; a pruned weight
                  is out for good. 60 rounds.
  force           FORCE (de Jorge et al. 2021): |w0 * g| with w0 the dense
                  initial weight and g the loss gradient at the network
                  pruned so far, taken also at the pruned weights (they are
                  zero but their gradient is not blocked); the mask is chosen
                  afresh among all weights each round, so a pruned weight can
                  come back. 60 rounds.
  magnitude_init  |w0|, once (Frankle et al. 2021's sanity check).
  random_init     random scores from an integer seed, once (their other one).

With `invert`, every method keeps the weights of lowest score instead (each
round, for the iterative ones): the inversion ablation of Frankle, Dziugaite,
Roy & Carbin 2021 ("Pruning Neural Networks at Initialization: Why are We
Missing the Mark?"), implemented as a negation of the scores ranked.

Where they keep weights (`scope`): 'global' ranks all layers together and
keeps the total of the distribution's counts (the references' default, and
every method's in Frankle et al. 2021); 'layer' keeps each layer's count
(SNIP's and GraSP's default, as the gradient-flow paper ran them; see
one_shot_pruning). Biases are never scored or pruned.

References followed, as facts only (no code copied):
  ganguli-lab/Synaptic-Flow Pruners/pruners.py (SynFlow.score: the absolute
    value of every entry of the state dict, biases included, an all-ones input
    of one example, |grad * p|; Mag, Rand), prune.py (prune_loop: density
    d^((k+1)/R) after round k, 100 rounds in the experiments, global scope by
    default, the mask applied to the weights before each scoring).
    Departures: pruned weights are excluded from the ranking (the reference
    leaves this commented out and thresholds with <=, so ties can prune more
    than asked); counts are exact integers at every round; float32 (the
    reference also leaves model.double() commented out). Batch norm: the
    reference's prune_loop calls model.eval() before scoring, so SynFlow
    scores with the moving statistics (at initialisation 0 and 1: batch
    norm only scales by 1 / sqrt(1 + eps) and shifts), as here.
  naver/force pruning/pruning_algos.py (iterative_pruning: prune_method 1 is
    Iter SNIP, 3 is FORCE; the schedule exp(-(k+1) log(1/d) / R); FORCE
    resets the network to the dense weights, zeroes the pruned ones without a
    gradient hook and scores with the original weights, while Iter SNIP
    blocks the pruned weights' gradients with a hook and gives them the
    minimum saliency), pruning/mask_networks.py (apply_prune_mask), README
    (--num_steps 60). Departures: the same fixed batch every round (the
    reference draws a fresh shuffled batch per round); Iter SNIP's pruned
    weights are excluded from the ranking rather than given the minimum
    saliency (which an alive weight may share); exact counts with ties to
    the lower index instead of keeping every score >= the k-th. Batch norm:
    the reference scores a copy of the network in the mode it was built in,
    PyTorch's training mode (train_cifar_tiny_imagenet.py never calls
    eval() before iterative_pruning), so each batch norm normalises by the
    scoring batch's own mean and variance; here too (FixedBatch.loss with
    batch_statistics), where the moving statistics (still 0 and 1) would
    make it a mere rescaling and give other masks. The reference updates
    its copy's moving statistics and discards the copy; here no update
    runs, so the network's moving statistics are left exactly as they were.

Mechanics: scoring rewrites the model's kernel (and, for SynFlow, bias)
variables in the session and restores them afterwards; only public
surfaces are used (kernels, biases, masks, apply, layer_names, gradients).
"""

import numpy as np
import tensorflow.compat.v1 as tf

from lottery_ticket.foundations import choices
from lottery_ticket.foundations.sparse import one_shot_pruning
from lottery_ticket.foundations.sparse import sparse_methods

METHODS = ('synflow', 'iter_snip', 'force', 'magnitude_init', 'random_init')
# Every method of pruning at initialisation, SNIP and GraSP included.
ALL_METHODS = one_shot_pruning.METHODS + METHODS
SCOPES = sparse_methods.PRUNE_SCOPES
# The references' numbers of rounds (Synaptic-Flow: 100; FORCE's README: 60),
# kept in the methods' registry entries.
DEFAULT_ROUNDS = {n: sparse_methods.get(n).rounds for n in METHODS
                  if sparse_methods.get(n).rounds}
ITERATIVE = tuple(DEFAULT_ROUNDS)


# Schedule and selection ----------------------------------------------------

def check_rounds(rounds):
  """Returns rounds as an int, or raises ValueError unless it is >= 1."""
  if isinstance(rounds, bool) or int(rounds) != rounds or int(rounds) < 1:
    raise ValueError('rounds must be a whole number >= 1, got {!r}'.format(
        rounds))
  return int(rounds)


def exponential_counts(size, keep, rounds):
  """Weights kept after each round when density falls exponentially.

  Args:
    size: number of weights.
    keep: number kept after the last round (0 < keep <= size).
    rounds: number of rounds.

  Returns:
    list of `rounds` ints, round(size * d^(k / rounds)) for k = 1..rounds
    with d = keep / size: non-increasing, the last exactly `keep`.
  """
  size, keep, rounds = int(size), int(keep), check_rounds(rounds)
  if not 0 < keep <= size:
    raise ValueError('cannot keep {} of {} weights'.format(keep, size))
  density = keep / size
  counts = [int(round(size * density ** (k / rounds)))
            for k in range(1, rounds)]
  return [max(keep, min(size, c)) for c in counts] + [keep]


def schedule(shapes, counts, rounds, scope='global'):
  """What each round keeps.

  Args:
    shapes: dict layer -> kernel shape.
    counts: dict layer -> weights kept at the end.
    rounds: number of rounds.
    scope: 'global' (one total per round) or 'layer' (a dict per round).

  Returns:
    list of `rounds` entries: ints for 'global', dicts layer -> int for
    'layer'.
  """
  choices.check('pruning scope', scope, SCOPES)
  sizes = {n: int(np.prod(s)) for n, s in shapes.items()}
  if scope == 'global':
    return exponential_counts(sum(sizes.values()),
                              sum(int(counts[n]) for n in sizes), rounds)
  per_layer = {n: exponential_counts(sizes[n], counts[n], rounds)
               for n in sizes}
  return [{n: per_layer[n][k] for n in sizes} for k in range(rounds)]


def keep_top(scores, keep, scope='global', alive=None):
  """Masks keeping the largest scores.

  Args:
    scores: dict layer -> numpy scores.
    keep: an int ('global') or a dict layer -> int ('layer').
    scope: 'global' or 'layer'.
    alive: optional dict layer -> 0/1 mask; only its ones may be kept.

  Returns:
    dict layer -> float32 0/1 mask (ties as one_shot_pruning.keep_top and
    keep_top_global break them).
  """
  if alive is not None:
    scores = {n: np.where(alive[n] > 0, np.asarray(s, np.float64), -np.inf)
              for n, s in scores.items()}
  if choices.check('pruning scope', scope, SCOPES) == 'global':
    return one_shot_pruning.keep_top_global(scores, keep)
  return one_shot_pruning.keep_top(scores, keep)


def iterative_masks(score, shapes, counts, rounds, scope='global',
                    nested=True, invert=False):
  """The generic iterative pruning loop, one round at a time.

  Args:
    score: callable masks -> dict layer -> numpy scores, of the network
      pruned by `masks`.
    shapes: dict layer -> kernel shape.
    counts: dict layer -> weights kept at the end.
    rounds: number of rounds.
    scope: 'global' or 'layer'.
    nested: whether a pruned weight stays pruned (otherwise each round
      chooses among all weights).
    invert: keep the lowest scores each round.

  Yields:
    (scores, masks) of each round: the scores ranked and the masks kept.
  """
  masks = {n: np.ones(s, np.float32) for n, s in shapes.items()}
  for keep in schedule(shapes, counts, rounds, scope):
    scores = score(masks)
    ranked = {n: -v for n, v in scores.items()} if invert else scores
    masks = keep_top(ranked, keep, scope, alive=masks if nested else None)
    yield scores, masks


# Reading and rewriting the model's variables ---------------------------------

class _Rewriter(object):
  """Loads values into variables through placeholders, and restores them."""

  def __init__(self, sess, variables):
    self._sess = sess
    self._variables = dict(variables)
    with sess.graph.as_default():
      self._feeds = {n: tf.placeholder(v.dtype.base_dtype, v.shape)
                     for n, v in self._variables.items()}
      self._assign = {n: v.assign(self._feeds[n]).op
                      for n, v in self._variables.items()}
    self.originals = sess.run(self._variables)

  def load(self, values):
    """Loads `values` (dict name -> array, some or all of the variables)."""
    names = [n for n in self._variables if n in values]
    self._sess.run([self._assign[n] for n in names],
                   {self._feeds[n]: np.asarray(values[n]) for n in names})

  def restore(self):
    self.load(self.originals)


def _shapes(model):
  return {n: model.kernels[n].shape.as_list() for n in model.layer_names}


def _run_rounds(rewriter, rounds_iterator):
  """Yields from the rounds, restoring the variables however it ends."""
  try:
    for item in rounds_iterator:
      yield item
  finally:
    rewriter.restore()


def _last(iterator):
  result = None
  for result in iterator:
    pass
  return result


# SynFlow -----------------------------------------------------------------------

def synflow_rounds(sess, model, input_shape, counts, rounds=None,
                   scope='global', invert=False):
  """SynFlow's rounds; the variables are restored when the rounds end.

  Args:
    sess: the session holding the dense model's variables.
    model: a ModelBase whose masks are all one.
    input_shape: the shape of one example (without the batch dimension).
    counts: dict layer -> weights kept at the end.
    rounds: number of rounds (the reference's 100 by default).
    scope: 'global' (the reference's) or 'layer'.
    invert: keep the lowest scores (see the module docstring).

  Yields:
    (scores, masks) of each round.

  Raises:
    ValueError: if the model is already sparse.
  """
  one_shot_pruning.check_dense(sess, model, 'synflow')
  rounds = DEFAULT_ROUNDS['synflow'] if rounds is None else rounds
  names = model.layer_names
  kernels, biases = model.kernels, model.biases
  variables = {n: kernels[n] for n in names}
  variables.update({'bias/' + n: b for n, b in biases.items()})
  with sess.graph.as_default():
    flow = tf.reduce_sum(model.apply(
        tf.ones([1] + [int(d) for d in input_shape], tf.float32)))
    grads = tf.gradients(flow, [kernels[n] for n in names])
    score_tensors = {n: tf.abs(kernels[n].read_value() * g)
                     for n, g in zip(names, grads)}
  rewriter = _Rewriter(sess, variables)
  linear = {n: np.abs(v) for n, v in rewriter.originals.items()}

  def score(masks):
    # The mask is applied to the kernels (as the reference's apply_mask), so
    # a pruned weight scores exactly 0.
    rewriter.load({n: linear[n] * masks[n] for n in names})
    scores = sess.run(score_tensors)
    for name in names:
      if not np.all(np.isfinite(scores[name])):
        # The flow is a product over layers: deep or wide networks can
        # exceed float32, and inf / NaN scores would rank silently wrong.
        raise ValueError('SynFlow scores of {} are not finite (the synaptic '
                         'flow overflows float32 in this network)'.format(
                             name))
    return scores

  def synflow_masks():
    rewriter.load({n: linear[n] for n in variables if n not in names})  # |b|
    yield from iterative_masks(score, _shapes(model), counts, rounds, scope,
                               nested=True, invert=invert)

  return _run_rounds(rewriter, synflow_masks())


def synflow(sess, model, input_shape, counts, rounds=None, scope='global',
            invert=False):
  """SynFlow masks (see synflow_rounds for the arguments).

  Returns:
    dict layer -> float32 0/1 mask with the counts of `scope`.
  """
  return _last(synflow_rounds(sess, model, input_shape, counts, rounds,
                              scope, invert))[1]


# FORCE and Iterative SNIP ----------------------------------------------------

def sensitivity_rounds(sess, model, batch, counts, rounds=None, scope='global',
                       method='force', invert=False):
  """Rounds of FORCE or Iterative SNIP; variables restored when they end.

  Both score |w0 * g|, g the gradient of the batch loss with respect to the
  effective weights of the network pruned by the last round's mask (pruned
  kernels set to zero, the model's masks left at one so that g is not
  blocked), its batch norms normalising by the batch's own statistics (as
  the reference's network in training mode; the moving statistics are
  neither read nor updated). They differ in what may be kept (see the module
  docstring):
  Iterative SNIP only weights still alive, for which its hooked gradient and
  current weight equal g and w0; FORCE any weight.

  Args:
    sess: the session holding the dense model's variables.
    model: a ModelBase whose masks are all one.
    batch: an initialised FixedBatch the loss is taken on, every round.
    counts: dict layer -> weights kept at the end.
    rounds: number of rounds (the reference README's 60 by default).
    scope: 'global' (the reference's) or 'layer'.
    method: 'force' or 'iter_snip'.
    invert: keep the lowest scores (see the module docstring).

  Yields:
    (scores, masks) of each round.

  Raises:
    ValueError: if the model is already sparse, or for another method.
  """
  choices.check('sensitivity method', method, ('force', 'iter_snip'))
  rounds = DEFAULT_ROUNDS[method] if rounds is None else rounds
  one_shot_pruning.check_dense(sess, model, method)
  names = model.layer_names
  kernels = {n: model.kernels[n] for n in names}
  with sess.graph.as_default():
    grads = dict(zip(names, tf.gradients(
        batch.loss(model, batch_statistics=True),
        [kernels[n] for n in names])))
  rewriter = _Rewriter(sess, kernels)
  initial = rewriter.originals

  def score(masks):
    rewriter.load({n: initial[n] * masks[n] for n in names})
    values = sess.run(grads)
    return {n: np.abs(initial[n] * values[n]) for n in names}

  return _run_rounds(rewriter, iterative_masks(
      score, _shapes(model), counts, rounds, scope,
      nested=(method == 'iter_snip'), invert=invert))


# Sanity-check baselines ----------------------------------------------------------

def magnitude_init(sess, model, counts, scope='global', invert=False):
  """Masks keeping the initial weights of largest magnitude.

  Args:
    sess: the session holding the dense model's variables.
    model: a ModelBase whose masks are all one.
    counts: dict layer -> weights kept.
    scope: 'global' or 'layer'.
    invert: keep the smallest magnitudes.

  Returns:
    dict layer -> float32 0/1 mask.
  """
  one_shot_pruning.check_dense(sess, model, 'magnitude_init')
  kernels = sess.run({n: model.kernels[n] for n in model.layer_names})
  sign = -1.0 if invert else 1.0
  return one_shot_pruning.keep_in_scope(
      {n: sign * np.abs(v) for n, v in kernels.items()}, counts, scope)


def random_scores(shapes, seed):
  """Uniform scores, layer i (sorted by name) from the stream [seed, i]."""
  return {n: np.random.default_rng([int(seed), i]).random(shapes[n])
          for i, n in enumerate(sorted(shapes))}


def random_init(model, counts, seed, scope='global'):
  """Masks keeping the weights of largest random score.

  Args:
    model: a ModelBase (only its kernel shapes are read).
    counts: dict layer -> weights kept.
    seed: integer seed of the scores.
    scope: 'global' (every layer keeps about the same fraction) or 'layer'
      (exactly the counts).

  Returns:
    dict layer -> float32 0/1 mask.
  """
  return one_shot_pruning.keep_in_scope(random_scores(_shapes(model), seed),
                                        counts, scope)


# One entry point -------------------------------------------------------------------

def prune(sess, method, model, batch, counts, input_shape=None, rounds=None,
          scope=None, seed=0, grasp_variant='evci',
          grasp_temperature=None, invert=False):
  """Masks of any method of ALL_METHODS for a dense, initialised model.

  Args:
    sess: the session holding the model's variables (and the batch's).
    method: a name of ALL_METHODS.
    model: a ModelBase whose masks are all one.
    batch: an initialised FixedBatch (snip, grasp, force, iter_snip).
    counts: dict layer -> weights to keep.
    input_shape: one example's shape (synflow).
    rounds: rounds of an iterative method (default: DEFAULT_ROUNDS).
    scope: 'global' or 'layer' (default: the method's,
      sparse_methods.SparseMethod.default_scope: 'layer' for snip and grasp
      'evci', 'global' for the others).
    seed: integer seed of random_init.
    grasp_variant, grasp_temperature: as one_shot_pruning.prune.
    invert: keep the lowest scores instead (every method but random_init,
      whose scores have no order to invert).

  Returns:
    dict layer -> float32 0/1 mask.

  Raises:
    ValueError: naming a bad method, scope or number of rounds, or a missing
      batch or input shape.
  """
  scores = getattr(sparse_methods.METHODS.get(method), 'scores', None)
  choices.check('pruning-at-initialisation method', method,
                ALL_METHODS + ((method,) if scores else ()))
  if scope is None:
    scope = sparse_methods.get(method).default_scope(choices.check(
        'GraSP variant', grasp_variant, sparse_methods.GRASP_VARIANTS))
  choices.check('pruning scope', scope, SCOPES)
  if method in one_shot_pruning.METHODS:
    return one_shot_pruning.prune(sess, method, model, batch, counts, scope,
                                  grasp_variant, grasp_temperature, invert)
  if method in ITERATIVE:
    rounds = check_rounds(DEFAULT_ROUNDS[method] if rounds is None
                          else rounds)
  if method == 'synflow':
    if input_shape is None:
      raise ValueError('synflow needs the input shape')
    return synflow(sess, model, input_shape, counts, rounds, scope, invert)
  if method in ('force', 'iter_snip'):
    if batch is None:
      raise ValueError('{} needs a batch of data'.format(method))
    return _last(sensitivity_rounds(sess, model, batch, counts, rounds,
                                    scope, method, invert))[1]
  if method == 'magnitude_init':
    return magnitude_init(sess, model, counts, scope, invert)
  if scores:  # a registered method's own criterion (sparse_methods.register)
    one_shot_pruning.check_dense(sess, model, method)
    ranked = scores(sess.run({n: model.kernels[n] for n in model.layer_names}))
    return one_shot_pruning.keep_in_scope(
        {n: -v if invert else v for n, v in ranked.items()}, counts, scope)
  if invert:
    raise ValueError('random_init has no order of scores to invert')
  one_shot_pruning.check_dense(sess, model, method)
  return random_init(model, counts, seed, scope)
