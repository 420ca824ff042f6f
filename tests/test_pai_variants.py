"""Pruning at initialisation's own settings, its sanity-check ablations
(Frankle et al. 2021) and the warning of a collapsed layer."""

import os

import numpy as np
import pytest

from lottery_ticket import command_line
from lottery_ticket.foundations.sparse import connectivity
from lottery_ticket.foundations import paths
from lottery_ticket.foundations import save_restore
from lottery_ticket.foundations.storage import integrity
from lottery_ticket.foundations.sparse import sparsity_distribution as dist
from lottery_ticket.mnist_fc import config as config_lib
from lottery_ticket.mnist_fc import experiments
from lottery_ticket.mnist_fc import lottery_experiment
from lottery_ticket.mnist_fc import sparse_setup
from lottery_ticket.mnist_fc import sparse_train
from lottery_ticket.mnist_fc.runners import sparse_train as sparse_runner

TINY = dict(dataset='digits', layers=(16,), batch_size=32, test_interval=10,
            grad_batch_size=100, grow_batch_size=100, training_len='10it',
            save_summaries=False)


def _config(**flags):
  resolved = experiments.SPARSE_TRAIN.resolve(dict(TINY, **flags))
  return config_lib.complete(resolved, resolved.make_dataset())


def _start(**flags):
  config = _config(**flags)
  return config, sparse_setup.prepare(config, config.make_dataset())


def _shapes(masks):
  return {n: list(m.shape) for n, m in masks.items()}


def test_layer_scope_keeps_the_distributions_counts():
  config, start = _start(method='synflow', sparsity=0.9, prune_rounds=3,
                         prune_scope='layer')
  counts = dist.layer_counts(_shapes(start.masks), 0.9, 'uniform')
  assert {n: int(m.sum()) for n, m in start.masks.items()} == counts
  assert config.sparse.prune_rounds == 3


def test_global_scope_keeps_the_total():
  _, start = _start(method='magnitude_init', sparsity=0.9)
  counts = dist.layer_counts(_shapes(start.masks), 0.9, 'uniform')
  assert sum(int(m.sum()) for m in start.masks.values()) == sum(
      counts.values())


@pytest.mark.parametrize('flags, scope', [
    (dict(method='snip'), 'layer'),
    (dict(method='grasp'), 'layer'),
    (dict(method='grasp', grasp_variant='wang'), 'global'),
    (dict(method='synflow'), 'global'),
    (dict(method='random_init'), 'global'),
    (dict(method='snip', prune_scope='global'), 'global'),
    (dict(method='force', prune_scope='layer'), 'layer'),
])
def test_each_method_ranks_in_its_own_scope_unless_told(flags, scope):
  config = experiments.SPARSE_TRAIN.resolve(dict(TINY, sparsity=0.5, **flags))
  assert config.sparse.prune_scope == scope
  assert ('prune_scope' in config.derived) == ('prune_scope' not in flags)


@pytest.mark.parametrize('method', ['snip', 'grasp'])
def test_snip_and_grasp_rank_globally_when_told(method):
  _, per_layer = _start(method=method, sparsity=0.9)
  _, ranked = _start(method=method, sparsity=0.9, prune_scope='global')
  counts = dist.layer_counts(_shapes(ranked.masks), 0.9, 'uniform')
  assert _counts(per_layer.masks) == counts
  assert sum(_counts(ranked.masks).values()) == sum(counts.values())
  assert _counts(ranked.masks) != counts


@pytest.mark.parametrize('flags, message', [
    (dict(method='snip', prune_rounds=5), '--prune_rounds=5 is read only'),
    (dict(method='magnitude_init', prune_rounds=5), 'synflow, force or'),
    (dict(method='rigl', prune_scope='layer'),
     '--prune_scope=layer is read only with --method=snip, grasp, synflow, '
     'iter_snip, force, magnitude_init, random_init'),
])
def test_settings_a_method_does_not_read_are_refused(flags, message):
  with pytest.raises(ValueError, match=message):
    experiments.SPARSE_TRAIN.resolve(dict(TINY, sparsity=0.5, **flags))


# Sanity-check ablations -----------------------------------------------------

def _counts(masks):
  return {n: int(m.sum()) for n, m in masks.items()}


@pytest.mark.parametrize('method', ['snip', 'magnitude_init'])
def test_shuffle_keeps_each_layers_count_and_moves_the_weights(method):
  _, base = _start(method=method, sparsity=0.8)
  _, shuffled = _start(method=method, sparsity=0.8, ablation='shuffle')
  assert _counts(shuffled.masks) == _counts(base.masks)
  for name, mask in base.masks.items():
    assert not np.array_equal(shuffled.masks[name], mask)
    # The weights are the method's own initialisation under the new mask.
    np.testing.assert_array_equal(shuffled.weights[name],
                                  _dense(method)[name] * shuffled.masks[name])


