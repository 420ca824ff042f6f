"""Sparsity-aware initialisation: unit-scaled, layer-scaled, MetaInit."""

import numpy as np
import pytest
import tensorflow.compat.v1 as tf

from lottery_ticket.foundations.models import architectures
from lottery_ticket.foundations import model_conv
from lottery_ticket.foundations.sparse import sparse_init
from lottery_ticket.foundations.sparse import sparsity_distribution as dist

import sparse_testlib


def _column_mask(rows=4000, columns=10, seed=0):
  """Output unit j keeps about 5% * (j + 1) of its inputs."""
  rng = np.random.default_rng(seed)
  keep = 0.05 * (np.arange(columns) + 1)
  return (rng.random((rows, columns)) < keep).astype(np.float32)


@pytest.mark.parametrize('initializer', ['he_normal', 'lecun_uniform'])
def test_unit_scaled_gives_each_unit_the_variance_of_its_fan_in(initializer):
  mask = _column_mask()
  kernel = sparse_init.unit_scaled({'w': mask}, initializer, seed=1)['w']
  scale = 2.0 if initializer.startswith('he') else 1.0
  fan_in = mask.sum(axis=0)
  assert np.all(kernel[mask == 0] == 0)
  for unit in range(mask.shape[1]):
    values = kernel[mask[:, unit] > 0, unit]
    expected = scale / fan_in[unit]
    # The sample variance of n values is within 5 standard errors.
    tolerance = 5 * np.sqrt(2.0 / values.size)
    assert abs(np.mean(values ** 2) / expected - 1) < tolerance
  # A dense scheme would give every weight scale / 4000: far too small here.
  assert np.mean(kernel[mask > 0] ** 2) > 3 * scale / mask.shape[0]


def test_unit_scaled_fan_out_and_average_follow_the_input_units():
  mask = _column_mask().T  # now input unit i keeps about 5% * (i + 1)
  kernel = sparse_init.unit_scaled({'w': mask}, 'glorot_normal', seed=2,
                                   mode='fan_out')['w']
  fan_out = mask.sum(axis=1)
  for unit in range(mask.shape[0]):
    values = kernel[unit, mask[unit] > 0]
    assert abs(np.mean(values ** 2) * fan_out[unit] - 1) < 5 * np.sqrt(
        2.0 / values.size)
  variances = sparse_init.unit_variances(mask, 1.0, 'fan_avg')
  fan_in = mask.sum(axis=0)
  np.testing.assert_allclose(
      variances, 2.0 / (fan_out[:, None] + fan_in[None, :]))


def test_unit_scaled_counts_conv_fans_over_kernel_positions():
  mask = np.ones([3, 3, 4, 5], np.float32)
  mask[:, :, :2, 0] = 0  # output channel 0 keeps 3 * 3 * 2 inputs
  fan_in, fan_out = sparse_init.surviving_fans(mask)
  np.testing.assert_array_equal(fan_in, [18, 36, 36, 36, 36])
  np.testing.assert_array_equal(fan_out, [36, 36, 45, 45])


def test_layer_scaled_divides_by_the_square_root_of_density():
  rng = np.random.default_rng(0)
  dense = rng.normal(size=(50, 20)).astype(np.float32)
  mask = (rng.random((50, 20)) < 0.25).astype(np.float32)
  scaled = sparse_init.layer_scaled({'w': dense}, {'w': mask})['w']
  np.testing.assert_allclose(scaled, dense * mask / np.sqrt(mask.mean()),
                             rtol=1e-6)


@pytest.mark.slow
def test_metainit_learns_kernel_norms_only():
  shapes = {'layer0': [64, sparse_testlib.HIDDEN],
            'layer1': [sparse_testlib.HIDDEN, 10]}
  masks = dist.random_masks(shapes, dist.layer_counts(shapes, 0.8), seed=0)
  graph = tf.Graph()
  with graph.as_default():
    model = sparse_testlib.tiny_model(masks=masks, seed=3)
    with tf.Session() as sess:
      sess.run(tf.global_variables_initializer())
      before = model.get_current_weights(sess)
      quotient = sparse_init.metainit(sess, model, (64,), 10, steps=40,
                                      learning_rate=0.05, batch_size=32,
                                      scope='all')
      after = model.get_current_weights(sess)
  assert quotient[1] < quotient[0]
  for name in shapes:
    assert np.all(after[name][masks[name] == 0] == 0)
    ratio = np.linalg.norm(after[name]) / np.linalg.norm(before[name])
    assert ratio != pytest.approx(1.0)
    # The direction of each kernel stays.
    np.testing.assert_allclose(after[name], before[name] * ratio, rtol=1e-4,
                               atol=1e-6)
    np.testing.assert_array_equal(after[name + '_bias'],
                                  before[name + '_bias'])


def _run_metainit(model_fn, input_shape, **options):
  graph = tf.Graph()
  with graph.as_default():
    model = model_fn()
    with tf.Session() as sess:
      sess.run(tf.global_variables_initializer())
      before = model.get_current_weights(sess)
      quotient = sparse_init.metainit(sess, model, input_shape, 10,
                                      learning_rate=0.005, batch_size=16,
                                      **options)
      after = model.get_current_weights(sess)
  return before, after, quotient


def test_metainit_by_default_leaves_an_mlp_unchanged():
  # The reference rescales tensors of >= 3 dimensions only: no MLP kernel.
  before, after, quotient = _run_metainit(
      lambda: sparse_testlib.tiny_model(seed=3), (64,), steps=30)
  assert quotient[0] == quotient[1]
  for name in before:
    np.testing.assert_array_equal(after[name], before[name])


@pytest.mark.slow
def test_metainit_by_default_rescales_only_conv_kernels(capsys):
  def conv_model():
    tf.set_random_seed(4)
    inputs = tf.placeholder(tf.float32, [None, 8, 8, 1])
    labels = tf.placeholder(tf.int32, [None])
    return model_conv.ModelConv(
        {'conv_layers': [(3, 3, 'relu'), architectures.POOL],
         'fc_layers': [(10, None)]}, inputs, labels)

  before, after, quotient = _run_metainit(conv_model, (8, 8, 1), steps=60,
                                          progress=True)
  assert quotient[1] != quotient[0]
  ratio = np.linalg.norm(after['conv0']) / np.linalg.norm(before['conv0'])
  assert ratio != pytest.approx(1.0)
  np.testing.assert_allclose(after['conv0'], before['conv0'] * ratio,
                             rtol=1e-4, atol=1e-6)
  for name in ('fc0', 'fc0_bias', 'conv0_bias'):
    np.testing.assert_array_equal(after[name], before[name])
  assert 'MetaInit | iteration 60/60 (100%)' in capsys.readouterr().err
  with pytest.raises(ValueError, match="No such MetaInit scope: 'dense'"):
    sparse_init.metainit_kernels(None, 'dense')


def test_an_unknown_fan_mode_is_named():
  with pytest.raises(ValueError, match="No such fan mode: 'fan_sum'"):
    sparse_init.unit_variances(np.ones([2, 2]), 1.0, 'fan_sum')
