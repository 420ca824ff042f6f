"""The linear-mode-connectivity recipe (Frankle et al. 2020): its lines, the
instability start of a rewound level, and its report's numbers."""

import json
import os

import numpy as np
import pytest

import argfiles_testlib
import packed_testlib

from lottery_ticket.analysis import instability
from lottery_ticket.analysis import lmc_report
from lottery_ticket.argfiles import instability_argfile
from lottery_ticket.argfiles import lines as lines_lib
from lottery_ticket.argfiles import lottery_experiment_argfile
from lottery_ticket.argfiles import paper_recipes
from lottery_ticket.argfiles import reinitialize_argfile
from lottery_ticket.argfiles import sparse_train_argfile
from lottery_ticket.foundations import paths
from lottery_ticket.foundations import save_restore
from lottery_ticket.mnist_fc.runners import lottery_experiment as runner
from lottery_ticket.mnist_fc.runners import sparse_train as sparse_runner


def _flags(line):
  return argfiles_testlib.parse_argv(lines_lib.split_line(line))


def test_scale_shortens_training_rewinds_and_drops():
  # 160 epochs of 50000 // 128 = 390 steps, drops at epochs 80 and 120.
  assert paper_recipes.LMC_STEPS_PER_EPOCH == 390
  full = paper_recipes.lmc_flags('resnet20')
  assert (full['training_len'], full['lr_drops']) == ('62400it',
                                                      '31200it,46800it')
  small = paper_recipes.lmc_flags('vgg16', 0.01)
  assert (small['training_len'], small['lr_drops'], small['test_interval'],
          small['checkpoint_interval']) == ('624it', '312it,468it', 4, 39)
  assert paper_recipes.lmc_rewinds(1.0) == (0, 100, 500, 2000)
  assert paper_recipes.lmc_rewinds(0.01) == (0, 1, 5, 20)
  # k = 100 and 500 both round to one step: one tree, not two.
  assert paper_recipes.lmc_rewinds(0.001) == (0, 1, 2)


def test_pruning_follows_openlth_per_family():
  resnet, vgg = (paper_recipes.lmc_flags(n) for n in ('resnet20', 'vgg16'))
  assert resnet['pruning'] == vgg['pruning'] == 'global_with_output'
  assert 'prune_ignore' not in resnet and vgg['prune_ignore'] == 'fc'
  # The control shuffles IMP's mask of the level: no pruning of its own.
  control = paper_recipes.lmc_control_flags('vgg16', 3)
  assert not set(control) & {'pruning', 'prune_percent', 'prune_ignore'}
  assert (control['method'], control['shuffle_mask'], control['mask_level'],
          control['sparsity']) == ('lottery', True, 3, 0.488)
  assert {k: v for k, v in vgg.items() if k in control} == {
      k: v for k, v in control.items() if k in vgg}
  with pytest.raises(ValueError, match='not --network=lenet5'):
    paper_recipes.lmc_flags('lenet5')


def test_lmc_lines_are_valid_runner_lines(tmp_path):
  lines = lottery_experiment_argfile.make_lines(str(tmp_path), trials=2,
                                                paper='lmc', scale=0.01)
  # 2 networks x 4 k x 2 trials of IMP (the controls read the trees).
  assert len(lines) == 2 * 4 * 2
  parsed = [_flags(l) for l in lines]
  for line in lines:
    runner.validate_flags(lines_lib.split_line(line))
  assert len({f['output_dir'] for f in parsed}) == len(lines)
  vgg_k5 = [f for f in parsed if f['network'] == 'vgg16' and
            f['rewind_iteration'] == 5]
  assert [f['pruning'] for f in vgg_k5] == ['global_with_output'] * 2
  imp = vgg_k5[0]
  assert imp['output_dir'] == str(tmp_path / 'vgg16' / 'k5' / 'trial0')
  assert (imp['iterations'], imp['training_len'], imp['lr_drops'],
          imp['dataset'], imp['validate_size']) == (20, '624it',
                                                    '312it,468it', 'cifar10',
                                                    0)
  # A flag given replaces the recipe's value; --network picks one network.
  one = lottery_experiment_argfile.make_lines(
      str(tmp_path), trials=1, paper='lmc', network='resnet20',
      rewind_iteration=7, batch_size=8)
  assert len(one) == 1
  assert all('--batch_size=8' in l and '--rewind_iteration=7' in l and
             l.count('--batch_size') == 1 for l in one)


