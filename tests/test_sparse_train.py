"""Sparse-training runs end to end on digits: outputs, schedules, lottery,
resuming, configurations, presets and the command line."""

import os
import sys

import numpy as np
import pytest
from fire import parser as fire_parser

from lottery_ticket import command_line
from lottery_ticket.argfiles import lines as lines_lib
from lottery_ticket.argfiles import sparse_train_argfile
from lottery_ticket.foundations.models import architectures
from lottery_ticket.foundations import paths
from lottery_ticket.foundations import save_restore
from lottery_ticket.foundations.storage import integrity
from lottery_ticket.foundations.sparse import sparsity_distribution as dist
from lottery_ticket.mnist_fc import small_dense
from lottery_ticket.mnist_fc import config as config_lib
from lottery_ticket.mnist_fc import experiments
from lottery_ticket.foundations.sparse import sparse_methods
from lottery_ticket.mnist_fc import sparse_presets
from lottery_ticket.mnist_fc import sparse_train
from lottery_ticket.mnist_fc.runners import sparse_train as runner

TINY = dict(dataset='digits', layers=(16,), batch_size=32, test_interval=10,
            grad_batch_size=100, optimizer='momentum', learning_rate=0.05,
            save_summaries=False)
PRUNE = dict(TINY, method='prune', sparsity=0.75, training_len='60it',
             prune_begin_step=10, prune_end_step=50, prune_frequency=10,
             checkpoint_interval=30)
SHAPES = {'layer0': [64, 16], 'layer1': [16, 10]}


def _metrics(run_dir):
  return integrity.read_json(paths.metrics(run_dir))


def _resolve(config=None, **flags):
  """The Config of sparse_train flags, completed when its data is at hand."""
  resolved = experiments.SPARSE_TRAIN.resolve(flags, config)
  if resolved.data.dataset == 'digits':
    resolved = config_lib.complete(resolved, resolved.make_dataset())
  return resolved, resolved


@pytest.fixture(scope='module')
def prune_run(tmp_path_factory):
  run_dir = str(tmp_path_factory.mktemp('sparse') / 'prune')
  sparse_train.sparse_train(run_dir, **dict(PRUNE, save_summaries=True))
  return run_dir


def test_gradual_pruning_follows_the_schedule_at_every_step(prune_run):
  run, sparse = _resolve(**PRUNE)
  schedule = sparse.sparsity_schedule(60)
  extra = _metrics(prune_run)['extra']
  assert [r['iteration'] for r in extra] == list(range(0, 70, 10))
  for record in extra:
    expected = dist.layer_counts(SHAPES, schedule.sparsity_at(
        record['iteration']))
    for name, shape in SHAPES.items():
      assert record['sparsity/' + name] == pytest.approx(
          1 - expected[name] / np.prod(shape), abs=1e-6)
  assert extra[-1]['sparsity'] == pytest.approx(0.75, abs=0.01)
  updates = _metrics(prune_run)['mask_updates']
  assert [u['iteration'] for u in updates] == [10, 20, 30, 40, 50]
  assert [u['fraction'] for u in updates] == pytest.approx(
      [schedule.target(s) for s in (10, 20, 30, 40, 50)])
  assert run.training.training_len == '60it'


def test_a_run_writes_every_output(prune_run):
  for name in ('config.json', 'metrics.json', 'train.log', 'test.log', 'DONE',
               'initial', 'final', 'masks', 'initial_masks', 'summaries'):
    assert os.path.exists(os.path.join(prune_run, name)), name
  checkpoints = os.listdir(paths.checkpoints(prune_run))
  assert {'model-30.index', 'model-60.index'} <= set(checkpoints)
  assert os.listdir(os.path.join(paths.summaries(prune_run), 'masks'))
  last = _metrics(prune_run)['extra'][-1]
  for key in ('learning_rate', 'sparsity', 'sparsity/layer0', 'grad_norm',
              'grad_norm/layer0', 'grad_norm/layer1_bias', 'dist_init_l2',
              'dist_init_l2/layer0', 'dist_init_cosine',
              'dist_init_cosine/layer1', 'momentum_norm'):
    assert key in last, key
  assert last['learning_rate'] == pytest.approx(0.0, abs=1e-7)  # cosine end
  assert _metrics(prune_run)['extra'][0]['dist_init_l2'] == 0.0
  masks = save_restore.restore_network(paths.masks(prune_run))
  final = save_restore.restore_network(paths.final(prune_run))
  assert np.all(final['layer0'][masks['layer0'] == 0] == 0)
  config = integrity.read_json(paths.config(prune_run))
  assert config['experiment'] == 'sparse_train'
  assert config['sparse']['method'] == 'prune'
  assert config['sparse']['sparsity'] == 0.75
  assert config['model']['layers'] == [16]
  assert config['sparse']['prune_end_step'] == 50


