"""SynFlow, FORCE, Iterative SNIP and the magnitude / random baselines,
each against an independent numpy twin."""

import numpy as np
import pytest
import tensorflow.compat.v1 as tf

from lottery_ticket.foundations.training import fixed_batch
from lottery_ticket.foundations import masks as masks_lib
from lottery_ticket.foundations import model_base
from lottery_ticket.foundations import model_fc
from lottery_ticket.foundations.sparse import prune_at_init

import sparse_testlib

COUNTS = {'layer0': 150, 'layer1': 30}


def _mlp(widths, presets, masks=None):
  """An MLP on [None, widths[0]] inputs with the given presets."""
  inputs = tf.placeholder(tf.float32, [None, widths[0]])
  labels = tf.placeholder(tf.int32, [None])
  layers = [(w, 'relu') for w in widths[1:-1]] + [(widths[-1], None)]
  return model_fc.ModelFc({'layers': layers}, inputs, labels,
                          presets=presets, masks=masks)


def _presets(widths, seed, scales=None, biases=True):
  rng = np.random.default_rng(seed)
  out = {}
  for i, (fan_in, fan_out) in enumerate(zip(widths[:-1], widths[1:])):
    scale = (scales or {}).get(i, 1.0)
    out['layer{}'.format(i)] = scale * rng.normal(size=(fan_in, fan_out))
    out['layer{}_bias'.format(i)] = (rng.normal(size=fan_out) if biases
                                     else np.zeros(fan_out))
  return out


def _np_synflow(presets, masks, depth):
  """|w * dR/dw| by the closed form: for a chain of |W| with all-ones input,
  dR/dW_l[i, j] = (flow into unit i of layer l) * (paths from unit j to the
  outputs), the first a forward product of |W| column sums plus |b|, the
  second a backward product of |W| row sums."""
  weights = [np.abs(presets['layer{}'.format(l)]) * masks['layer{}'.format(l)]
             for l in range(depth)]
  biases = [np.abs(presets['layer{}_bias'.format(l)]) for l in range(depth)]
  into = [np.ones(weights[0].shape[0])]
  for w, b in zip(weights[:-1], biases[:-1]):
    into.append(into[-1] @ w + b)
  out_of = [np.ones(weights[-1].shape[1])]
  for w in reversed(weights[1:]):
    out_of.insert(0, w @ out_of[0])
  return {'layer{}'.format(l): weights[l] * np.outer(into[l], out_of[l])
          for l in range(depth)}


def _synflow_rounds(widths, presets, counts, rounds, scope='global'):
  graph = tf.Graph()
  with graph.as_default():
    model = _mlp(widths, presets)
    with tf.Session() as sess:
      sess.run(tf.global_variables_initializer())
      before = model.get_current_weights(sess)
      result = list(prune_at_init.prune_rounds(
          sess, 'synflow', model, None, counts, input_shape=[widths[0]],
          rounds=rounds, scope=scope))
      after = model.get_current_weights(sess)
  for name in before:  # the model's variables are given back
    np.testing.assert_array_equal(before[name], after[name])
  return result


def test_synflow_scores_are_the_closed_form_of_a_4_3_2_network():
  presets = _presets([4, 3, 2], seed=1)
  # By hand: layer1 scores |W1[j, k]| (sum_i |W0[i, j]| + |b0[j]|), layer0
  # |W0[i, j]| sum_k |W1[j, k]|.
  rounds = _synflow_rounds([4, 3, 2], presets, {'layer0': 6, 'layer1': 3}, 3)
  masks = {n: np.ones_like(presets[n]) for n in ('layer0', 'layer1')}
  hand = np.abs(presets['layer1']) * (
      np.abs(presets['layer0']).sum(0) + np.abs(presets['layer0_bias']))[:, None]
  np.testing.assert_allclose(rounds[0][0]['layer1'], hand, rtol=1e-5)
  hand0 = np.abs(presets['layer0']) * np.abs(presets['layer1']).sum(1)[None]
  np.testing.assert_allclose(rounds[0][0]['layer0'], hand0, rtol=1e-5)
  # Every later round scores the network pruned by the round before.
  for scores, kept in rounds:
    twin = _np_synflow(presets, masks, 2)
    for name in twin:
      np.testing.assert_allclose(scores[name], twin[name], rtol=1e-5,
                                 atol=1e-6)
    masks = kept


