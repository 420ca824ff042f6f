"""The random-pruning control of the lmc recipe: a lottery level's mask
shuffled within each layer (`sparse_train --method=lottery --shuffle_mask
--mask_from=TRIAL --mask_level=L`), rewound as the level was, packed with
its trials (OpenLTH lottery/branch/randomly_prune.py, strategy layerwise)."""

import os
import shutil

import numpy as np
import pytest

from lottery_ticket import command_line
from lottery_ticket.analysis import lmc_report
from lottery_ticket.argfiles import paper_recipes
from lottery_ticket.foundations import paths
from lottery_ticket.foundations import save_restore
from lottery_ticket.foundations.storage import integrity
from lottery_ticket.mnist_fc import lottery_experiment as lottery_lib
from lottery_ticket.mnist_fc.runners import sparse_train as runner

K = 5
TOTAL = 20
# A small fc net pruned by one global ranking, so its layers keep
# different proportions (a uniform control would not).
TRAINING = ['--dataset=digits', '--layers=12', '--training_len=20it',
            '--test_interval=5', '--save_summaries=false',
            '--lr_schedule=constant']
LOTTERY = dict(dataset='digits', layers=(12,), training_len='20it',
               test_interval=5, save_summaries=False, rewind_iteration=K,
               pruning='global', prune_percent=0.5, prune_percent_output=0.2)


@pytest.fixture(scope='module')
def root(tmp_path_factory):
  return str(tmp_path_factory.mktemp('lmc'))


@pytest.fixture(scope='module')
def tree(root):
  """Two lottery trials (seeds 0 and 1) of two levels, rewound to K, laid
  out as an lmc tree."""
  base = paper_recipes.lmc_tree(root, 'fc', K)
  lottery_lib.lottery_experiment(base, iterations=2, trials=2, **LOTTERY)
  return base


@pytest.fixture(scope='module')
def controls(tree):
  """The packed controls of levels 1 and 2, where the lmc recipe puts
  them: level -> the directory of their trial{t}."""
  out = {}
  for level in (1, 2):
    out[level] = paper_recipes.lmc_control_dir(tree, level)
    sparsity = _sparsity(_level(tree, 0, level, 'masks'))
    command_line.run(runner.RUNNER, [
        '--output_dir=' + out[level], '--method=lottery',
        '--shuffle_mask=true', '--mask_from=' + tree,
        '--mask_level={}'.format(level), '--sparsity={:.4f}'.format(sparsity),
        '--trials=2'] + TRAINING)
  return out


def _level(base, trial, level, what):
  return save_restore.restore_network(os.path.join(
      paths.run(paths.trial(base, trial), level, 'same_init'), what))


def _sparsity(masks):
  return 1 - sum(m.sum() for m in masks.values()) / sum(
      m.size for m in masks.values())


def _run(capsys, *argv):
  """The sparse_train command line in-process: (exit code, stderr lines)."""
  try:
    command_line.run(runner.RUNNER, list(argv))
    code = 0
  except SystemExit as stop:
    code = stop.code
  return code, capsys.readouterr().err.strip().splitlines()


@pytest.mark.parametrize('level', [1, 2])
def test_a_packed_control_shuffles_each_trials_level_rewound_to_k(
    tree, controls, level):
  out = controls[level]
  for trial in (0, 1):
    run_dir = paths.trial(out, trial)
    imp = _level(tree, trial, level, 'masks')
    control = save_restore.restore_network(paths.masks(run_dir))
    assert sorted(control) == sorted(imp)
    for name in imp:
      # IMP's count in every layer, at other places.
      assert control[name].sum() == imp[name].sum(), name
      assert set(np.unique(control[name])) <= {0.0, 1.0}
      assert not np.array_equal(control[name], imp[name]), name
    # The layers keep IMP's proportions, which are not uniform.
    densities = {n: imp[n].mean() for n in imp}
    assert max(densities.values()) - min(densities.values()) > 0.05
    # The weights at the new places are level 0's at iteration K, as IMP's
    # level starts from them under its own mask.
    at_k = save_restore.restore_network(paths.rewind(paths.run(
        paths.trial(tree, trial), 0, 'same_init'), K))
    initial = save_restore.restore_network(paths.initial(run_dir))
    for name, value in at_k.items():
      expected = value * control[name] if name in control else value
      np.testing.assert_array_equal(initial[name], expected)
    # It trains iterations K..T, as the level did.
    log = save_restore.read_log(paths.log(run_dir, 'test'))
    imp_log = save_restore.read_log(paths.log(paths.run(
        paths.trial(tree, trial), level, 'same_init'), 'test'))
    assert [r['iteration'] for r in log] == [r['iteration'] for r in imp_log]
    assert log[0]['iteration'] == K and log[-1]['iteration'] == TOTAL
  # The trials' controls differ as their IMP masks do.
  masks = [save_restore.restore_network(paths.masks(paths.trial(out, t)))
           for t in (0, 1)]
  assert any(not np.array_equal(masks[0][n], masks[1][n]) for n in masks[0])