def test_lottery_starts_from_exactly_the_saved_initial_weights(prune_run,
                                                               tmp_path):
  run_dir = str(tmp_path / 'lottery')
  initial, _ = sparse_train.sparse_train(
      run_dir, **dict(TINY, method='lottery', sparsity=0.75, mask_from=prune_run,
                      training_len='10it'))
  masks = save_restore.restore_network(paths.masks(prune_run))
  source = save_restore.restore_network(paths.initial(prune_run))
  saved = save_restore.restore_network(paths.initial(run_dir))
  for name, value in source.items():
    expected = value * masks[name] if name in masks else value
    np.testing.assert_array_equal(initial[name], expected)
    np.testing.assert_array_equal(saved[name], expected)
  start = save_restore.restore_network(paths.initial_masks(run_dir))
  for name in masks:
    np.testing.assert_array_equal(start[name], masks[name])


def test_a_shuffled_lottery_keeps_the_initial_weights_at_new_places(
    prune_run, tmp_path):
  run_dir = str(tmp_path / 'lottery_shuffled')
  initial, _ = sparse_train.sparse_train(
      run_dir, **dict(TINY, method='lottery', sparsity=0.75, mask_from=prune_run,
                      shuffle_mask=True, training_len='2it'))
  masks = save_restore.restore_network(paths.masks(prune_run))
  source = save_restore.restore_network(paths.initial(prune_run))
  start = save_restore.restore_network(paths.initial_masks(run_dir))
  for name, value in source.items():
    if name in masks:  # each layer's count kept, the places moved
      assert start[name].sum() == masks[name].sum()
      assert not np.array_equal(start[name], masks[name])
      np.testing.assert_array_equal(initial[name], value * start[name])
    else:
      np.testing.assert_array_equal(initial[name], value)


def test_scratch_reuses_the_mask_with_fresh_weights(prune_run, tmp_path):
  masks = save_restore.restore_network(paths.masks(prune_run))
  source = save_restore.restore_network(paths.initial(prune_run))
  for shuffle in (False, True):
    run_dir = str(tmp_path / 'scratch{}'.format(shuffle))
    initial, _ = sparse_train.sparse_train(
        run_dir, **dict(TINY, method='scratch', sparsity=0.75,
                        mask_from=prune_run, shuffle_mask=shuffle,
                        training_len='10it'))
    start = save_restore.restore_network(
        paths.initial_masks(run_dir))
    for name in masks:
      assert start[name].sum() == masks[name].sum()
      assert np.array_equal(start[name], masks[name]) != shuffle
      assert not np.allclose(initial[name], source[name] * start[name])


@pytest.mark.slow
@pytest.mark.parametrize('method, extra', [
    ('dense', {}),
    ('small_dense', {}),
    ('set', {'update_freq': 10, 'distribution': 'erk'}),
    # In the fast lane, its growth is test_sparse_mask_updates'
    # [inverted_gradient], --init_method's wiring [snip] and [grasp] here.
    pytest.param('rigl_inverted', {'update_freq': 10,
                                   'init_method': 'unit_scaled'},
                 marks=pytest.mark.slow),
    ('snip', {'init_method': 'layer_scaled'}),
    ('grasp', {'init_method': 'metainit', 'metainit_steps': 3}),
    ('synflow', {'network': 'lenet5'}),
    ('force', {'distribution': 'erk'}),
    # RigL trains in the fast lane in test_a_preset_runs_with_overrides and
    # test_rigl_from_a_mask_starts_from_a_fresh_initialisation (MLP), a
    # sparse LeNet-5 above (synflow); on LeNet-5 with ERK, in the full suite.
    pytest.param('rigl', {'network': 'lenet5', 'update_freq': 10,
                          'distribution': 'erk', 'init_method': 'unit_scaled'},
                 marks=pytest.mark.slow),
])
def test_every_method_trains(method, extra, tmp_path):
  flags = dict(TINY, method=method, training_len='20it', **extra)
  if method != 'dense':
    flags['sparsity'] = 0.8
  run_dir = str(tmp_path / method)
  sparse_train.sparse_train(run_dir, **flags)
  assert os.path.exists(paths.done_marker(run_dir))
  last = _metrics(run_dir)['extra'][-1]
  shapes = {k: v.shape for k, v in save_restore.restore_network(
      paths.masks(run_dir)).items()}
  if method in ('dense', 'small_dense'):
    assert last['sparsity'] == 0
  else:
    counts = dist.layer_counts(shapes, 0.8, extra.get('distribution',
                                                      'uniform'))
    total = sum(np.prod(s) for s in shapes.values())
    assert last['sparsity'] == pytest.approx(1 - sum(counts.values()) / total,
                                             abs=1e-6)
  if method == 'small_dense':
    start = integrity.read_json(paths.config(run_dir))['details']['start']
    # Budget: 20% of the kernels plus every bias; a hidden unit costs 75.
    assert start['parameter_budget'] == round(0.2 * 1184) + 26
    width, = start['small_dense_widths']
    assert start['small_dense_parameters'] == 75 * width + 10
    # The paper's rule: the narrowest net with at least the sparse one's size.
    assert 75 * width + 10 >= start['parameter_budget'] > 75 * (width - 1) + 10