@pytest.mark.parametrize('pack', [False, True])
def test_random_pruning_lines_shuffle_every_level_of_every_tree(tmp_path,
                                                                pack):
  base = str(tmp_path)
  lines = sparse_train_argfile.make_lines(base, trials=2, paper='lmc',
                                          scale=0.01, pack=pack)
  # 2 networks x 4 k x levels 1..20 x (2 trials, or one packed line).
  assert len(lines) == 2 * 4 * 20 * (1 if pack else 2)
  for line in lines:
    sparse_runner.validate_flags(lines_lib.split_line(line))
  parsed = [_flags(l) for l in lines]
  assert len({f['output_dir'] for f in parsed}) == len(lines)
  tree = os.path.join(base, 'vgg16', 'k5')
  line = [f for f in parsed if f['mask_level'] == 3 and f['mask_from'] in (
      tree, os.path.join(tree, 'trial0'))]
  assert len(line) == 1
  line = line[0]
  control = os.path.join(tree, 'random_pruning', '3')
  if pack:
    assert (line['output_dir'], line['mask_from'], line['trials']) == (
        control, tree, 2)
  else:
    assert (line['output_dir'], line['mask_from'], line['seed']) == (
        os.path.join(control, 'trial0'), os.path.join(tree, 'trial0'), 0)
  # IMP's training, the level's mask shuffled, its sparsity 1 - 0.8^3.
  imp = paper_recipes.lmc_flags('vgg16', 0.01)
  assert (line['training_len'], line['lr_drops'], line['dataset'],
          line['weight_decay']) == (imp['training_len'], imp['lr_drops'],
                                    'cifar10', 1e-4)
  assert (line['method'], str(line['shuffle_mask']).lower(),
          line['sparsity']) == ('lottery', 'true', 0.488)
  assert 'pruning' not in line and 'rewind_iteration' not in line
  # The generator writes the control's own flags, and only with lmc.
  with pytest.raises(ValueError, match='--mask_level is written by the '
                     'generator'):
    sparse_train_argfile.make_lines(base, paper='lmc', mask_level=2)
  with pytest.raises(ValueError, match='give it too'):
    sparse_train_argfile.make_lines(base, iterations=3)


def test_frankle_carbin_is_named_and_bad_papers_refused(tmp_path):
  named = lottery_experiment_argfile.make_lines(
      'p', trials=1, paper='frankle_carbin', scale=0.02)
  assert named == lottery_experiment_argfile.make_lines(
      'p', trials=1, paper=True, scale=0.02)
  with pytest.raises(ValueError, match='No such paper'):
    lottery_experiment_argfile.make_lines('p', paper='lmc2020')
  with pytest.raises(ValueError, match='give it too'):
    reinitialize_argfile.make_lines('p', iterations=1, network='vgg16')


def test_control_and_instability_lines_cover_every_tree_and_level(tmp_path):
  base = str(tmp_path)
  reinit = [_flags(l) for l in reinitialize_argfile.make_lines(
      base, trials=2, paper='lmc', scale=0.01)]
  instab = [_flags(l) for l in instability_argfile.make_lines(
      base, trials=2, scale=0.01)]
  trees = [(n, k) for n in ('resnet20', 'vgg16') for k in (0, 1, 5, 20)]
  assert len(reinit) == len(instab) == len(trees) * 2 * 21
  assert {(f['output_dir'], f['level']) for f in reinit} == {
      (os.path.join(base, n, 'k{}'.format(k), 'trial{}'.format(t)), level)
      for n, k in trees for t in (0, 1) for level in range(21)}
  assert all(f['mode'] == 'reinit' for f in reinit)
  line = [f for f in instab if f['output_dir'].endswith(
      os.path.join('vgg16', 'instability', 'k5', 'trial1', '3'))]
  assert len(line) == 1
  assert line[0]['run_dir'] == os.path.join(base, 'vgg16', 'k5', 'trial1',
                                            '3', 'same_init')
  assert (line[0]['rewind_iterations'], line[0]['plot']) == (5, False)
  assert len({f['output_dir'] for f in instab}) == len(instab)