def test_synflow_rounds_follow_the_exponential_schedule_exactly():
  presets = _presets([8, 6, 5, 3], seed=2)
  counts = {'layer0': 10, 'layer1': 5, 'layer2': 3}
  rounds = _synflow_rounds([8, 6, 5, 3], presets, counts, 4)
  wanted = prune_at_init.exponential_counts(48 + 30 + 15, 18, 4)
  assert [int(sum(m.sum() for m in kept.values())) for _, kept in rounds] == \
      wanted
  for (_, before), (_, after) in zip(rounds, rounds[1:]):
    for name in before:  # pruned weights never come back
      assert np.all(after[name] <= before[name])
  # One ranking over the layers, so the per-layer counts are not kept.
  final = rounds[-1][1]
  assert sum(int(final[n].sum()) for n in final) == 18


def test_synflow_layer_scope_keeps_each_layers_count():
  presets = _presets([8, 6, 5, 3], seed=3)
  counts = {'layer0': 10, 'layer1': 5, 'layer2': 3}
  rounds = _synflow_rounds([8, 6, 5, 3], presets, counts, 3, scope='layer')
  assert {n: int(m.sum()) for n, m in rounds[-1][1].items()} == counts


def test_exponential_schedule():
  assert prune_at_init.exponential_counts(1000, 10, 4) == [316, 100, 32, 10]
  assert prune_at_init.exponential_counts(50, 7, 1) == [7]
  counts = prune_at_init.exponential_counts(266200, 5324, 100)
  assert counts[-1] == 5324 and counts == sorted(counts, reverse=True)
  densities = np.array(counts) / 266200
  np.testing.assert_allclose(densities, 0.02 ** (np.arange(1, 101) / 100),
                             atol=1e-5)
  per_layer = prune_at_init.schedule({'a': [10, 10], 'b': [5]},
                                     {'a': 1, 'b': 5}, 2, scope='layer')
  assert per_layer == [{'a': 10, 'b': 5}, {'a': 1, 'b': 5}]


def test_synflow_avoids_the_layer_collapse_of_global_magnitude():
  # A middle layer with small weights: ranking magnitudes over the network
  # removes all of it at 99% sparsity, which disconnects input and output.
  widths = [16, 32, 32, 4]
  presets = _presets(widths, seed=4, scales={1: 0.01}, biases=False)
  counts = {'layer0': 6, 'layer1': 6, 'layer2': 5}  # 17 of 1,664
  graph = tf.Graph()
  with graph.as_default():
    model = _mlp(widths, presets)
    with tf.Session() as sess:
      sess.run(tf.global_variables_initializer())
      magnitude = prune_at_init.prune(sess, 'magnitude_init', model, None,
                                      counts)
      synflow = prune_at_init.prune(sess, 'synflow', model, None, counts,
                                    input_shape=[16])
  assert masks_lib.Masks(magnitude).layer_density()['layer1'] == 0
  densities = masks_lib.Masks(synflow).layer_density()
  assert all(d > 0 for d in densities.values())
  flow = _np_synflow(presets, synflow, 3)
  assert sum(s.sum() for s in flow.values()) > 0
  assert sum(int(m.sum()) for m in synflow.values()) == 17


def _sensitivity_rounds(method, rounds):
  def run(sess, model, batch):
    result = list(prune_at_init.prune_rounds(
        sess, method, model, batch, COUNTS, rounds=rounds))
    return result, model.get_current_weights(sess)
  (result, after), weights, images, labels = sparse_testlib.on_tiny_model(
      run, 300)
  for name in weights:
    np.testing.assert_array_equal(weights[name], after[name])
  return result, weights, images, labels


def _np_sensitivity(weights, masks, images, labels):
  """|w0 * g|, g the float64 loss gradient at the kernels w0 * mask."""
  pruned = {n: (weights[n] * masks[n] if n in masks else weights[n])
            for n in weights}
  _, grads = sparse_testlib.np_loss_and_grads(pruned, images, labels)
  return {n: np.abs(weights[n] * grads[n]) for n in masks}


