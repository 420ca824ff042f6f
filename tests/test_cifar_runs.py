"""The CIFAR ResNets and VGGs from the configuration and the runners.

The names and layers are read without TensorFlow and agree with the built
models; the derived defaults follow OpenLTH for the CIFAR nets and leave
every other run as it was; the step schedule agrees with its numpy twin and
with hand values at its boundaries; weight decay on every variable differs
from decay on the kernels by exactly the decay of the others; pruning
leaves batch norms and VGG's output layer alone; bad values are refused in
one line; a tiny ResNet trains through the runners on CIFAR-10 files
written by the test, and a lottery level killed and resumed ends byte for
byte as the uninterrupted one.
"""

import json
import os
import shutil

import numpy as np
import packed_testlib as lib
import pytest
import tensorflow.compat.v1 as tf

from lottery_ticket import command_line
from lottery_ticket.analysis import network_model
from lottery_ticket.analysis import network_source
from lottery_ticket.datasets import dataset_cifar10
from lottery_ticket.foundations.models import architectures
from lottery_ticket.foundations.storage import faults
from lottery_ticket.foundations.training import optimizers
from lottery_ticket.foundations.models import packed_model
from lottery_ticket.foundations import pruning
from lottery_ticket.foundations import save_restore
from lottery_ticket.foundations.training import schedules
from lottery_ticket.foundations import trainer
from lottery_ticket.mnist_fc import builders
from lottery_ticket.mnist_fc import config as config_lib
from lottery_ticket.mnist_fc import experiments
from lottery_ticket.mnist_fc.runners import lottery_experiment
from lottery_ticket.mnist_fc.runners import sparse_train
from lottery_ticket.mnist_fc.runners import train

TINY = ['--network=resnet20', '--resnet_width=2', '--save_summaries=false']


def _resolve(**flags):
  return experiments.LOTTERY.resolve(flags)


# Names and layers ---------------------------------------------------------------


@pytest.mark.parametrize('name', ['resnet20', 'resnet32', 'vgg11', 'vgg16'])
def test_layer_names_without_tensorflow_are_the_models(name):
  config = _resolve(network=name)
  spec = config.hyperparameters(10)
  with tf.Graph().as_default():
    inputs = tf.placeholder(tf.float32, [None, 32, 32, 3])
    model = packed_model.model_class(spec)(
        spec, inputs, tf.placeholder(tf.int32, [None]))
  assert config.layer_names() == model.layer_names
  assert config.layer_names()[-1] == 'fc'
  assert not any(n.startswith('bn') or '_bn' in n for n in model.layer_names)


def test_resnet20_layers_by_hand():
  names = _resolve(network='resnet20').layer_names()
  # conv0, 9 blocks of two convolutions, 2 projection shortcuts, fc
  assert len(names) == 1 + 18 + 2 + 1
  assert names[:4] == ['conv0', 'block0_conv1', 'block0_conv2',
                       'block1_conv1']
  assert names[6:10] == ['block2_conv2', 'block3_conv1', 'block3_conv2',
                         'block3_shortcut']


def test_resnet_width_reaches_the_architecture():
  spec = _resolve(network='resnet56', resnet_width=4).hyperparameters(7)
  assert spec == {'resnet_depth': 56, 'resnet_width': 4, 'outputs': 7,
                  'initializer': 'kaiming_normal'}
  vgg = _resolve(network='vgg19').hyperparameters(10)
  assert vgg['vgg_plan'] == architectures.VGG_PLANS[19]


# Derived defaults ---------------------------------------------------------------


def test_openlth_defaults_for_the_cifar_nets_on_cifar10():
  config = _resolve(network='resnet20', dataset='cifar10')
  values = config.values
  assert values['initializer'] == 'kaiming_normal'
  assert values['augment'] == 'crop_flip'
  assert values['normalize'] == 'channel'
  assert values['pruning'] == 'global_with_output'
  assert values['prune_percent_conv'] == 0.2
  assert values['prune_ignore'] == ()
  assert values['layers'] == ()
  vgg = _resolve(network='vgg16', dataset='cifar10')
  assert vgg.lottery.prune_ignore == ('fc',)
  # The global strategy prunes the output layer at its own rate instead.
  assert _resolve(network='vgg16', pruning='global').lottery.prune_ignore == ()