def test_instability_command_line_refuses_a_bad_value(run_cli, tmp_path):
  result = run_cli('lottery_ticket.argfiles.instability_argfile',
                   '--output_dir={}'.format(tmp_path), '--network=lenet5',
                   check=False)
  assert result.returncode == 2
  assert result.stderr.strip().count('\n') == 0, result.stderr
  assert 'lenet5' in result.stderr
  assert not os.listdir(tmp_path)


def _tiny_tree(base, network, rewind):
  """An IMP tree (2 levels, digits, 20 steps) with its controls and
  instability results, laid out as the lmc recipe lays them out."""
  from lottery_ticket.mnist_fc import lottery_experiment  # pylint: disable=g-import-not-at-top
  from lottery_ticket.mnist_fc import reinitialize  # pylint: disable=g-import-not-at-top
  from lottery_ticket.mnist_fc import sparse_train  # pylint: disable=g-import-not-at-top
  tree = paper_recipes.lmc_tree(base, network, rewind)
  common = dict(dataset='digits', training_len='20it', test_interval=5,
                save_summaries=False, lr_schedule='constant')
  lottery_experiment.lottery_experiment(
      output_dir=os.path.join(tree, 'trial0'), iterations=1,
      rewind_iteration=rewind, pruning='global', **common)
  sparse_train.sparse_train(
      output_dir=paper_recipes.lmc_control_dir(tree, 1), trials=1,
      mask_from=tree, method='lottery', shuffle_mask=True, mask_level=1,
      sparsity=paper_recipes.lmc_sparsity(1), **common)
  for level in (0, 1):
    reinitialize.reinitialize(output_dir=os.path.join(tree, 'trial0'),
                              level=level, mode='reinit')
    instability.instability(
        os.path.join(tree, 'trial0', str(level), 'same_init'),
        os.path.join(paper_recipes.lmc_instability_dir(base, network, rewind),
                     'trial0', str(level)),
        rewind_iterations=rewind, num_points=3, plot=False, quiet=True)
  return tree


def _last_test_accuracy(run_dir):
  with open(os.path.join(run_dir, 'metrics.json')) as f:
    test = json.load(f)['test']
  return max(test, key=lambda r: r['iteration'])['accuracy']


@pytest.mark.slow
def test_report_numbers_are_the_runs_numbers(tmp_path):
  base = str(tmp_path / 'lmc')
  tree = _tiny_tree(base, 'resnet20', 5)
  # The level after 0 starts from level 0's weights at k under its mask:
  # the instability copies start there, not from a retraining.
  from lottery_ticket.foundations import save_restore  # pylint: disable=g-import-not-at-top
  level1 = os.path.join(tree, 'trial0', '1', 'same_init')
  at_k = save_restore.restore_network(
      os.path.join(tree, 'trial0', '0', 'same_init', 'weights_at', '5'))
  masks = save_restore.restore_network(os.path.join(level1, 'masks'))
  start = instability.start_weights(level1, str(tmp_path / 'unused'), 5,
                                    None, masks, save_restore.restore_network(
                                        os.path.join(level1, 'initial')))
  for name, value in at_k.items():
    np.testing.assert_array_equal(start[name], value * masks.get(name, 1))
  assert not os.path.exists(tmp_path / 'unused')

  path = lmc_report.lmc_report(base, quiet=True)
  rows = {r['level']: r for r in lmc_report.lmc_rows(base)}
  assert sorted(rows) == [0, 1]
  for level, row in rows.items():
    assert row['imp_accuracy'] == pytest.approx(_last_test_accuracy(
        os.path.join(tree, 'trial0', str(level), 'same_init')))
    assert row['random_pruning_accuracy'] == pytest.approx(
        _last_test_accuracy(os.path.join(
            tree, 'trial0', '0', 'same_init') if level == 0 else
                            os.path.join(paper_recipes.lmc_control_dir(
                                tree, level), 'trial0')))
    assert row['reinit_accuracy'] == pytest.approx(_last_test_accuracy(
        os.path.join(tree, 'trial0', str(level), 'reinit')))
    with open(os.path.join(paper_recipes.lmc_instability_dir(
        base, 'resnet20', 5), 'trial0', str(level), 'k5', 'path.json')) as f:
      errors = np.asarray(json.load(f)['error'])
    barrier = errors.max() - (errors[0] + errors[-1]) / 2
    assert row['instability_points'] == pytest.approx(100 * barrier)
    assert row['stable'] == (barrier < 0.02)
  text = open(path).read()
  assert '| resnet20 | 5 | 1 | 80.2 | {:.4f} |'.format(
      rows[1]['imp_accuracy']) in text
  assert 'Not found: Table 1' in text
  for name in ('lmc.png', 'lmc.csv'):
    assert os.path.getsize(os.path.join(base, 'report', name)) > 0


