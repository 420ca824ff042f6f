"""CIFAR ResNets and VGGs, batch norm, augmentation and normalised CIFAR-10.

Parameter counts equal OpenLTH's; batch norm uses batch statistics when
training and its moving statistics when evaluating; its tensors are saved,
checkpointed and rewound but never masked or pruned; augmentation is a pure
function of (seed, step); tiny networks train through trainer.train on a
CIFAR-10 written in its binary format by the test.
"""


import numpy as np
import packed_testlib as lib
import pytest
import tensorflow.compat.v1 as tf

from lottery_ticket.datasets import dataset_cifar10
from lottery_ticket.foundations.models import architectures
from lottery_ticket.foundations.training import augmentation
from lottery_ticket.foundations.storage import checkpoint_files
from lottery_ticket.foundations import masks as masks_lib
from lottery_ticket.foundations import model_base
from lottery_ticket.foundations.models import model_cifar
from lottery_ticket.foundations.training import optimizers
from lottery_ticket.foundations.models import packed_model
from lottery_ticket.foundations import paths
from lottery_ticket.foundations import pruning
from lottery_ticket.foundations import save_restore
from lottery_ticket.foundations.training import session as session_lib
from lottery_ticket.foundations.training import train_options
from lottery_ticket.foundations import trainer

TINY_RESNET = {'resnet_depth': 8, 'resnet_width': 4}
TINY_VGG = {'vgg_plan': [4, model_cifar.POOL, 8, 8]}


def _build(hyperparameters, side=32, channels=3):
  inputs = tf.placeholder(tf.float32, [None, side, side, channels])
  labels = tf.placeholder(tf.int32, [None])
  model = packed_model.model_class(hyperparameters)(hyperparameters, inputs,
                                                    labels)
  return model, inputs, labels


@pytest.mark.slow
@pytest.mark.parametrize('name, count', [
    ('resnet20', 272474),
    pytest.param('resnet110', 1730714, marks=pytest.mark.slow),
    ('vgg16', 14728266), ('vgg19', 20040522)])
def test_parameter_counts_are_openlths(name, count):
  with tf.Graph().as_default():
    model, _, _ = _build(architectures.architecture(name))
    sizes = [int(np.prod(v.shape.as_list()))
             for v in model.trainable_variables]
  assert sum(sizes) == count


def test_resnet_layers_and_batch_norms():
  with tf.Graph().as_default():
    model, _, _ = _build(architectures.architecture('resnet20'))
  # 19 convolutions, 2 projection shortcuts, the output layer
  assert len(model.layer_names) == 22
  assert model.layer_names[0] == 'conv0' and model.layer_names[-1] == 'fc'
  assert 'block3_shortcut' in model.layer_names
  assert 'block6_shortcut' in model.layer_names
  assert not model.biases.keys() - {'fc'}
  assert len(model.batch_norms) == 21
  assert len(model.state_variables) == 42


def test_normalised_cifar10(tmp_path):
  directory = lib.tiny_cifar10(str(tmp_path / 'cifar'))
  plain = dataset_cifar10.DatasetCifar10(directory, verify=False)
  normal = dataset_cifar10.DatasetCifar10(directory, verify=False,
                                          normalized=True)
  mean = np.array(dataset_cifar10.CHANNEL_MEAN, np.float32)
  std = np.array(dataset_cifar10.CHANNEL_STD, np.float32)
  np.testing.assert_allclose(normal.train.images,
                             (plain.train.images - mean) / std, rtol=1e-6)
  np.testing.assert_array_equal(normal.train.labels, plain.train.labels)
  np.testing.assert_allclose(normal.black, -mean / std, rtol=1e-6)
  assert plain.black == [0.0, 0.0, 0.0]


class _OneBatchNorm(model_base.ModelBase):
  """A batch norm of its inputs, flattened to logits."""

  def __init__(self, hyperparameters, inputs, labels, presets=None,
               masks=None):
    del hyperparameters
    super(_OneBatchNorm, self).__init__(presets=presets, masks=masks)
    self.create_loss_and_accuracy(labels, self.apply(inputs))

  def forward(self, inputs):
    return self.flatten(self.batch_norm('bn', inputs))