def _dense(method):
  """The dense initial kernels of a run of `method` (its masks all ones)."""
  config = _config(method=method, sparsity=0.8)
  return sparse_setup._drawn_weights(  # pylint: disable=protected-access
      config, config.make_dataset(), config.hyperparameters(10), 0)


def test_reinit_keeps_the_mask_and_redraws_the_kept_weights():
  _, base = _start(method='synflow', sparsity=0.8, prune_rounds=2)
  _, redrawn = _start(method='synflow', sparsity=0.8, prune_rounds=2,
                      ablation='reinit')
  for name, mask in base.masks.items():
    np.testing.assert_array_equal(redrawn.masks[name], mask)
    kept = mask > 0
    assert not np.any(redrawn.weights[name][kept] ==
                      base.weights[name][kept])
    assert np.all(redrawn.weights[name][~kept] == 0)


def test_invert_keeps_the_complement_per_layer():
  # Half of every layer kept: the inverted mask is the other half.
  _, base = _start(method='magnitude_init', sparsity=0.5,
                   prune_scope='layer')
  _, inverted = _start(method='magnitude_init', sparsity=0.5,
                       prune_scope='layer', ablation='invert')
  assert _counts(inverted.masks) == _counts(base.masks)
  for name, mask in base.masks.items():
    np.testing.assert_array_equal(inverted.masks[name], 1 - mask)


@pytest.mark.parametrize('method, flags', [
    ('magnitude_init', {}),
    ('force', {'prune_rounds': 3}),
    ('snip', {}),
])
def test_invert_keeps_the_same_number_of_weights(method, flags):
  _, base = _start(method=method, sparsity=0.9, **flags)
  _, inverted = _start(method=method, sparsity=0.9, ablation='invert',
                       **flags)
  assert sum(_counts(inverted.masks).values()) == sum(
      _counts(base.masks).values())
  overlap = sum(int((inverted.masks[n] * base.masks[n]).sum())
                for n in base.masks)
  assert overlap < 0.2 * sum(_counts(base.masks).values())


def test_inverted_magnitudes_are_the_smallest():
  _, inverted = _start(method='magnitude_init', sparsity=0.9,
                       prune_scope='layer', ablation='invert')
  dense = _dense('magnitude_init')
  for name, mask in inverted.masks.items():
    kept = np.abs(dense[name][mask > 0])
    assert kept.max() <= np.abs(dense[name][mask == 0]).min()


@pytest.mark.parametrize('method', ['rigl', 'random_init', 'dense'])
def test_an_ablation_of_another_method_is_refused_in_one_line(
    method, tmp_path, capsys):
  out = str(tmp_path / 'run')
  argv = ['--output_dir=' + out, '--dataset=digits', '--method=' + method,
          '--ablation=shuffle', '--training_len=5it']
  if method != 'dense':
    argv.append('--sparsity=0.5')
  with pytest.raises(SystemExit) as stop:
    command_line.run(sparse_runner.RUNNER, argv)
  assert stop.value.code == 2
  lines = capsys.readouterr().err.strip().splitlines()
  assert len(lines) == 1
  assert ('--ablation=shuffle applies to pruning at initialisation (snip, '
          'grasp, synflow, iter_snip, force, magnitude_init), not --method='
          + method) in lines[0]
  assert not os.path.exists(out)


# Layer collapse ------------------------------------------------------------

def test_a_connected_network_has_no_collapsed_layer():
  masks = {'layer0': np.eye(3, 4), 'layer1': np.eye(4, 2)}
  said = []
  assert connectivity.check(masks, ['layer0', 'layer1'], said.append) == {}
  assert said == []


def test_an_empty_layer_is_named():
  masks = {'layer0': np.ones((3, 4)), 'layer1': np.zeros((4, 2)),
           'layer2': np.ones((2, 2))}
  said = []
  assert connectivity.check(masks, ['layer0', 'layer1', 'layer2'],
                            said.append) == {'collapsed_layers': ['layer1']}
  assert said == [
      'warning: layer1 is empty after pruning: the network is disconnected']