def test_other_runs_keep_their_values():
  for network, dataset in (('fc', 'mnist'), ('conv6', 'cifar10'),
                           ('lenet5', 'digits')):
    values = _resolve(network=network, dataset=dataset).values
    assert values['initializer'] == 'glorot_normal'
    assert values['augment'] == 'none' and values['normalize'] == 'none'
    assert values['pruning'] == 'layerwise'
    assert values['prune_percent_conv'] == 0.1
    assert values['prune_ignore'] == ()
    assert values['weight_decay_on'] == 'kernels'
  # A CIFAR net on another dataset: no augmentation or normalisation unless
  # asked for.
  values = _resolve(network='resnet20', dataset='fashion_mnist').values
  assert values['augment'] == 'none' and values['normalize'] == 'none'


def test_new_settings_are_in_config_json_and_the_identity():
  config = _resolve(network='resnet20', lr_schedule='step',
                    lr_drops='80ep,120ep')
  saved = json.loads(json.dumps(config_lib.record(config, 'lottery')))
  assert saved['model']['resnet_width'] == 16
  assert saved['training']['lr_drops'] == ['80ep', '120ep']
  assert saved['training']['augment'] == 'none'
  assert saved['lottery']['prune_ignore'] == []
  other = _resolve(network='resnet20', lr_schedule='step',
                   lr_drops='80ep,100ep', weight_decay=1e-4,
                   weight_decay_on='all')
  differing = {name for name, _, _ in config.identity_differences(other)}
  assert differing == {'lr_drops', 'weight_decay', 'weight_decay_on'}


# The step schedule --------------------------------------------------------------


def _graph_rates(steps, **schedule):
  with tf.Graph().as_default():
    step = tf.placeholder(tf.int64, [])
    rate = schedules.learning_rate_fn(0.1, 'step', 100, **schedule)(step)
    with tf.Session() as sess:
      return [float(sess.run(rate, {step: s})) for s in steps]


def test_step_schedule_at_its_boundaries():
  steps = [0, 29, 30, 31, 59, 60, 99]
  # lr * 0.1 ** (drops at or before the step), OpenLTH's bisect.
  hand = [0.1, 0.1, 0.01, 0.01, 0.01, 0.001, 0.001]
  graph = _graph_rates(steps, drops=(30, 60))
  twin = [schedules.learning_rate_np(0.1, 'step', 100, s, drops=(30, 60))
          for s in steps]
  np.testing.assert_allclose(graph, hand, rtol=1e-6)
  assert graph == [float(np.float32(r)) for r in twin]


def test_step_schedule_composes_with_warmup():
  steps = [0, 4, 9, 10, 39, 40]
  # Warm-up ramps (step + 1) / 10; the drops at 5 and 40 halve the rate.
  hand = [0.1 / 10, 0.1 * 5 / 10, 0.05, 0.05, 0.05, 0.025]
  graph = _graph_rates(steps, drops=(5, 40), drop_factor=0.5, warmup_steps=10)
  twin = [schedules.learning_rate_np(0.1, 'step', 100, s, warmup_steps=10,
                                     drops=(5, 40), drop_factor=0.5)
          for s in steps]
  np.testing.assert_allclose(graph, hand, rtol=1e-6)
  np.testing.assert_allclose(twin, hand, rtol=1e-6)


def test_drops_in_epochs_use_the_steps_per_epoch():
  training = _resolve(optimizer='momentum', lr_schedule='step',
                      lr_drops='2ep,30it').training
  assert config_lib.drop_iterations(training, steps_per_epoch=7) == (14, 30)
  # Without the dataset's steps per epoch, drops in epochs wait for it.
  assert config_lib.drop_iterations(training) is None
  # The optimizer's rate follows the drops at the global step.
  with tf.Graph().as_default():
    step = tf.train.get_or_create_global_step()
    optimizer = builders.optimizer_fn(training, 100, steps_per_epoch=7)()
    rate = optimizer._learning_rate()  # pylint: disable=protected-access
    with tf.Session() as sess:
      sess.run(tf.global_variables_initializer())
      rates = []
      for value in (13, 14, 30):
        step.load(value, sess)
        rates.append(float(sess.run(rate)))
  lr = optimizers.DEFAULT_LEARNING_RATES['momentum']
  np.testing.assert_allclose(rates, [lr, lr * 0.1, lr * 0.01], rtol=1e-6)
  # A fine-tuned level keeps the rate after the last drop.
  np.testing.assert_allclose(
      builders.final_rate(training, 100, steps_per_epoch=7), lr * 0.01,
      rtol=1e-6)


# Weight decay on every variable -------------------------------------------------


def _one_sgd_step(dataset, spec, decay_on):
  """The weights before and after one SGD step."""
  [(start, final)] = lib.pack(
      dataset, spec, [trainer.Member()], optimizers.optimizer_fn('sgd', 0.1),
      '1it', batch_size=16, weight_decay=0.5, weight_decay_on=decay_on,
      save_network=False)
  return start, final


