"""In-graph mask updates: selection, SET, RigL, slots, gradual pruning."""

import numpy as np
import pytest
import tensorflow.compat.v1 as tf

from lottery_ticket.foundations.training import fixed_batch
from lottery_ticket.foundations.sparse import mask_updates
from lottery_ticket.foundations.sparse import selection
from lottery_ticket.foundations.training import optimizers
from lottery_ticket.foundations.training import schedules
from lottery_ticket.foundations.sparse import sparsity_distribution as dist

import sparse_testlib

SHAPES = {'layer0': [64, sparse_testlib.HIDDEN], 'layer1': [sparse_testlib.HIDDEN, 10]}
DROP = 0.5


def _reference(scores, candidates, count):
  order = [i for i in np.argsort(-scores, kind='stable') if candidates[i]]
  out = np.zeros(scores.shape, bool)
  out[order[:count]] = True
  return out


@pytest.mark.parametrize('size, ties', [(300, False), (20000, False),
                                        (20000, True)])
def test_choose_largest_matches_a_full_ranking(size, ties):
  rng = np.random.default_rng(size)
  scores = rng.random(size).astype(np.float32)
  if ties:  # many equal scores, as with zero gradients: the fallback path
    scores[rng.random(size) < 0.7] = 0.5
  candidates = rng.random(size) < 0.6
  graph = tf.Graph()
  with graph.as_default():
    count = tf.placeholder(tf.int32, [])
    chosen = selection.choose_largest(tf.constant(scores),
                                         tf.constant(candidates), count)
    with tf.Session() as sess:
      total = int(candidates.sum())
      for k in (0, 1, 57, total // 2, total // 2 + 1, 3 * total // 4, total):
        np.testing.assert_array_equal(sess.run(chosen, {count: k}),
                                      _reference(scores, candidates, k))


class _Setup(object):
  """A tiny masked MLP, an optimizer with busy slots, and one update op."""

  def __init__(self, growth, optimizer='momentum'):
    self.graph = tf.Graph()
    with self.graph.as_default():
      masks = dist.random_masks(SHAPES, dist.layer_counts(SHAPES, 0.6), 5)
      self.model = sparse_testlib.tiny_model(masks=masks, seed=2)
      self.optimizer = optimizers.make_optimizer(optimizer, 0.1)
      self.optimizer.apply_gradients(
          [(tf.zeros_like(v), v) for v in self.model.trainable_variables])
      self.images, self.labels = fixed_batch.draw(sparse_testlib.digits(), 300,
                                                  seed=1)
      batch = fixed_batch.FixedBatch(self.images, self.labels)
      self.updater = mask_updates.drop_and_grow(
          self.model, growth, [10], schedules.drop_fraction_fn(
              'constant', DROP, 10), batch=batch, seed=3,
          optimizer=self.optimizer, probe=batch)
      self.update = self.updater.update(tf.constant(10, tf.int64), 0)
      self.sess = tf.Session(graph=self.graph)
      self.sess.run(tf.global_variables_initializer())
      batch.initialize(self.sess)
      self.slots = {(n, s): self.optimizer.get_slot(self.model.kernels[n], s)
                    for n in SHAPES for s in self.optimizer.get_slot_names()}
      rng = np.random.default_rng(0)
      for slot in self.slots.values():  # nonzero everywhere, to see resets
        self.sess.run(slot.assign(rng.random(slot.shape).astype(np.float32) + 1))

  def state(self):
    kernels, masks, weights = self.sess.run(
        [self.model.kernels, self.model.masks, self.model.parameters()])
    return kernels, {k: v > 0 for k, v in masks.items()}, weights, self.sess.run(
        self.slots)


def _expected_keep(kernels, masks):
  keep = {}
  for name, mask in masks.items():
    active = mask.ravel()
    drop = int(np.floor(active.sum() * DROP))
    dropped = _reference(-np.abs(kernels[name].ravel()), active, drop)
    keep[name] = (active & ~dropped).reshape(mask.shape)
  return keep


@pytest.mark.slow
@pytest.mark.parametrize('growth', ['random', 'gradient', 'inverted_gradient'])
def test_drop_and_grow_keeps_counts_and_zeroes_grown_weights(growth):
  setup = _Setup(growth)
  kernels, masks, weights, slots = setup.state()
  _, grads = sparse_testlib.np_loss_and_grads(weights, setup.images,
                                              setup.labels)
  keep = _expected_keep(kernels, masks)
  setup.sess.run(setup.update)
  new_kernels, new_masks, _, new_slots = setup.state()
  for name in SHAPES:
    old, new = masks[name], new_masks[name]
    grown = new & ~old
    stay = new & old
    assert new.sum() == old.sum()  # the number of active weights is exact
    assert grown.sum() > 0  # and some of them moved
    assert np.all(new[keep[name]])  # the largest-magnitude weights stay
    assert np.all(new_kernels[name][grown] == 0)
    assert np.all(new_kernels[name][~new] == 0)
    np.testing.assert_array_equal(new_kernels[name][stay], kernels[name][stay])
    for slot_name in setup.optimizer.get_slot_names():
      after = new_slots[(name, slot_name)]
      assert np.all(after[grown] == 0)
      np.testing.assert_array_equal(after[stay],
                                    slots[(name, slot_name)][stay])
    candidates = ~keep[name]
    regrown = (new & candidates).ravel()
    count = int(old.sum()) - int(keep[name].sum())
    score = np.abs(grads[name]).ravel()
    if growth == 'gradient':  # RigL grows where |gradient| is largest
      sparse_testlib.assert_top_set(regrown[candidates.ravel()],
                                    score[candidates.ravel()], count)
    elif growth == 'inverted_gradient':
      sparse_testlib.assert_top_set(regrown[candidates.ravel()],
                                    -score[candidates.ravel()], count)
    else:
      assert regrown.sum() == count


@pytest.mark.slow
def test_adam_moments_of_grown_weights_are_reset():
  setup = _Setup('random', optimizer='adam')
  _, masks, _, _ = setup.state()
  setup.sess.run(setup.update)
  _, new_masks, _, slots = setup.state()
  for name in SHAPES:
    grown = new_masks[name] & ~masks[name]
    assert grown.sum() > 0
    for slot_name in ('m', 'v'):
      assert np.all(slots[(name, slot_name)][grown] == 0)


@pytest.mark.slow
def test_rmsprop_mean_square_restarts_at_one():
  setup = _Setup('random', optimizer='rmsprop')
  _, masks, _, _ = setup.state()
  setup.sess.run(setup.update)
  _, new_masks, _, slots = setup.state()
  grown = new_masks['layer0'] & ~masks['layer0']
  assert np.all(slots[('layer0', 'rms')][grown] == 1)
  assert np.all(slots[('layer0', 'momentum')][grown] == 0)


@pytest.mark.slow
def test_update_records_gradient_norms_around_it():
  setup = _Setup('gradient')
  _, masks, weights, _ = setup.state()
  _, before = sparse_testlib.np_loss_and_grads(weights, setup.images,
                                               setup.labels)
  setup.sess.run(setup.update)
  _, new_masks, new_weights, _ = setup.state()
  _, after = sparse_testlib.np_loss_and_grads(new_weights, setup.images,
                                              setup.labels)

  def norm(grads, masks):
    # What a run records: kernel gradients masked, biases whole.
    return np.sqrt(sum(np.sum((grads[n] * masks.get(n, 1)) ** 2)
                       for n in grads))

  (step, row), = setup.updater.history.read(setup.sess)
  assert step == 10
  assert row['fraction'] == pytest.approx(DROP)
  assert row['moved'] == sum(int((new_masks[n] & ~masks[n]).sum())
                             for n in SHAPES)
  assert row['grad_norm_before'] == pytest.approx(norm(before, masks), rel=1e-4)
  assert row['grad_norm_after'] == pytest.approx(norm(after, new_masks),
                                                 rel=1e-4)
  assert row['grad_norm_before'] != pytest.approx(row['grad_norm_after'])


def test_magnitude_pruning_keeps_the_largest_weights_to_the_count():
  graph = tf.Graph()
  with graph.as_default():
    model = sparse_testlib.tiny_model(seed=4)
    counts = {'layer0': [500, 300], 'layer1': [80, 40]}
    pruning = mask_updates.MagnitudePruning(model, [5, 10], counts, [0.3, 0.6])
    first = pruning.update(tf.constant(5, tf.int64), 0)
    second = pruning.update(tf.constant(10, tf.int64), 1)
    with tf.Session() as sess:
      sess.run(tf.global_variables_initializer())
      kernels = sess.run(model.kernels)
      for op, row in ((first, 0), (second, 1)):
        sess.run(op)
        masks = sess.run(model.masks)
        for name in counts:
          assert masks[name].sum() == counts[name][row]
          sparse_testlib.assert_top_set(masks[name] > 0,
                                        np.abs(kernels[name]), counts[name][row])
      pruned = sess.run(model.kernels)
      assert np.all(pruned['layer0'][masks['layer0'] == 0] == 0)