def test_parameter_counts_match_the_built_networks():
  import tensorflow.compat.v1 as tf  # pylint: disable=g-import-not-at-top
  from lottery_ticket.foundations import model_conv  # pylint: disable=g-import-not-at-top
  spec = architectures.architecture('lenet5')
  spec['padding'] = 'VALID'
  kernels, biases = small_dense.kernel_shapes(spec, (28, 28, 1))
  assert kernels['fc0'] == [256, 120]
  with tf.Graph().as_default():
    inputs = tf.placeholder(tf.float32, [None, 28, 28, 1])
    model = model_conv.ModelConv(spec, inputs, tf.placeholder(tf.int32, [None]))
    built = sum(int(np.prod(v.shape)) for v in model.trainable_variables)
  assert small_dense.count_parameters(spec, (28, 28, 1)) == built == 44426
  for name in kernels:
    assert model.kernels[name].shape.as_list() == kernels[name]


def test_a_saved_configuration_seeds_the_next_run(prune_run):
  run, sparse = _resolve(config=paths.config(prune_run),
                                      prune_end_step=40, seed=3)
  assert sparse.sparse.method == 'prune' and sparse.sparse.prune_end_step == 40
  assert sparse.sparse.prune_begin_step == 10 and run.model.layers == (16,)
  assert run.training.seed == 3 and run.data.dataset == 'digits'
  run, sparse = _resolve(save_freq=7, log_freq=3, method='dense')
  assert run.training.checkpoint_interval == 7
  assert run.training.test_interval == 3


@pytest.mark.parametrize('network', sparse_presets.NETWORKS)
def test_presets_hold_the_papers_settings(network):
  for method in sparse_methods.NAMES:
    flags = {'preset': network, 'method': method}
    if sparse_methods.get(method).mask_from != 'never':
      flags['mask_from'] = '/nowhere'
    run, sparse = _resolve(**flags)
    assert run.training.batch_size == 128
    assert run.training.training_len == '11719it'
    assert run.training.optimizer == 'momentum'
    assert sparse.training.lr_schedule == 'cosine'
    assert sparse.sparse.sparsity == (0.0 if method == 'dense' else
                               {'lenet5': 0.95, 'mlp': 0.98}[network])
    if method == 'prune':
      schedule = sparse.sparsity_schedule(11719)
      assert (schedule.begin_step, schedule.end_step) == (3000, 7000)
    if sparse_methods.get(method).growth:
      assert sparse.sparse.update_freq == {'lenet5': 100, 'mlp': 500}[network]
      assert sparse.sparse.drop_fraction == 0.3
      assert sparse.update_steps(11719)[-1] > 11000
  run, sparse = _resolve(preset=network, method='snip')
  assert run.training.learning_rate == {'lenet5': 0.1, 'mlp': 0.2}[network]


@pytest.mark.slow
def test_a_preset_runs_with_overrides(tmp_path):
  run_dir = str(tmp_path / 'preset')
  sparse_train.sparse_train(run_dir, preset='mlp', method='rigl',
                            mask_from='random', **dict(TINY, training_len='20it', update_freq=10,
                                   validate_size=None, checkpoint_interval=20))
  config = integrity.read_json(paths.config(run_dir))
  assert config['sparse']['preset'] == 'mlp'
  assert config['sparse']['drop_fraction_schedule'] == 'lr'
  assert config['training']['learning_rate'] == 0.05  # the flag wins
  assert len(_metrics(run_dir)['mask_updates']) == 2
  # Preloading the saved configuration keeps what overrode the preset.
  run, sparse = _resolve(config=paths.config(run_dir),
                                      drop_fraction=0.5)
  assert run.training.learning_rate == 0.05 and run.model.layers == (16,)
  assert sparse.sparse.drop_fraction == 0.5 and sparse.sparse.update_freq == 10
  assert sparse.sparse.preset == 'mlp'
  assert sparse.sparse.drop_fraction_schedule == 'lr'


def test_argfile_lines_are_understood(tmp_path):
  lines = sparse_train_argfile.make_lines(str(tmp_path), trials=1,
                                          sparsities='0.9', dataset='digits')
  methods = set()
  for text in lines:
    flags = {k: fire_parser.DefaultParseValue(v) if isinstance(v, str) else v
             for k, v in lines_lib.line_flags(lines_lib.split_line(text)).items()}
    assert runner.output_directories(**flags) == [flags['output_dir']]
    del flags['output_dir']
    _, sparse = _resolve(**flags)
    methods.add(sparse.sparse.method)
  assert methods == set(sparse_train_argfile.METHODS)