@pytest.mark.slow
def test_weight_decay_on_all_decays_biases_and_batch_norms_too():
  dataset = lib.digit_images()
  spec = lib.resnet_tiny()
  # The same seed: the same initial weights (batch-norm scales uniform in
  # [0, 1), biases and shifts zero) and batches.
  initial, kernels = _one_sgd_step(dataset, spec, 'kernels')
  _, every = _one_sgd_step(dataset, spec, 'all')
  layers = set(architectures.of(spec).layer_kinds(spec))
  for name, value in kernels.items():
    if name in layers or name.endswith(('_moving_mean', '_moving_variance')):
      # Kernels decay either way; moving statistics are not trained.
      np.testing.assert_array_equal(every[name], value, err_msg=name)
    else:
      # One SGD step: w - lr * (g + wd * w) against w - lr * g.
      np.testing.assert_allclose(value - every[name],
                                 0.1 * 0.5 * initial[name], rtol=1e-3,
                                 atol=1e-6, err_msg=name)
  assert np.all(kernels['bn0_gamma'] - every['bn0_gamma'] > 0)


# Pruning ------------------------------------------------------------------------


def test_vgg_pruning_ranks_every_layer_but_the_output_one():
  config = _resolve(network='vgg11')
  rng = np.random.default_rng(0)
  names = config.layer_names()
  weights = {n: rng.normal(size=(7, 5 + i)) for i, n in enumerate(names)}
  prune = pruning.make_prune_masks(
      config.lottery.pruning, config.prune_percents(), 0,
      output_layer=config.layer_names()[-1],
      ignore=config.lottery.prune_ignore)
  masks = prune(None, weights)
  assert 'fc' not in masks or masks['fc'].all()
  ranked = [n for n in names if n != 'fc']
  total = sum(weights[n].size for n in ranked)
  kept = np.concatenate([np.abs(weights[n])[masks[n] == 1] for n in ranked])
  dropped = np.concatenate([np.abs(weights[n])[masks[n] == 0]
                            for n in ranked])
  assert dropped.size == round(0.2 * total)
  assert dropped.max() < kept.min()  # one threshold over the ranked layers


# Refusals -----------------------------------------------------------------------

REFUSED = [
    ('train', ['--network=resnet20', '--layers=300,100'],
     '--layers=300,100: resnet20 has no hidden fully-connected layers'),
    ('train', ['--network=fc', '--resnet_width=8'],
     '--resnet_width=8 is read only with --network=resnet20'),
    ('train', ['--network=resnet21'], "No such network: 'resnet21'"),
    ('train', ['--network=resnet20', '--resnet_width=0'],
     '--resnet_width=0 must be >= 1'),
    ('train', ['--lr_schedule=step'], '--lr_schedule=step needs --lr_drops'),
    ('train', ['--lr_drops=10it'],
     '--lr_drops=10it is read only with --lr_schedule=step'),
    ('train', ['--lr_schedule=step', '--lr_drops=10it,40it'],
     '--lr_drops=10it,40it: a learning-rate drop at iteration 40 is not '
     'within the 20 training iterations'),
    ('train', ['--lr_schedule=step', '--lr_drops=100,200'],
     "--lr_drops=100,200: '100' is not a duration like 80ep"),
    ('train', ['--lr_schedule=step', '--lr_drops=10it,5it'],
     'must be at increasing iterations'),
    ('train', ['--lr_schedule=step', '--lr_drops=10it',
               '--lr_drop_factor=0'], '--lr_drop_factor=0.0 must be > 0'),
    ('train', ['--weight_decay_on=all'],
     '--weight_decay_on=all is read only with --weight_decay above 0'),
    ('train', ['--weight_decay=1e-4', '--weight_decay_on=biases'],
     "No such weight_decay_on: 'biases'"),
    ('train', ['--normalize=channel'],
     '--normalize=channel: only cifar10 has per-channel statistics'),
    ('train', ['--network=fc', '--augment=crop_flip'],
     '--augment=crop_flip crops and flips images: --network=fc'),
    ('lottery_experiment', ['--network=vgg11', '--prune_ignore=conv99'],
     'cannot ignore conv99: not a pruned layer'),
    ('lottery_experiment', ['--network=vgg11', '--pruning=global',
                            '--prune_ignore=fc'],
     '--prune_ignore=fc: the global strategy prunes the output layer'),
    ('sparse_train', ['--network=resnet20', '--method=small_dense',
                      '--sparsity=0.5'],
     '--network=resnet20 has no widths it narrows'),
]
RUNNERS = {'train': train.RUNNER,
           'lottery_experiment': lottery_experiment.RUNNER,
           'sparse_train': sparse_train.RUNNER}


