"""Pruning at initialisation: SNIP, GraSP and what papers compare with.

Every method scores the kernels of a dense, untrained network and keeps the
weights with the largest scores; the iterative ones do so over `rounds`
rounds, keeping fewer weights each round on an exponential schedule (after
round k of R, a fraction d^(k/R) of the weights, d the final density):

  snip            SNIP (Lee et al. 2019), once: |g * w| on a batch of data,
                  how much the loss would change if the weight were removed
                  (connection sensitivity).
  grasp           GraSP, once, built on w * (H g): removing weight w changes
                  the gradient norm g^T g by about -2 w (H g) to first order.
                  Two conventions (`grasp_variant`):
                    'evci' (default): |w * Hg| at temperature 1. This is what
                    the gradient-flow paper ran: RigLGrasp in
                    google-research/rigl rigl_tf2/mask_updaters.py, whose
                    comment notes that the signed score gave bad results.
                    'wang': Wang et al. (2020), the signed w * Hg, the logits
                    divided by a temperature (200 in their code) before the
                    loss (GraSP removes the largest -w * Hg, i.e. keeps the
                    largest w * Hg).
                  g is the gradient of the data loss and H its Hessian w.r.t.
                  the kernels; H g is computed exactly as the gradient of
                  g . stop_gradient(g).
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
(SNIP's and GraSP 'evci''s default, as the gradient-flow paper's code does
for both methods; Wang et al.'s GraSP ranks globally). Biases are never
scored or pruned.

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

Mechanics: every method, SNIP and GraSP included, is a scorer of the
network pruned by the last round's masks, run by one loop (`prune_rounds`;
a method that prunes once has one round). Scoring rewrites the model's
kernel (and, for SynFlow, bias) variables in the session and restores them
afterwards; only public surfaces are used (kernels, biases, masks, apply,
layer_names, gradients).
"""

import numpy as np
import tensorflow.compat.v1 as tf

from lottery_ticket.foundations import choices
from lottery_ticket.foundations.sparse import sparse_methods

# SNIP and GraSP: scored once, from the gradient on a batch.
GRADIENT_METHODS = ('snip', 'grasp')
METHODS = ('synflow', 'iter_snip', 'force', 'magnitude_init', 'random_init')
# Every method of pruning at initialisation.
ALL_METHODS = GRADIENT_METHODS + METHODS


# Schedule --------------------------------------------------------------------

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
  if isinstance(rounds, bool) or int(rounds) != rounds or int(rounds) < 1:
    raise ValueError('rounds must be a whole number >= 1, got {!r}'.format(
        rounds))
  size, keep, rounds = int(size), int(keep), int(rounds)
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
  choices.check('pruning scope', scope, sparse_methods.PRUNE_SCOPES)
  sizes = {n: int(np.prod(s)) for n, s in shapes.items()}
  if scope == 'global':
    return exponential_counts(sum(sizes.values()),
                              sum(int(counts[n]) for n in sizes), rounds)
  per_layer = {n: exponential_counts(sizes[n], counts[n], rounds)
               for n in sizes}
  return [{n: per_layer[n][k] for n in sizes} for k in range(rounds)]


# SNIP and GraSP, and keeping the top scores ---------------------------------

def check_grasp(variant, temperature=None):
  """Returns (variant, temperature) with the variant's default temperature.

  Raises:
    ValueError: for an unknown variant or a temperature that is not > 0.
  """
  choices.check('GraSP variant', variant, sparse_methods.GRASP_VARIANTS)
  if temperature is None:
    return variant, sparse_methods.GRASP_TEMPERATURES[variant]
  value = float(temperature)
  if not np.isfinite(value) or value <= 0:
    raise ValueError('the GraSP temperature must be a finite number > 0, got '
                     '{!r}'.format(temperature))
  return variant, value