def _cli(monkeypatch, capsys, *args):
  monkeypatch.setattr(sys, 'argv', ['sparse_train'] + list(args))
  with pytest.raises(SystemExit) as exit_info:
    command_line.run(runner.RUNNER)
  err = capsys.readouterr().err.strip().splitlines()
  assert exit_info.value.code == 2
  assert len(err) == 1
  return err[0]


def test_bad_input_is_one_line_and_status_2(monkeypatch, capsys, tmp_path,
                                            prune_run):
  out = '--output_dir=' + str(tmp_path / 'bad')
  assert "No such method: 'foo'" in _cli(monkeypatch, capsys, out,
                                         '--method=foo', '--sparsity=0.5')
  assert '--sparsity=1.0 must be < 1' in _cli(
      monkeypatch, capsys, out, '--method=rigl', '--sparsity=1.0')
  assert '--sparsity=-0.5 must be >= 0' in _cli(
      monkeypatch, capsys, out, '--method=snip', '--sparsity=-0.5')
  assert 'must come after prune_begin_step' in _cli(
      monkeypatch, capsys, out, '--method=prune', '--sparsity=0.5',
      '--prune_begin_step=50', '--prune_end_step=20', '--dataset=digits')
  assert 'training has only 30 steps' in _cli(
      monkeypatch, capsys, out, '--method=prune', '--sparsity=0.5',
      '--prune_end_step=50', '--training_len=30it', '--dataset=digits')
  assert 'from a different network' in _cli(
      monkeypatch, capsys, out, '--method=lottery', '--sparsity=0.75',
      '--mask_from=' + prune_run, '--dataset=digits', '--layers=20',
      '--training_len=10it')
  assert 'has sparsity 0.7500, but --sparsity=0.9' in _cli(
      monkeypatch, capsys, out, '--method=scratch', '--sparsity=0.9',
      '--mask_from=' + prune_run, '--dataset=digits', '--layers=16',
      '--training_len=10it')
  assert 'give --mask_from' in _cli(monkeypatch, capsys, out,
                                    '--method=lottery', '--sparsity=0.9')
  assert 'does not take --drop_fractoin' in _cli(
      monkeypatch, capsys, out, '--method=set', '--sparsity=0.9',
      '--drop_fractoin=0.2')
  assert not os.path.exists(str(tmp_path / 'bad' / 'DONE'))


def test_the_entry_point_runs_as_a_module(run_main, capsys):
  # The module's __main__ block, in-process (that `python -m` of a runner
  # works at all is test_runners.test_bad_flag_from_the_shell).
  assert run_main('lottery_ticket.mnist_fc.runners.sparse_train',
                  '--output_dir=/nonexistent/x', '--method=bogus',
                  '--sparsity=0.5') == 2
  ours = [l for l in capsys.readouterr().err.splitlines()
          if l.startswith('sparse_train')]
  assert ours == ["sparse_train: error: No such method: 'bogus' (choose from: "
                  + ', '.join(sparse_methods.NAMES) + ')']


def test_paper_presets_start_set_and_rigl_from_the_prune_mask():
  """Evci et al.'s rigl.gin/set.gin load the prune run's mask (mask_init_path)."""
  with pytest.raises(ValueError, match='give --mask_from=<prune run>'):
    _resolve(preset='mlp', method='rigl')
  assert _resolve(preset='mlp', method='set', mask_from='random')[0].mask_path == ''
  with pytest.raises(ValueError, match='--mask_from=random applies to set'):
    _resolve(method='lottery', sparsity=0.5, mask_from='random')


def test_rigl_from_a_mask_starts_from_a_fresh_initialisation(prune_run, tmp_path):
  """Same seed, same mask: RigL must not restart from the lottery ticket."""
  run_dir = str(tmp_path / 'rigl_from_prune')
  sparse_train.sparse_train(run_dir, **dict(
      TINY, method='rigl', sparsity=0.75, mask_from=prune_run,
      training_len='20it', update_freq=10, checkpoint_interval=20))
  ticket = save_restore.restore_network(paths.initial(prune_run))
  start = save_restore.restore_network(paths.initial(run_dir))
  masks = save_restore.restore_network(paths.initial_masks(run_dir))
  np.testing.assert_array_equal(
      masks['layer0'], save_restore.restore_network(paths.masks(prune_run))['layer0'])
  alive = masks['layer0'] == 1
  assert not np.any(np.isclose(start['layer0'][alive], ticket['layer0'][alive]))
  assert np.all(start['layer0'][~alive] == 0)