@pytest.mark.parametrize('runner, flags, message', REFUSED,
                         ids=[' '.join(c[1]) for c in REFUSED])
def test_refused_in_one_line(tmp_path, capsys, runner, flags, message):
  out = tmp_path / 'out'
  with pytest.raises(SystemExit) as stop:
    command_line.run(RUNNERS[runner], ['--output_dir=' + str(out),
                                       '--dataset=digits',
                                       '--training_len=20it'] + flags)
  assert stop.value.code == 2
  lines = capsys.readouterr().err.strip().splitlines()
  assert len(lines) == 1 and message in lines[0], lines
  assert not out.exists()


# Runs ---------------------------------------------------------------------------


@pytest.fixture
def tiny_cifar10(tmp_path, monkeypatch):
  """CIFAR-10 in its binary format, 24 records per batch, which the loader
  takes for the published size."""
  monkeypatch.setattr(dataset_cifar10, 'RECORDS_PER_BATCH', 24)
  return lib.tiny_cifar10(str(tmp_path / 'cifar10'))


@pytest.mark.slow
def test_a_resnet_trains_on_cifar10_files(tmp_path, tiny_cifar10):
  out = tmp_path / 'run'
  command_line.run(train.RUNNER, [
      '--output_dir=' + str(out), '--dataset=cifar10',
      '--data_location=' + tiny_cifar10, '--validate_size=24',
      '--batch_size=8', '--training_len=4it', '--test_interval=2',
      '--optimizer=momentum', '--lr_schedule=step', '--lr_drops=2it',
      '--weight_decay=1e-4', '--weight_decay_on=all'] + TINY)
  saved = json.loads((out / 'config.json').read_text())
  assert saved['data']['normalize'] == 'channel'
  assert saved['training']['augment'] == 'crop_flip'
  assert saved['model']['initializer'] == 'kaiming_normal'
  network = network_source.load(str(out))
  assert network_model.describe_architecture(network) == (
      'resnet20 of width 2 on cifar10')
  with tf.Graph().as_default():
    inputs = tf.placeholder(tf.float32, [None, 32, 32, 3])
    model = network_model.build(network, inputs,
                                tf.placeholder(tf.int32, [None]), 10)
  assert model.layer_names == network.run_config.layer_names()


LOTTERY = ['--dataset=digits', '--training_len=20it', '--iterations=1',
           '--test_interval=10', '--checkpoint_interval=10',
           '--optimizer=momentum', '--lr_schedule=step', '--lr_drops=10it',
           '--weight_decay=1e-3', '--augment=crop_flip'] + TINY


@pytest.mark.slow
def test_a_resnet_lottery_level_killed_and_resumed_is_the_same(tmp_path):
  whole = tmp_path / 'whole'
  copies = []

  def copy(name):
    # Level 1's mid-level checkpoint: a kill there resumes a level whose
    # batch norms were rewound with the weights (level 0's resume is the
    # trainer's, tested on a tiny ResNet in test_model_cifar.py).
    if (name.startswith('checkpoint ') and name.endswith('model-10') and
        os.path.join('1', 'same_init') in name):
      where = tmp_path / 'kill{}'.format(len(copies))
      shutil.copytree(whole, where, symlinks=True)
      copies.append(where)

  with faults.observe(copy):
    command_line.run(lottery_experiment.RUNNER,
                     ['--output_dir=' + str(whole)] + LOTTERY)
  assert len(copies) == 1
  for where in copies:
    command_line.run(lottery_experiment.RUNNER,
                     ['--output_dir=' + str(where)] + LOTTERY)
    lib.assert_same_trees(where, whole)

  # Level 1: 20% of every layer's weights pruned in one ranking (ResNet's
  # output layer included, as OpenLTH), batch norms neither masked nor
  # reset to zero.
  level0 = save_restore.restore_network(os.path.join(whole, '0', 'same_init',
                                                     'initial'))
  level1 = whole / '1' / 'same_init'
  masks = save_restore.restore_network(str(level1 / 'masks'))
  names = experiments.LOTTERY.resolve(
      {'network': 'resnet20', 'resnet_width': 2}).layer_names()
  assert sorted(masks) == sorted(names)
  total = sum(m.size for m in masks.values())
  assert sum(m.size - m.sum() for m in masks.values()) == round(0.2 * total)
  initial1 = save_restore.restore_network(str(level1 / 'initial'))
  batch_norm = [n for n in level0 if n.startswith('bn') or '_bn' in n]
  assert batch_norm
  for name in batch_norm:
    np.testing.assert_array_equal(initial1[name], level0[name], err_msg=name)