@pytest.mark.parametrize('flags, message', [
    (['--mask_level=3'], '--mask_level=3: {trial} has no finished level 3 '
     '(levels there: 0, 1, 2)'),
    (['--mask_level=-2'], '--mask_level=-2 must be >= -1'),
    (['--mask_level=1', '--layers=16'], '--mask_level=1: --layers=(16,) '
     'here, but {trial}/1/same_init trained with (12,)'),
    (['--mask_level=1', '--mask_from=random'], '--mask_level=1 is read only '
     'with --mask_from=<a lottery trial>'),
])
def test_a_bad_level_is_refused_before_anything_is_written(
    tmp_path, capsys, tree, flags, message):
  out = tmp_path / 'out'
  given = {f.split('=')[0] for f in flags}
  base = ['--method=lottery', '--shuffle_mask=true', '--sparsity=0.5',
          '--mask_from=' + paths.trial(tree, 0)]
  if '--mask_from' in given:
    base = ['--method=set', '--sparsity=0.5']
  argv = ['--output_dir=' + str(out)] + [
      f for f in base + TRAINING if f.split('=')[0] not in given] + flags
  code, lines = _run(capsys, *argv)
  assert code == 2
  assert len(lines) == 1, lines
  assert lines[0].startswith('sparse_train: error: ')
  assert message.format(trial=paths.trial(tree, 0)) in lines[0]
  assert not out.exists()


def test_the_lmc_report_reads_the_control_at_its_level(root, tree, controls):
  rows = {r['level']: r for r in lmc_report.lmc_rows(root)}
  assert sorted(rows) == [0, 1, 2]
  for level, row in rows.items():
    imp = [_final_accuracy(paths.run(paths.trial(tree, t), level,
                                     'same_init')) for t in (0, 1)]
    assert row['imp_accuracy'] == pytest.approx(np.mean(imp))
    # Level 0 prunes nothing: the control is IMP's dense network.
    control = imp if level == 0 else [
        _final_accuracy(paths.trial(controls[level], t)) for t in (0, 1)]
    assert row['random_pruning_accuracy'] == pytest.approx(np.mean(control))
    assert (row['network'], row['rewind_iteration'], row['trials']) == (
        'fc', K, 2)


def _final_accuracy(run_dir):
  test = integrity.read_json(paths.metrics(run_dir))['test']
  return max(test, key=lambda r: r['iteration'])['accuracy']


def test_a_damaged_rewind_point_of_the_source_is_named(tmp_path, capsys, tree):
  trial = str(tmp_path / 'trial0')
  shutil.copytree(paths.trial(tree, 0), trial)
  damaged = os.path.join(paths.rewind(paths.run(trial, 0, 'same_init'), K),
                         'layer0.npy')
  value = np.load(damaged)
  np.save(damaged, value + 1)
  out = tmp_path / 'out'
  code, lines = _run(
      capsys, '--output_dir=' + str(out), '--method=lottery',
      '--shuffle_mask=true', '--mask_from=' + trial, '--mask_level=1',
      '--sparsity={:.4f}'.format(_sparsity(_level(tree, 0, 1, 'masks'))),
      *TRAINING)
  assert code == 2
  assert len(lines) == 1, lines
  assert 'weights_at/{}/layer0.npy'.format(K) in lines[0]
  assert not out.exists()


def test_level_0_starts_from_the_initialisation_at_iteration_0(
    tmp_path, capsys, tree):
  out = str(tmp_path / 'level0')
  code, lines = _run(capsys, '--output_dir=' + out, '--method=lottery',
                     '--shuffle_mask=true', '--mask_from=' + paths.trial(
                         tree, 0), '--mask_level=0', '--sparsity=0',
                     *TRAINING)
  assert code == 0, lines
  imp = paths.run(paths.trial(tree, 0), 0, 'same_init')
  initial = save_restore.restore_network(paths.initial(out))
  for name, value in save_restore.restore_network(paths.initial(imp)).items():
    np.testing.assert_array_equal(initial[name], value)
  log = save_restore.read_log(paths.log(out, 'test'))
  assert log[0]['iteration'] == 0