def _flat(by_layer):
  return np.concatenate([np.ravel(by_layer[n]) for n in sorted(by_layer)])


@pytest.mark.parametrize('method', ['force', 'iter_snip'])
def test_sensitivity_scores_match_the_numpy_twin_every_round(method):
  rounds, weights, images, labels = _sensitivity_rounds(method, 3)
  masks = {n: np.ones_like(weights[n]) for n in COUNTS}
  wanted = prune_at_init.exponential_counts(64 * 12 + 12 * 10, 180, 3)
  for (scores, kept), keep in zip(rounds, wanted):
    twin = _np_sensitivity(weights, masks, images, labels)
    for name in COUNTS:
      np.testing.assert_allclose(scores[name], twin[name], rtol=1e-3,
                                 atol=1e-6 * twin[name].max())
    if method == 'iter_snip':
      # Only the weights still alive compete.
      alive = _flat(masks) > 0
      assert np.all(_flat(kept)[~alive] == 0)
      sparse_testlib.assert_top_set(_flat(kept)[alive], _flat(twin)[alive],
                                    keep, rtol=1e-3)
    else:
      sparse_testlib.assert_top_set(_flat(kept), _flat(twin), keep,
                                    rtol=1e-3)
    masks = kept


def test_force_lets_pruned_weights_keep_their_gradient():
  rounds, _, _, _ = _sensitivity_rounds('force', 2)
  pruned = _flat(rounds[0][1]) == 0
  # Zero weights, but their gradient (and so their FORCE score) is not.
  assert np.count_nonzero(_flat(rounds[1][0])[pruned]) > 0.5 * pruned.sum()
  snip_rounds, _, _, _ = _sensitivity_rounds('iter_snip', 2)
  assert np.all(_flat(snip_rounds[1][1])[_flat(snip_rounds[0][1]) == 0] == 0)


def _with_tiny_model(fn):
  graph = tf.Graph()
  with graph.as_default():
    model = sparse_testlib.tiny_model(seed=7)
    with tf.Session() as sess:
      sess.run(tf.global_variables_initializer())
      return fn(sess, model), model.get_current_weights(sess)


@pytest.mark.parametrize('scope', ['global', 'layer'])
def test_magnitude_init_matches_argsort(scope):
  masks, weights = _with_tiny_model(
      lambda sess, model: prune_at_init.prune(
          sess, 'magnitude_init', model, None, COUNTS, scope=scope))
  if scope == 'global':
    flat = np.abs(_flat({n: weights[n] for n in COUNTS}))
    wanted = np.zeros(flat.size)
    wanted[np.argsort(-flat, kind='stable')[:180]] = 1
    np.testing.assert_array_equal(_flat(masks), wanted)
  else:
    for name, count in COUNTS.items():
      flat = np.abs(weights[name]).ravel()
      wanted = np.zeros(flat.size)
      wanted[np.argsort(-flat, kind='stable')[:count]] = 1
      np.testing.assert_array_equal(masks[name].ravel(), wanted)


def test_random_init_is_seeded_and_keeps_the_counts():
  def draw(seed, scope):
    return _with_tiny_model(lambda sess, model: prune_at_init.prune(
        sess, 'random_init', model, None, COUNTS, seed=seed, scope=scope))[0]
  first, again, other = draw(1, 'global'), draw(1, 'global'), draw(2, 'global')
  assert np.array_equal(_flat(first), _flat(again))
  assert not np.array_equal(_flat(first), _flat(other))
  assert _flat(first).sum() == 180
  layered = draw(1, 'layer')
  assert {n: int(m.sum()) for n, m in layered.items()} == COUNTS