def _gradient_scores(method, model, batch, variant, temperature):
  """SNIP's or GraSP's score tensors, dict layer -> tensor, on a dense model
  (every mask one); GraSP's `variant` and `temperature` as check_grasp
  returns them.
  """
  if method == 'snip':
    temperature = 1.0
  kernels = [model.kernels[n] for n in model.layer_names]
  grads = tf.gradients(batch.loss(model, temperature=temperature), kernels)
  if method == 'grasp':
    inner = tf.add_n([tf.reduce_sum(g * tf.stop_gradient(g)) for g in grads])
    grads = tf.gradients(inner, kernels)  # H g
  scores_by_layer = {n: k.read_value() * g
                     for n, k, g in zip(model.layer_names, kernels, grads)}
  if method == 'snip' or variant == 'evci':
    scores_by_layer = {n: tf.abs(s) for n, s in scores_by_layer.items()}
  return scores_by_layer


def keep_top(scores_by_layer, keep):
  """Masks keeping the largest scores, per layer or over all layers.

  Args:
    scores_by_layer: dict layer -> numpy scores.
    keep: dict layer -> number of weights to keep in that layer; or an int,
      the number to keep in the whole network, all layers ranked together.

  Returns:
    dict layer -> float32 0/1 mask; ties go to the layer first by name, then
    to the lower flat index.
  """
  if isinstance(keep, dict):
    masks = {}
    for name, score in scores_by_layer.items():
      masks.update(keep_top({name: score}, keep[name]))
    return masks
  names = sorted(scores_by_layer)
  flat = np.concatenate([np.asarray(scores_by_layer[n], np.float64).ravel()
                         for n in names])
  chosen = np.zeros(flat.size, np.float32)
  chosen[np.argsort(-flat, kind='stable')[:int(keep)]] = 1.0
  masks, offset = {}, 0
  for name in names:
    shape = np.shape(scores_by_layer[name])
    size = int(np.prod(shape))
    masks[name] = chosen[offset:offset + size].reshape(shape)
    offset += size
  return masks


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


# Scorers: callable(masks) -> dict layer -> numpy scores of the network ------
# pruned by `masks`, and the _Rewriter whose variables they change (or None).

def _synflow(sess, model, input_shape):
  """SynFlow's |w * dR/dw| on the linearised network (module docstring)."""
  names = model.layer_names
  kernels = model.kernels
  variables = {n: kernels[n] for n in names}
  variables.update({'bias/' + n: b for n, b in model.biases.items()})
  with sess.graph.as_default():
    flow = tf.reduce_sum(model.apply(
        tf.ones([1] + [int(d) for d in input_shape], tf.float32)))
    grads = tf.gradients(flow, [kernels[n] for n in names])
    score_tensors = {n: tf.abs(kernels[n].read_value() * g)
                     for n, g in zip(names, grads)}
  rewriter = _Rewriter(sess, variables)
  linear = {n: np.abs(v) for n, v in rewriter.originals.items()}
  rewriter.load({n: linear[n] for n in variables if n not in names})  # |b|

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
  return score, rewriter


def _sensitivity(sess, model, batch):
  """FORCE's and Iterative SNIP's |w0 * g|.

  g is the gradient of the batch loss with respect to the effective weights
  of the network pruned by the last round's mask (pruned kernels set to
  zero, the model's masks left at one so that g is not blocked), its batch
  norms normalising by the batch's own statistics (as the reference's
  network in training mode; the moving statistics are neither read nor
  updated). For Iterative SNIP, which keeps only weights still alive, its
  hooked gradient and current weight equal g and w0.
  """
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
  return score, rewriter


def _fixed_scores(sess, method, model, batch, seed, grasp, own):
  """The scores of a method that prunes once, from the dense network (`own`:
  a registered method's criterion of the initial kernels, or None)."""
  if method in GRADIENT_METHODS:
    with sess.graph.as_default():
      tensors = _gradient_scores(method, model, batch, *grasp)
    return sess.run(tensors)
  if method == 'random_init':  # layer i (sorted by name): stream [seed, i]
    shapes = _shapes(model)
    return {n: np.random.default_rng([int(seed), i]).random(shapes[n])
            for i, n in enumerate(sorted(shapes))}
  kernels = sess.run({n: model.kernels[n] for n in model.layer_names})
  return own(kernels) if own else {n: np.abs(v) for n, v in kernels.items()}


