"""ModelBase: masks keep pruned weights at exactly 0, presets set values."""

import numpy as np
import pytest
import tensorflow.compat.v1 as tf

from lottery_ticket.foundations.models import architectures
from lottery_ticket.foundations import model_conv
from lottery_ticket.foundations import model_fc
from lottery_ticket.foundations.training import train_options
from lottery_ticket.foundations import trainer

HP = {'layers': [(16, 'relu'), (4, None)]}


def _mask(rng, shape, density=0.5):
  return (rng.random(shape) < density).astype(np.float32)


@pytest.mark.parametrize('optimizer', [
    lambda: tf.train.GradientDescentOptimizer(0.5),
    lambda: tf.train.MomentumOptimizer(0.1, 0.9),
    lambda: tf.train.AdamOptimizer(0.05),
])
def test_pruned_weights_stay_exactly_zero(tiny_dataset, optimizer):
  rng = np.random.default_rng(1)
  masks = {'layer0': _mask(rng, (20, 16)), 'layer1': _mask(rng, (16, 4))}
  kernels = {}

  def read_kernels(unused_index, network, unused_optimizer):
    values = {n: k.read_value() for n, k in network.kernels.items()}

    def on_record(sess, unused_iteration, unused_recorder):
      kernels.update(sess.run(values))
    return trainer.Hooks(on_record=on_record)

  (initial, final), = trainer.train(
      tiny_dataset, HP, [trainer.Member(masks=masks)], optimizer,
      ('iterations', 200), train_options.options(batch_size=10,
                                                 test_interval=200),
      build_hooks=read_kernels)
  for name, mask in masks.items():
    assert np.all(final[name][mask == 0] == 0)
    assert np.all(initial[name][mask == 0] == 0)
    assert np.all(kernels[name][mask == 0] == 0)  # raw kernels too
    moved = np.abs(final[name] - initial[name])[mask == 1]
    assert moved.max() > 1e-3  # the survivors did train


@pytest.mark.slow
def test_presets_are_the_initial_values(tiny_dataset):
  rng = np.random.default_rng(2)
  presets = {'layer0': rng.normal(size=(20, 16)).astype(np.float32),
             'layer1': rng.normal(size=(16, 4)).astype(np.float32),
             'layer1_bias': np.arange(4, dtype=np.float32)}
  masks = {'layer0': _mask(rng, (20, 16))}
  with tf.Graph().as_default() as graph:
    inputs, labels = tiny_dataset.placeholders()
    model = model_fc.ModelFc(HP, inputs, labels, presets=presets, masks=masks)
    with tf.Session(graph=graph) as sess:
      sess.run(tf.global_variables_initializer())
      weights = model.get_current_weights(sess)
  np.testing.assert_array_equal(weights['layer0'], presets['layer0'] * masks['layer0'])
  np.testing.assert_array_equal(weights['layer1'], presets['layer1'])
  np.testing.assert_array_equal(weights['layer1_bias'], presets['layer1_bias'])
  np.testing.assert_array_equal(weights['layer0_bias'], np.zeros(16))


@pytest.mark.parametrize('kwargs, message', [
    ({'masks': {'layer0': np.ones((3, 16))}}, "mask 'layer0' has shape [3, 16]"),
    ({'masks': {'layer7': np.ones((20, 16))}}, 'layer7'),
    ({'presets': {'layer1': np.ones((16, 5))}}, "preset 'layer1' has shape"),
    ({'presets': {'nope': np.ones(2)}}, 'nope'),
    ({'masks': {'layer0': np.full((20, 16), 0.5)}}, 'other than 0 and 1'),
])
def test_mismatched_masks_and_presets_are_refused(tiny_dataset, kwargs, message):
  with tf.Graph().as_default():
    inputs, labels = tiny_dataset.placeholders()
    with pytest.raises(ValueError, match=message.replace('[', r'\[').replace(']', r'\]')):
      model_fc.ModelFc(HP, inputs, labels, **kwargs)


def test_apply_reuses_variables(tiny_dataset):
  with tf.Graph().as_default() as graph:
    inputs, labels = tiny_dataset.placeholders()
    model = model_fc.ModelFc(HP, inputs, labels)
    count = len(tf.global_variables())
    logits = model.apply(tf.constant(tiny_dataset.test.images))
    assert len(tf.global_variables()) == count
    with tf.Session(graph=graph) as sess:
      sess.run(tf.global_variables_initializer())
      a = sess.run(logits)
      b = sess.run(model.logits, {inputs: tiny_dataset.test.images})
  np.testing.assert_allclose(a, b, rtol=1e-6)


@pytest.mark.parametrize('name, layers', [('lenet5', 5), ('conv2', 5)])
def test_conv_networks_build_and_mask(name, layers):
  spec = architectures.architecture(name)
  with tf.Graph().as_default() as graph:
    inputs = tf.placeholder(tf.float32, [None, 28, 28, 1])
    labels = tf.placeholder(tf.int32, [None])
    mask = np.zeros((5, 5, 1, 6) if name == 'lenet5' else (3, 3, 1, 64),
                    np.float32)
    model = model_conv.ModelConv(spec, inputs, labels, masks={'conv0': mask})
    assert len(model.layer_names) == layers
    with tf.Session(graph=graph) as sess:
      sess.run(tf.global_variables_initializer())
      logits = sess.run(model.logits, {inputs: np.ones((2, 28, 28, 1))})
      weights = model.get_current_weights(sess)
  assert logits.shape == (2, 10)
  assert not weights['conv0'].any()


def test_unknown_activation_and_architecture_are_named():
  with pytest.raises(ValueError, match="'swishy'"):
    model_fc.model_base.activation_fn('swishy')
  with pytest.raises(ValueError, match="'conv9'"):
    architectures.architecture('conv9')