def test_batch_norm_modes_against_numpy():
  rng = np.random.default_rng(1)
  images = (rng.normal(size=(6, 3, 3, 2)) * 3 + 1).astype(np.float32)
  presets = {'bn_gamma': np.array([0.5, 2.0], np.float32),
             'bn_beta': np.array([0.1, -1.0], np.float32),
             'bn_moving_mean': np.array([0.3, -0.2], np.float32),
             'bn_moving_variance': np.array([4.0, 0.5], np.float32)}
  with tf.Graph().as_default() as graph:
    inputs = tf.placeholder(tf.float32, [None, 3, 3, 2])
    model = _OneBatchNorm({}, inputs, tf.placeholder(tf.int32, [None]),
                          presets=presets)
    evaluated = model.apply(inputs)
    assert not model.take_updates()
    trained = model.apply(inputs, training=True)
    updates = model.take_updates()
    with session_lib.new_session(graph) as sess:
      sess.run(tf.global_variables_initializer())
      got_eval = sess.run(evaluated, {inputs: images})
      got_train = sess.run(trained, {inputs: images})
      sess.run(updates, {inputs: images})
      moving = sess.run(model.state_variables)
  gamma, beta = presets['bn_gamma'], presets['bn_beta']
  eps = model_base.BATCH_NORM_EPSILON
  want_eval = ((images - presets['bn_moving_mean']) /
               np.sqrt(presets['bn_moving_variance'] + eps) * gamma + beta)
  np.testing.assert_allclose(got_eval, want_eval.reshape(6, -1), rtol=1e-5,
                             atol=1e-5)
  flat = images.reshape(-1, 2).astype(np.float64)
  want_train = (images - flat.mean(0)) / np.sqrt(flat.var(0) + eps) * gamma
  np.testing.assert_allclose(got_train, (want_train + beta).reshape(6, -1),
                             rtol=1e-5, atol=1e-5)
  np.testing.assert_allclose(
      moving[0], 0.9 * presets['bn_moving_mean'] + 0.1 * flat.mean(0),
      rtol=1e-5)
  np.testing.assert_allclose(
      moving[1], 0.9 * presets['bn_moving_variance'] +
      0.1 * flat.var(0, ddof=1), rtol=1e-5)


def test_masks_and_pruning_never_touch_batch_norm():
  with tf.Graph().as_default():
    model, _, _ = _build(TINY_VGG)
    names = model.layer_names
    params = model.parameters()
  assert names == ['conv0', 'conv1', 'conv2', 'fc']
  batch_norm = sorted(k for k in params if k.startswith('bn'))
  assert batch_norm == sorted(
      'bn{}{}'.format(i, s) for i in range(3)
      for s in masks_lib.BATCH_NORM_SUFFIXES)
  assert all(masks_lib.is_unmasked(k) for k in batch_norm)
  assert not any(masks_lib.is_unmasked(k) for k in names)
  rng = np.random.default_rng(0)
  weights = {k: rng.normal(size=[int(d) for d in v.shape]).astype(np.float32)
             for k, v in params.items()}
  ones = {k: np.ones_like(v) for k, v in weights.items()}
  assert set(masks_lib.Masks(ones)) == set(names)
  percents = {name: 0.2 for name in names}
  for strategy in pruning.NAMES:
    masks = pruning.make_prune_masks(strategy, percents, 0)(None, weights)
    assert set(masks) == set(names), strategy
  # OpenLTH's VGG: one global ranking, the output layer ignored.
  masks = pruning.make_prune_masks('global_with_output', percents, 0,
                                   ignore=['fc'])(None, weights)
  assert set(masks) == {'conv0', 'conv1', 'conv2'}
  pruned = sum(int(np.sum(1 - masks[n])) for n in masks)
  assert pruned == round(0.2 * sum(weights[n].size for n in masks))
  with pytest.raises(ValueError, match='global_with_output'):
    pruning.make_prune_masks('global', percents, 0, ignore=['fc'])


def _candidates(image, padding, fill):
  padded = np.pad(image, [(padding, padding), (padding, padding), (0, 0)],
                  constant_values=fill)
  side = image.shape[0]
  for top in range(2 * padding + 1):
    for left in range(2 * padding + 1):
      crop = padded[top:top + side, left:left + side]
      yield crop
      yield crop[:, ::-1]


def test_augmentation_is_a_pure_function_of_seed_and_step():
  rng = np.random.default_rng(2)
  images = rng.normal(size=(2, 8, 6, 6, 2)).astype(np.float32)
  augment = augmentation.Augmentation(padding=2, fill=-1.5)
  with tf.Graph().as_default() as graph:
    batch = tf.constant(images)
    seeds = tf.placeholder(tf.int32, [2])
    step = tf.placeholder(tf.int64, [])
    out = augment.apply_pack(batch, seeds, step)
    alone = augment.apply_pack(batch[1:], seeds[1:], step)
    with session_lib.new_session(graph) as sess:
      first, second = sess.run([out, alone], {seeds: [5, 6], step: 3})
      again = sess.run(out, {seeds: [5, 6], step: 3})
      later = sess.run(out, {seeds: [5, 6], step: 4})
  np.testing.assert_array_equal(first, again)
  np.testing.assert_array_equal(first[1], second[0])  # its pack is no matter
  assert not np.array_equal(first[0], later[0])
  # same images, other seeds: other augmentations
  with tf.Graph().as_default() as graph:
    same = augment.apply_pack(tf.constant(np.stack([images[0]] * 2)),
                              tf.constant([5, 6]), tf.constant(3, tf.int64))
    with session_lib.new_session(graph) as sess:
      pair = sess.run(same)
  assert not np.array_equal(pair[0], pair[1])
  # each output is a crop (maybe mirrored) of its own padded image
  for network in range(2):
    for index in range(8):
      assert any(np.array_equal(first[network, index], c) for c in
                 _candidates(images[network, index], 2, -1.5))