def test_prune_dispatches_and_checks_its_arguments():
  graph = tf.Graph()
  with graph.as_default():
    model = sparse_testlib.tiny_model(seed=8)
    batch = fixed_batch.FixedBatch(*fixed_batch.draw(sparse_testlib.digits(),
                                                     50, seed=0))
    with tf.Session() as sess:
      sess.run(tf.global_variables_initializer())
      batch.initialize(sess)
      for method in prune_at_init.ALL_METHODS:
        masks = prune_at_init.prune(sess, method, model, batch, COUNTS,
                                    input_shape=[64], rounds=2,
                                    scope='layer')
        assert {n: int(m.sum()) for n, m in masks.items()} == COUNTS, method
      with pytest.raises(ValueError, match='synflow needs the input shape'):
        prune_at_init.prune(sess, 'synflow', model, batch, COUNTS)
      with pytest.raises(ValueError, match='force needs a batch'):
        prune_at_init.prune(sess, 'force', model, None, COUNTS)
      with pytest.raises(ValueError, match='rounds must be'):
        prune_at_init.prune(sess, 'iter_snip', model, batch, COUNTS,
                            rounds=0)
      with pytest.raises(ValueError, match='No such pruning scope'):
        prune_at_init.prune(sess, 'magnitude_init', model, batch, COUNTS,
                            scope='local')
  with pytest.raises(ValueError, match='No such pruning-at-initialisation'):
    prune_at_init.prune(None, 'prospr', None, None, COUNTS)


def test_a_sparse_network_is_refused():
  graph = tf.Graph()
  with graph.as_default():
    model = sparse_testlib.tiny_model(
        masks={'layer1': np.zeros([sparse_testlib.HIDDEN, 10])})
    with tf.Session() as sess:
      sess.run(tf.global_variables_initializer())
      with pytest.raises(ValueError, match='synflow prunes a dense network'):
        prune_at_init.prune(sess, 'synflow', model, None, COUNTS,
                            input_shape=[64])


def test_an_overflowing_synflow_is_refused():
  widths = [4, 3, 2]
  presets = _presets(widths, seed=5, scales={0: 1e30, 1: 1e30})
  with pytest.raises(ValueError, match='overflows float32'):
    _synflow_rounds(widths, presets, {'layer0': 6, 'layer1': 3}, 2)


def test_every_registered_criterion_is_known():
  from lottery_ticket.foundations.sparse import sparse_methods
  criteria = {m.one_shot for m in sparse_methods.METHODS.values()} - {None}
  assert criteria == set(prune_at_init.ALL_METHODS)


# Batch norm: FORCE and Iterative SNIP score with the batch's statistics -----

BN_WIDTHS = (4, 6, 3)
BN_COUNTS = {'layer0': 7, 'layer1': 5}
BN_EPSILON = 1e-5


class _BatchNormMlp(model_base.ModelBase):
  """4 -> dense (no bias) -> batch norm -> relu -> dense -> 3."""

  def __init__(self, inputs, labels, presets):
    super(_BatchNormMlp, self).__init__(presets=presets)
    self.create_loss_and_accuracy(labels, self.apply(inputs))

  def forward(self, inputs):
    hidden = self.dense_layer('layer0', inputs, BN_WIDTHS[1], use_bias=False)
    hidden = tf.nn.relu(self.batch_norm('bn', hidden))
    return self.dense_layer('layer1', hidden, BN_WIDTHS[2])


def _bn_case():
  """Presets and a batch whose hidden units have means and spreads far from
  the moving statistics' 0 and 1, so the two modes score differently."""
  rng = np.random.default_rng(3)
  presets = {'layer0': rng.normal(size=BN_WIDTHS[:2]),
             'layer1': rng.normal(size=BN_WIDTHS[1:]),
             'layer1_bias': rng.normal(size=BN_WIDTHS[2]),
             'bn_gamma': rng.uniform(0.5, 1.5, BN_WIDTHS[1]),
             'bn_beta': rng.normal(scale=0.1, size=BN_WIDTHS[1])}
  images = rng.normal(loc=2.0, scale=3.0, size=(10, BN_WIDTHS[0]))
  labels = rng.integers(0, BN_WIDTHS[2], size=10)
  return presets, images, labels


def _np_bn_loss(presets, kernels, images, labels, batch_statistics):
  """The float64 loss of _BatchNormMlp with the given kernels."""
  hidden = images @ kernels['layer0']
  if batch_statistics:  # the batch's mean and biased variance
    mean, variance = hidden.mean(axis=0), hidden.var(axis=0)
  else:  # the moving statistics at initialisation
    mean, variance = 0.0, 1.0
  hidden = ((hidden - mean) / np.sqrt(variance + BN_EPSILON) *
            presets['bn_gamma'] + presets['bn_beta'])
  logits = np.maximum(hidden, 0) @ kernels['layer1'] + presets['layer1_bias']
  logits = logits - logits.max(axis=1, keepdims=True)
  log_probs = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
  return -np.mean(log_probs[np.arange(len(labels)), labels])