def test_report_refuses_a_tree_without_lmc_runs(tmp_path):
  with pytest.raises(ValueError, match='No lmc trees'):
    lmc_report.lmc_rows(str(tmp_path))


@pytest.mark.slow
def test_tiny_lmc_recipe_trains_resnets_on_cifar_files(tmp_path, monkeypatch):
  """The recipe's IMP and random-pruning lines on a ResNet and CIFAR-10
  files (its reinit, instability and report lines are checked on digits
  above: the same code, a cheaper network)."""
  from lottery_ticket.datasets import dataset_cifar10  # pylint: disable=g-import-not-at-top
  from lottery_ticket.mnist_fc import lottery_experiment  # pylint: disable=g-import-not-at-top
  from lottery_ticket.mnist_fc import sparse_train  # pylint: disable=g-import-not-at-top
  # Batches of 24 records pass the loader's check of the published sizes.
  monkeypatch.setattr(dataset_cifar10, 'RECORDS_PER_BATCH', 24)
  data = packed_testlib.tiny_cifar10(str(tmp_path / 'cifar'))
  root = str(tmp_path / 'lmc')
  given = dict(data_location=data, resnet_width=2, batch_size=8,
               training_len='6it', lr_drops='2it,4it', test_interval=3,
               checkpoint_interval=3, save_summaries=False, trials=1,
               paper='lmc', scale=0.0005, network='resnet20',
               rewind_iteration=1, iterations=1)
  lines = lottery_experiment_argfile.make_lines(root, **given)
  assert len(lines) == 1  # IMP; its controls read the finished tree
  lottery_experiment.lottery_experiment(**_flags(lines[0]))
  controls = sparse_train_argfile.make_lines(root, **given)
  assert len(controls) == 1  # level 1's random pruning
  sparse_train.sparse_train(**_flags(controls[0]))
  tree = paper_recipes.lmc_tree(root, 'resnet20', 1)
  imp_run = os.path.join(tree, 'trial0', '1', 'same_init')
  control_run = os.path.join(paper_recipes.lmc_control_dir(tree, 1), 'trial0')
  for run in (imp_run, control_run):
    assert os.path.isfile(os.path.join(run, 'DONE'))
    with open(os.path.join(run, 'config.json')) as f:
      saved = json.load(f)
    assert saved['model']['network'] == 'resnet20'
    assert saved['training']['lr_schedule'] == 'step'
  # IMP's level 1 was pruned 20% by one global ranking that includes the
  # output layer; batch norms are never masked.
  masks = save_restore.restore_network(paths.masks(imp_run))
  kept = sum(m.sum() for m in masks.values())
  total = sum(m.size for m in masks.values())
  assert 100.0 * kept / total == pytest.approx(80.0, abs=0.5)
  assert not any('bn' in name for name in masks)
  # The control keeps IMP's count in every layer, the first conv included.
  shuffled = save_restore.restore_network(paths.masks(control_run))
  assert {n: m.sum() for n, m in shuffled.items()} == {
      n: m.sum() for n, m in masks.items()}