def _tiny_members(dataset, hyperparameters, root, count=2):
  return [trainer.Member(output_dir=str(root / str(i)), init_seed=10 + i,
                         order_seed=20 + i) for i in range(count)]


@pytest.mark.slow
@pytest.mark.parametrize('hyperparameters', [
    TINY_RESNET,
    # In the fast lane, the ResNet trains on the files (batch norm,
    # augmentation, a pack) and VGG's layers are counted above.
    pytest.param(TINY_VGG, marks=pytest.mark.slow)], ids=['resnet', 'vgg'])
def test_tiny_networks_train_on_cifar10_files(tmp_path, hyperparameters):
  dataset = dataset_cifar10.DatasetCifar10(
      lib.tiny_cifar10(str(tmp_path / 'cifar')), verify=False, normalized=True,
      validate_size=20, train_order_seed=1)
  members = _tiny_members(dataset, hyperparameters, tmp_path)
  results = trainer.train(
      dataset, hyperparameters, members,
      optimizers.optimizer_fn('momentum', learning_rate=0.05), '6it',
      train_options.options(batch_size=16, test_interval=3,
                            checkpoint_interval=3, save_summaries=False),
      augment=augmentation.Augmentation(fill=dataset.black))
  for member, (initial, final) in zip(members, results):
    assert final['fc'].shape[-1] == 10
    assert sorted(initial) == sorted(final)
    moving = [k for k in final if k.endswith('_moving_mean')]
    assert moving
    for name in moving:  # initial statistics, then trained ones
      np.testing.assert_array_equal(initial[name], 0.0)
      assert not np.array_equal(final[name], 0.0)
    assert set(masks_lib.Masks.load(paths.masks(member.output_dir))) == set(
        k for k in final if not masks_lib.is_unmasked(k))
    saved = save_restore.restore_network(paths.final(member.output_dir))
    assert set(saved) == set(final)
    reader = tf.train.load_checkpoint(
        checkpoint_files.prefix(member.output_dir, 6))
    np.testing.assert_array_equal(
        reader.get_tensor('model/bn0_moving_variance'),
        final['bn0_moving_variance'])
    records = lib.metrics(member.output_dir)
    assert records['test']
  assert not np.array_equal(results[0][1]['fc'], results[1][1]['fc'])


@pytest.mark.slow
def test_augmented_resnet_resumes_bit_identically(tmp_path):
  dataset = dataset_cifar10.DatasetCifar10(
      lib.tiny_cifar10(str(tmp_path / 'cifar')), verify=False, normalized=True,
      train_order_seed=1)
  training = train_options.options(batch_size=16, test_interval=4,
                                   checkpoint_interval=4, save_summaries=False)

  def run(root, iterations):
    return trainer.train(
        dataset, TINY_RESNET, _tiny_members(dataset, TINY_RESNET, root, 1),
        optimizers.optimizer_fn('adam'), ('iterations', iterations), training,
        augment=augmentation.Augmentation(fill=dataset.black))[0]

  whole = run(tmp_path / 'whole', 8)
  run(tmp_path / 'part', 4)  # killed after its checkpoint at 4
  resumed = run(tmp_path / 'part', 8)
  lib.assert_same_weights(resumed[1], whole[1])
  assert lib.metrics(str(tmp_path / 'part' / '0')) == lib.metrics(
      str(tmp_path / 'whole' / '0'))


def test_presets_rewind_batch_norm():
  with tf.Graph().as_default():
    model, _, _ = _build(TINY_RESNET, side=8, channels=1)
    shapes = {k: v.shape.as_list() for k, v in model.parameters().items()}
  rng = np.random.default_rng(3)
  presets = {k: rng.random(shape).astype(np.float32)
             for k, shape in shapes.items()}
  dataset = lib.digit_images()
  values = trainer.initial_values(model_cifar.ModelResNet, TINY_RESNET,
                                  dataset, trainer.Member(presets=presets))
  for name in ('bn0_gamma', 'bn0_beta', 'block0_bn1_moving_mean',
               'block0_bn1_moving_variance'):
    np.testing.assert_array_equal(values['model/' + name], presets[name])


def test_augmentation_refuses_flat_examples():
  with tf.Graph().as_default():
    with pytest.raises(ValueError, match='flattened'):
      augmentation.Augmentation().apply_pack(
          tf.zeros([1, 2, 5]), tf.constant([1]), tf.constant(0, tf.int64))
  with pytest.raises(TypeError, match='Augmentation'):
    augmentation.check({'padding': 4})