def _np_bn_scores(presets, masks, images, labels, batch_statistics):
  """|w0 * g|, g the loss gradient at the kernels w0 * mask by central
  differences of the numpy loss."""
  kernels = {n: presets[n] * masks[n] for n in BN_COUNTS}
  scores = {}
  for name in BN_COUNTS:
    grad = np.zeros_like(kernels[name])
    for index in np.ndindex(*grad.shape):
      moved = []
      for step in (1e-6, -1e-6):
        changed = dict(kernels)
        changed[name] = kernels[name].copy()
        changed[name][index] += step
        moved.append(_np_bn_loss(presets, changed, images, labels,
                                 batch_statistics))
      grad[index] = (moved[0] - moved[1]) / 2e-6
    scores[name] = np.abs(presets[name] * grad)
  return scores


def _np_bn_masks(method, presets, images, labels, batch_statistics, rounds):
  """The rounds' masks in numpy: global top counts of the numpy scores."""
  masks = {n: np.ones(BN_WIDTHS[i:i + 2]) for i, n in enumerate(BN_COUNTS)}
  sizes = sum(m.size for m in masks.values())
  for keep in prune_at_init.exponential_counts(
      sizes, sum(BN_COUNTS.values()), rounds):
    scores = _np_bn_scores(presets, masks, images, labels, batch_statistics)
    flat = _flat(scores)
    if method == 'iter_snip':
      flat = np.where(_flat(masks) > 0, flat, -1.0)
    chosen = np.zeros(flat.size)
    chosen[np.argsort(-flat, kind='stable')[:keep]] = 1
    masks = _unflat(chosen, masks)
  return masks


def _unflat(flat, like):
  out, offset = {}, 0
  for name in sorted(like):
    out[name] = flat[offset:offset + like[name].size].reshape(
        like[name].shape)
    offset += like[name].size
  return out


def _bn_rounds(method, rounds):
  """(the rounds of `method` on _BatchNormMlp, the moving statistics before
  and after scoring, as bytes)."""
  presets, images, labels = _bn_case()
  with tf.Graph().as_default():
    model = _BatchNormMlp(tf.placeholder(tf.float32, [None, BN_WIDTHS[0]]),
                          tf.placeholder(tf.int32, [None]), presets)
    batch = fixed_batch.FixedBatch(images, labels)
    with tf.Session() as sess:
      sess.run(tf.global_variables_initializer())
      batch.initialize(sess)
      state = lambda: [v.tobytes() for v in sess.run(model.state_variables)]
      before = state()
      result = list(prune_at_init.prune_rounds(
          sess, method, model, batch, BN_COUNTS, rounds=rounds))
      masks = prune_at_init.prune(sess, method, model, batch, BN_COUNTS,
                                  rounds=rounds)
      assert not model.take_updates()  # none queued for a trainer to run
      return result, masks, before, state()


@pytest.mark.parametrize('method', ['force', 'iter_snip'])
def test_sensitivity_scores_a_batch_norm_network_with_batch_statistics(
    method):
  rounds, masks, before, after = _bn_rounds(method, 3)
  presets, images, labels = _bn_case()
  previous = {n: np.ones(BN_WIDTHS[i:i + 2]) for i, n in enumerate(BN_COUNTS)}
  for scores, kept in rounds:
    twin = _np_bn_scores(presets, previous, images, labels, True)
    for name in BN_COUNTS:
      np.testing.assert_allclose(scores[name], twin[name], rtol=1e-3,
                                 atol=1e-5 * twin[name].max())
    previous = kept
  wanted = _np_bn_masks(method, presets, images, labels, True, 3)
  np.testing.assert_array_equal(_flat(masks), _flat(wanted))
  # The moving statistics would have given other masks...
  evaluated = _np_bn_masks(method, presets, images, labels, False, 3)
  assert not np.array_equal(_flat(masks), _flat(evaluated))
  # ...and scoring left them exactly as they were.
  assert before == after
