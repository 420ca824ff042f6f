"""The linear-mode-connectivity recipe (Frankle et al. 2020): its lines, the
instability start of a rewound level, and its report's numbers."""

import json
import os

import numpy as np
import pytest

import packed_testlib

from lottery_ticket import command_line
from lottery_ticket.analysis import instability
from lottery_ticket.analysis import lmc_report
from lottery_ticket.argfiles import instability_argfile
from lottery_ticket.argfiles import lines as lines_lib
from lottery_ticket.argfiles import lottery_experiment_argfile
from lottery_ticket.argfiles import paper_recipes
from lottery_ticket.argfiles import reinitialize_argfile
from lottery_ticket.foundations import paths
from lottery_ticket.foundations import save_restore
from lottery_ticket.mnist_fc.runners import lottery_experiment as runner


def _flags(line):
  return command_line.parse_argv(lines_lib.split_line(line))


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
  control = paper_recipes.lmc_flags('resnet20', control=True)
  assert (control['pruning'], control['prune_percent'],
          control['prune_percent_conv'],
          control['prune_percent_output']) == ('random', 0.2, 0.2, 0.2)
  with pytest.raises(ValueError, match='not --network=lenet5'):
    paper_recipes.lmc_flags('lenet5')


def test_lmc_lines_are_valid_runner_lines(tmp_path):
  lines = lottery_experiment_argfile.make_lines(str(tmp_path), trials=2,
                                                paper='lmc', scale=0.01)
  # 2 networks x 4 k x (IMP + random pruning) x 2 trials.
  assert len(lines) == 2 * 4 * 2 * 2
  parsed = [_flags(l) for l in lines]
  for line in lines:
    runner.validate_flags(lines_lib.split_line(line))
  assert len({f['output_dir'] for f in parsed}) == len(lines)
  vgg_k5 = [f for f in parsed if f['network'] == 'vgg16' and
            f['rewind_iteration'] == 5]
  assert sorted(f['pruning'] for f in vgg_k5) == ['global_with_output'] * 2 + [
      'random'] * 2
  imp = [f for f in vgg_k5 if f['pruning'] != 'random'][0]
  assert imp['output_dir'] == str(tmp_path / 'vgg16' / 'k5' / 'trial0')
  assert (imp['iterations'], imp['training_len'], imp['lr_drops'],
          imp['dataset'], imp['validate_size']) == (20, '624it',
                                                    '312it,468it', 'cifar10',
                                                    0)
  control = [f for f in vgg_k5 if f['pruning'] == 'random'][0]
  assert control['output_dir'] == str(
      tmp_path / 'vgg16' / 'k5' / 'random_pruning' / 'trial0')
  assert control['experiment_name'] == 'random_pruning'
  # A flag given replaces the recipe's value; --network picks one network.
  one = lottery_experiment_argfile.make_lines(
      str(tmp_path), trials=1, paper='lmc', network='resnet20',
      rewind_iteration=7, batch_size=8)
  assert len(one) == 2
  assert all('--batch_size=8' in l and '--rewind_iteration=7' in l and
             l.count('--batch_size') == 1 for l in one)


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
  tree = paper_recipes.lmc_tree(base, network, rewind)
  common = dict(iterations=1, dataset='digits', training_len='20it',
                test_interval=5, rewind_iteration=rewind, pruning='global',
                save_summaries=False)
  lottery_experiment.lottery_experiment(
      output_dir=os.path.join(tree, 'trial0'), **common)
  lottery_experiment.lottery_experiment(
      output_dir=os.path.join(tree, 'random_pruning', 'trial0'),
      **dict(common, pruning='random', experiment_name='random_pruning'))
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
        _last_test_accuracy(os.path.join(tree, 'random_pruning', 'trial0',
                                         str(level), 'random_pruning')))
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
  # Batches of 24 records pass the loader's check of the published sizes.
  monkeypatch.setattr(dataset_cifar10, 'RECORDS_PER_BATCH', 24)
  data = packed_testlib.tiny_cifar10(str(tmp_path / 'cifar'))
  root = str(tmp_path / 'lmc')
  lines = lottery_experiment_argfile.make_lines(
      root, data_location=data, resnet_width=2, batch_size=8,
      training_len='6it', lr_drops='2it,4it', test_interval=3,
      checkpoint_interval=3, save_summaries=False, trials=1, paper='lmc',
      scale=0.0005, network='resnet20', rewind_iteration=1, iterations=1)
  assert len(lines) == 2  # IMP and its random-pruning control
  for line in lines:
    lottery_experiment.lottery_experiment(**_flags(line))
  tree = paper_recipes.lmc_tree(root, 'resnet20', 1)
  pruning = []
  for run in (os.path.join(tree, 'trial0', '1', 'same_init'),
              os.path.join(tree, 'random_pruning', 'trial0', '1',
                           'random_pruning')):
    assert os.path.isfile(os.path.join(run, 'DONE'))
    with open(os.path.join(run, 'config.json')) as f:
      saved = json.load(f)
    assert saved['model']['network'] == 'resnet20'
    assert saved['training']['lr_schedule'] == 'step'
    pruning.append(saved['lottery']['pruning'])
  # IMP's level 1 was pruned 20% by one global ranking that includes the
  # output layer; batch norms are never masked.
  assert pruning == ['global_with_output', 'random']
  masks = save_restore.restore_network(paths.masks(os.path.join(
      tree, 'trial0', '1', 'same_init')))
  kept = sum(m.sum() for m in masks.values())
  total = sum(m.size for m in masks.values())
  assert 100.0 * kept / total == pytest.approx(80.0, abs=0.5)
  assert not any('bn' in name for name in masks)