# One entry point -------------------------------------------------------------

def prune_rounds(sess, method, model, batch, counts, input_shape=None,
                 rounds=None, scope=None, seed=0, grasp_variant='evci',
                 grasp_temperature=None, invert=False):
  """The rounds of any method of ALL_METHODS on a dense, initialised model;
  the model's variables are restored when the rounds end.

  Args:
    sess: the session holding the model's variables (and the batch's).
    method: a name of ALL_METHODS, or of a registered method with its own
      `scores` (sparse_methods.SparseMethod), which prunes once.
    model: a ModelBase whose masks are all one.
    batch: an initialised FixedBatch (snip, grasp, force, iter_snip).
    counts: dict layer -> weights to keep.
    input_shape: one example's shape (synflow).
    rounds: rounds of an iterative method (default: the reference's, the
      method's sparse_methods entry); a method that prunes once has one.
    scope: 'global' or 'layer' (default: the method's,
      sparse_methods.SparseMethod.default_scope: 'layer' for snip and grasp
      'evci', 'global' for the others).
    seed: integer seed of random_init.
    grasp_variant, grasp_temperature: GraSP's (check_grasp).
    invert: keep the lowest scores instead, each round (every method but
      random_init, whose scores have no order to invert).

  Yields:
    (scores, masks) of each round: the scores ranked and the masks kept
    (dict layer -> float32 0/1 mask).

  Raises:
    ValueError: naming a bad method, scope, GraSP setting or number of
      rounds, a missing batch or input shape, or a model already sparse.
  """
  own = getattr(sparse_methods.METHODS.get(method), 'scores', None)
  choices.check('pruning-at-initialisation method', method,
                ALL_METHODS + ((method,) if own else ()))
  entry = sparse_methods.get(method)
  if scope is None:
    scope = entry.default_scope(choices.check(
        'GraSP variant', grasp_variant, sparse_methods.GRASP_VARIANTS))
  grasp = (grasp_variant, grasp_temperature)
  if method in GRADIENT_METHODS:
    grasp = check_grasp(*grasp)
  # Rounds and scope are checked by `schedule`, before the first round.
  rounds = (entry.rounds if rounds is None else rounds) if entry.rounds else 1
  if method == 'synflow' and input_shape is None:
    raise ValueError('synflow needs the input shape')
  if method in ('force', 'iter_snip') and batch is None:
    raise ValueError('{} needs a batch of data'.format(method))
  if method == 'random_init' and invert:
    raise ValueError('random_init has no order of scores to invert')
  if any(not np.all(m == 1) for m in model.get_current_masks(sess).values()):
    raise ValueError('{} prunes a dense network; this one has masks'.format(
        method))
  rewriter = None
  if method == 'synflow':
    score, rewriter = _synflow(sess, model, input_shape)
  elif method in ('force', 'iter_snip'):
    score, rewriter = _sensitivity(sess, model, batch)
  else:
    fixed = _fixed_scores(sess, method, model, batch, seed, grasp, own)
    score = lambda unused_masks: fixed
  shapes = _shapes(model)
  masks = {n: np.ones(s, np.float32) for n, s in shapes.items()}
  try:
    for keep in schedule(shapes, counts, rounds, scope):
      scores = score(masks)
      ranked = {n: -v for n, v in scores.items()} if invert else scores
      if method != 'force':  # a pruned weight stays pruned
        ranked = {n: np.where(masks[n] > 0, np.asarray(v, np.float64),
                              -np.inf) for n, v in ranked.items()}
      masks = keep_top(ranked, keep)
      yield scores, masks
  finally:
    if rewriter is not None:
      rewriter.restore()


def prune(sess, method, model, batch, counts, **options):
  """The masks of the last round of `prune_rounds` (same arguments).

  Returns:
    dict layer -> float32 0/1 mask.
  """
  for _, masks in prune_rounds(sess, method, model, batch, counts, **options):
    pass
  return masks