def test_a_cut_without_an_empty_layer_is_named():
  # layer0 feeds only unit 0; layer1 reads only from unit 1.
  layer0 = np.zeros((3, 2))
  layer0[:, 0] = 1
  layer1 = np.zeros((2, 2))
  layer1[1, :] = 1
  masks = {'layer0': layer0, 'layer1': layer1, 'layer2': np.ones((2, 2))}
  said = []
  assert connectivity.check(masks, ['layer0', 'layer1', 'layer2'],
                            said.append) == {'collapsed_layers': ['layer1']}
  assert said == ['warning: layer1 is reached by no input after pruning: the '
                  'network is disconnected']


def test_outputs_no_input_reaches_are_counted_and_said():
  layer0 = np.ones((3, 4))
  layer1 = np.zeros((4, 5))
  layer1[0, 1] = layer1[2, 3] = 1  # outputs 0, 2 and 4 read nothing
  said = []
  assert connectivity.check({'layer0': layer0, 'layer1': layer1},
                            ['layer0', 'layer1'], said.append) == {
                                'unreached_outputs': 3}
  assert said == ['warning: 3 of the 5 outputs of layer1 are reached by no '
                  'input after pruning: those classes are never predicted '
                  'from the input']
  layer1[1, 0] = layer1[3, 2] = layer1[3, 4] = 1
  assert connectivity.check({'layer0': layer0, 'layer1': layer1},
                            ['layer0', 'layer1'], said.append) == {}
  # Behind an empty layer only the collapse is said and recorded.
  said = []
  assert connectivity.check({'layer0': np.zeros((3, 4)), 'layer1': layer1},
                            ['layer0', 'layer1'], said.append) == {
                                'collapsed_layers': ['layer0']}
  assert len(said) == 1


def test_a_network_with_shortcuts_is_checked_for_empty_layers_only():
  layer0 = np.zeros((3, 2))
  layer0[:, 0] = 1
  layer1 = np.zeros((2, 2))
  layer1[1, :] = 1  # a cut if layer1 read layer0 alone
  masks = {'layer0': layer0, 'layer1': layer1}
  assert connectivity.check(masks, ['layer0', 'layer1'], print,
                            sequential=False) == {}
  masks['layer1'] = np.zeros((2, 2))
  assert connectivity.check(masks, ['layer0', 'layer1'], lambda line: None,
                            sequential=False) == {
                                'collapsed_layers': ['layer1']}


def test_conv_channels_and_the_flattened_layer():
  conv0 = np.zeros((3, 3, 1, 2))
  conv0[1, 1, 0, 1] = 1  # only channel 1 is alive
  fc0 = np.zeros((2 * 4, 3))  # 4 positions x 2 channels, NHWC
  fc0[0::2, :] = 1  # reads channel 0 only: cut
  masks = {'conv0': conv0, 'fc0': fc0, 'fc1': np.ones((3, 2))}
  order = ['conv0', 'fc0', 'fc1']
  said = []
  assert connectivity.check(masks, order, said.append) == {
      'collapsed_layers': ['fc0']}
  assert said == ['warning: fc0 is reached by no input after pruning: the '
                  'network is disconnected']
  fc0[5, 0] = 1  # position 2, channel 1
  assert connectivity.check(masks, order, said.append) == {}
  assert len(said) == 1


@pytest.mark.slow
def test_a_sparse_run_with_an_empty_layer_says_and_records_it(
    tmp_path, capsys):
  mask_dir = str(tmp_path / 'masks')
  save_restore.save_network(mask_dir, {'layer0': np.ones((64, 16),
                                                          np.float32),
                                       'layer1': np.zeros((16, 10),
                                                          np.float32)})
  run_dir = str(tmp_path / 'scratch')
  sparse_train.sparse_train(run_dir, **dict(
      TINY, method='scratch', mask_from=mask_dir, sparsity=0.135,
      training_len='2it'))
  assert ('warning: layer1 is empty after pruning: the network is '
          'disconnected ({})'.format(run_dir)) in capsys.readouterr().err
  details = integrity.read_json(paths.config(run_dir))['details']
  assert details['start']['collapsed_layers'] == ['layer1']


def test_a_lottery_level_that_collapses_says_and_records_it(tmp_path, capsys):
  trial = str(tmp_path / 'lottery')
  lottery_experiment.lottery_experiment(
      trial, iterations=1, dataset='digits', layers=(2,),
      training_len='2it', save_summaries=False, checkpoint_interval=0,
      prune_percent=0.0, prune_percent_output=0.99)
  assert 'warning: layer1 is empty' in capsys.readouterr().err
  details = integrity.read_json(paths.config(
      paths.run(trial, 1, 'same_init')))['details']
  assert details['collapsed_layers'] == ['layer1']
  level0 = integrity.read_json(paths.config(
      paths.run(trial, 0, 'same_init')))['details']
  assert 'collapsed_layers' not in level0
