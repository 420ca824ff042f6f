"""Packed models and the pack's arguments: names, shapes, views, refusals."""

import numpy as np
import packed_testlib as lib
import pytest
import tensorflow.compat.v1 as tf

from lottery_ticket.foundations import model_base
from lottery_ticket.foundations import model_conv
from lottery_ticket.foundations import model_fc
from lottery_ticket.foundations.training import optimizers
from lottery_ticket.foundations.models import packed_model

PACKED_FC = packed_model.packed_class(model_fc.ModelFc)


def test_a_pack_has_the_lone_variables_with_a_network_axis(tiny_dataset):
  with tf.Graph().as_default():
    inputs, labels = tiny_dataset.placeholders()
    model = PACKED_FC(2, lib.MLP, inputs, labels)
    shapes = {v.op.name: v.shape.as_list() for v in tf.global_variables()}
  with tf.Graph().as_default():
    inputs, labels = tiny_dataset.placeholders()
    alone = model_fc.ModelFc(lib.MLP, inputs, labels)
    expected = {v.op.name: v.shape.as_list() for v in
                alone.trainable_variables + list(alone.masks.values())}
  assert shapes == {name: [2] + shape for name, shape in expected.items()}
  assert model.layer_names == ['layer0', 'layer1', 'layer2']
  view = packed_model.NetworkView(model, 1)
  assert [(v.op.name, v.index, v.shape.as_list())
          for v in view.trainable_variables] == [
              (v.op.name, 1, v.shape.as_list())
              for v in alone.trainable_variables]
  assert packed_model.unpacked_name('network1/mask_updates', 1) == (
      'mask_updates')
  with pytest.raises(ValueError, match='not a variable of network 0'):
    packed_model.unpacked_name('network1/mask_updates', 0)


def test_a_slice_reads_assigns_and_differentiates_its_network(tiny_dataset):
  with tf.Graph().as_default() as graph:
    inputs, labels = tiny_dataset.placeholders()
    model = PACKED_FC(3, lib.MLP, inputs, labels)
    kernel = packed_model.NetworkView(model, 1).kernels['layer2']
    written = kernel.assign(tf.fill(kernel.shape, 2.0))
    loss = tf.reduce_sum(kernel * kernel)  # converts to its value
    grad, = packed_model.gradients(loss, [kernel])
    with tf.Session(graph=graph) as sess:
      sess.run(tf.global_variables_initializer())
      sess.run(written)
      packed, slice_grad = sess.run([model.kernels['layer2'], grad])
  assert packed.shape == (3, 12, 4)
  np.testing.assert_array_equal(packed[1], np.full((12, 4), 2.0))
  np.testing.assert_array_equal(packed[[0, 2]], np.zeros((2, 12, 4)))
  np.testing.assert_array_equal(slice_grad, np.full((12, 4), 4.0))


def test_a_view_computes_one_network_and_the_pack_each(tiny_dataset):
  rng = np.random.default_rng(0)
  images = tiny_dataset.test.images[:7]
  with tf.Graph().as_default() as graph:
    inputs, labels = tiny_dataset.placeholders()
    model = PACKED_FC(3, lib.MLP, inputs, labels)
    values = {v: rng.normal(size=v.shape.as_list()).astype(np.float32)
              for v in model.trainable_variables}
    values.update({m: (rng.random(m.shape.as_list()) < 0.5).astype(np.float32)
                   for m in model.masks.values()})
    views = [packed_model.NetworkView(model, i).apply(tf.constant(images))
             for i in range(3)]
    pack = model.apply(tf.constant(images))  # each network on the same rows
    with tf.Session(graph=graph) as sess:
      for variable, value in values.items():
        variable.load(value, sess)
      per_view, packed = sess.run([views, pack])
      weights = model.split_current_weights(sess)
  for index in range(3):
    w = weights[index]
    hidden = np.maximum(images @ w['layer0'] + w['layer0_bias'], 0)
    hidden = np.maximum(hidden @ w['layer1'] + w['layer1_bias'], 0)
    expected = hidden @ w['layer2'] + w['layer2_bias']
    np.testing.assert_allclose(per_view[index], expected, rtol=1e-4, atol=1e-4)
    np.testing.assert_array_equal(packed[index], per_view[index])


def test_model_classes_by_hyperparameters():
  assert packed_model.model_class(lib.MLP) is model_fc.ModelFc
  assert packed_model.model_class(lib.lenet5()) is model_conv.ModelConv
  packed = packed_model.packed_class(model_conv.ModelConv)
  assert issubclass(packed, model_conv.ModelConv)
  assert packed_model.packed_class(model_conv.ModelConv) is packed
  assert packed_model.packed_class(packed) is packed
  for wrong in (model_base.ModelBase, dict, 'ModelFc'):
    with pytest.raises(ValueError, match='No packed version of'):
      packed_model.packed_class(wrong)


class _Shortcut(model_base.ModelBase):
  """A model a user writes: a tanh layer, and a linear shortcut from the
  inputs added to the output layer's logits."""

  def __init__(self, hyperparameters, inputs, labels, presets=None,
               masks=None):
    super(_Shortcut, self).__init__(presets=presets, masks=masks)
    self._width = hyperparameters['width']
    self._classes = hyperparameters['classes']
    self.create_loss_and_accuracy(labels, self.apply(inputs))

  def forward(self, inputs):
    hidden = self.dense_layer('hidden', inputs, self._width, activation='tanh')
    return (self.dense_layer('out', hidden, self._classes) +
            self.dense_layer('shortcut', inputs, self._classes,
                             use_bias=False))


@pytest.mark.slow
def test_a_model_a_user_writes_trains_as_a_pack():
  dataset = lib.small_mlp_dataset()
  spec = {'width': 9, 'classes': 4}
  members = lib.members(dataset, spec, model_class=_Shortcut)
  adam = optimizers.optimizer_fn('adam')
  params = dict(batch_size=10, test_interval=10, clip_norm=1.0)
  packed = lib.pack(dataset, spec, members, adam, ('iterations', 30),
                    model_class=_Shortcut, **params)
  for member, (initial, final) in zip(members, packed):
    expected, = lib.pack(dataset, spec, [member], adam, ('iterations', 30),
                         model_class=_Shortcut, **params)
    lib.assert_same_weights(initial, expected[0])
    lib.assert_same_weights(final, expected[1])
  assert sorted(packed[0][1]) == ['hidden', 'hidden_bias', 'out', 'out_bias',
                                  'shortcut']


def _train(members, **params):
  dataset = lib.small_mlp_dataset()
  return lib.pack(dataset, lib.MLP, members, optimizers.optimizer_fn('sgd'),
                  ('iterations', 5), **dict(dict(batch_size=10), **params))


@pytest.mark.parametrize('members, params, message', [
    ([], {}, 'at least one member'),
    ([{'output_dir': '/tmp/x'}, {'output_dir': '/tmp/x'}], {},
     'share an output directory: /tmp/x'),
    ([{'masks': {'layer7': np.ones((20, 16))}}], {}, 'layer7'),
    ([{'presets': {'layer1': np.ones((3, 3))}}], {}, "preset 'layer1'"),
    ([{}], {'batch_size': 10000}, 'batch_size=10000 exceeds'),
    ([{}], {}, None),
])
def test_bad_packs_are_refused_before_training(members, params, message):
  if message is None:
    assert len(_train(members, **params)) == 1
    return
  with pytest.raises(ValueError, match=message):
    _train(members, **params)


@pytest.mark.slow
def test_progress_is_one_line_for_the_pack(capsys):
  _train([{}, {'init_seed': 4}], progress='level 3, trials 0-1',
         test_interval=5)
  assert 'level 3, trials 0-1 | iteration 5/5' in capsys.readouterr().err


def test_a_network_index_outside_the_pack_is_refused(tiny_dataset):
  with tf.Graph().as_default():
    inputs, labels = tiny_dataset.placeholders()
    model = PACKED_FC(2, lib.MLP, inputs, labels)
    with pytest.raises(ValueError, match='network 2 of a pack of 2'):
      model.apply(inputs, network=2)
