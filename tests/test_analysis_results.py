"""Tests of analysis.results: discovery, the results table, plots and CLI.

A synthetic tree (hand-written metrics with known minima) checks every
number of the table; the tiny real lottery tree of analysis_support
checks that real runs are read as the library writes them.
"""

import math
import os
import subprocess
import sys

import numpy as np
import pytest

import analysis_support as support
from lottery_ticket.analysis import curves
from lottery_ticket.analysis import results as results_lib
from lottery_ticket.analysis import results_table
from lottery_ticket.analysis import run_discovery
from lottery_ticket.analysis import run_summary
from lottery_ticket.foundations import paths
from lottery_ticket.foundations import save_restore

ITERATIONS = list(range(0, 501, 50))


def _minimum(level, trial):
  """The iteration of minimum validation loss of synthetic lottery runs."""
  return 100 + 100 * level + 50 * trial


def _accuracy(iteration, level):
  return 0.5 + iteration / 10000.0 + level / 100.0


def _lottery_metrics(level, trial, validate=True):
  best = _minimum(level, trial)
  loss = [{'iteration': i, 'loss': 0.1 + (i - best) ** 2 / 1e4,
           'accuracy': _accuracy(i, level)} for i in ITERATIONS]
  metrics = {'test': [dict(r) for r in loss],
             'train': [{'iteration': i, 'loss': 0.5, 'accuracy': 0.9 + trial / 100}
                       for i in ITERATIONS[1:]]}
  if validate:
    metrics['validate'] = loss
  return metrics


def _write_run(run_dir, config, metrics, density=None, done=True):
  os.makedirs(run_dir, exist_ok=True)
  save_restore.write_json(paths.config(run_dir), config)
  save_restore.write_json(paths.metrics(run_dir), metrics)
  if density is not None:
    ones = int(round(100 * density))
    mask = np.zeros(100, np.float32)
    mask[:ones] = 1
    save_restore.save_network(paths.masks(run_dir),
                              {'layer0': mask.reshape(10, 10)})
  if done:
    save_restore.write_json(paths.done_marker(run_dir), {})


def _synthetic_tree(root):
  """Lottery levels 0-2 and reinit 1-2 over two trials; sparse runs."""
  for trial in (0, 1):
    trial_dir = paths.trial(root, trial)
    for level in (0, 1, 2):
      _write_run(paths.run(trial_dir, level, 'same_init'),
                 {'experiment': 'lottery', 'experiment_name': 'same_init',
                  'level': level, 'run': {'seed': trial}},
                 _lottery_metrics(level, trial), density=0.8 ** level)
      if level:
        # Controls are written by the single-run trainer: no 'experiment'.
        _write_run(paths.run(trial_dir, level, 'reinit'),
                   {'masks': 'x', 'run': {'seed': trial}},
                   _lottery_metrics(level + 1, trial), density=0.8 ** level)
    for index, (method, sparsity) in enumerate(
        (('rigl', 0.9), ('prune', 0.9), ('dense', None))):
      grad = [{'iteration': i, 'grad_norm': (1.0 + index) / (1 + i)}
              for i in ITERATIONS]
      metrics = {'test': [{'iteration': i, 'loss': 1.0 - i / 1000.0,
                           'accuracy': 0.6 + i / 2000.0 - 0.05 * index}
                          for i in ITERATIONS],
                 'extra': grad}
      directory = (os.path.join(root, 'sparse', method, 'trial{}'.format(trial))
                   if sparsity is None else os.path.join(
                       root, 'sparse', method, 'sparsity0.9',
                       'trial{}'.format(trial)))
      _write_run(directory, {'experiment': 'sparse_train', 'method': method,
                             'sparsity': sparsity, 'run': {'seed': trial}},
                 metrics)
  # An unfinished run is left out by default.
  _write_run(paths.run(paths.trial(root, 2), 0, 'same_init'),
             {'experiment': 'lottery', 'experiment_name': 'same_init',
              'level': 0}, _lottery_metrics(0, 2), density=1.0, done=False)
  return root


@pytest.fixture(scope='module')
def synthetic(tmp_path_factory):
  return _synthetic_tree(str(tmp_path_factory.mktemp('synthetic')))


def _by_group(rows):
  return {(r['kind'], r['name'], r['key'], r['trial']): r for r in rows}


def test_discovery_classifies_lottery_controls_and_sparse_runs(synthetic):
  runs = run_discovery.find_runs(synthetic)
  groups = {r.group for r in runs}
  assert ('lottery', 'same_init', 2) in groups
  assert ('lottery', 'reinit', 1) in groups
  assert ('sparse', 'rigl', 0.9) in groups
  assert ('sparse', 'dense', 0.0) in groups
  assert {r.trial for r in runs} == {'0', '1'}
  assert len(runs) == 2 * (3 + 2 + 3)
  everything = run_discovery.find_runs(synthetic, include_unfinished=True)
  assert len(everything) == len(runs) + 1


def test_table_has_the_expected_early_stopping(synthetic):
  rows = _by_group(results_table.run_rows(synthetic))
  for trial in (0, 1):
    for level in (0, 1, 2):
      row = rows[('lottery', 'same_init', level, str(trial))]
      best = _minimum(level, trial)
      assert row['early_stop_iteration'] == best
      assert row['early_stop_split'] == 'validate'
      assert row['early_stop_test_accuracy'] == pytest.approx(
          _accuracy(best, level))
      assert row['final_test_accuracy'] == pytest.approx(_accuracy(500, level))
      assert row['final_train_accuracy'] == pytest.approx(0.9 + trial / 100)
      assert row['percent_remaining'] == pytest.approx(
          round(100 * 0.8 ** level), abs=1e-9)
    reinit = rows[('lottery', 'reinit', 2, str(trial))]
    assert reinit['early_stop_iteration'] == _minimum(3, trial)
  # Without a validation split the test loss decides (here: the last point).
  sparse = rows[('sparse', 'rigl', 0.9, '0')]
  assert sparse['early_stop_split'] == 'test'
  assert sparse['early_stop_iteration'] == 500
  assert sparse['percent_remaining'] == pytest.approx(10.0)  # from config
  assert rows[('sparse', 'dense', 0.0, '1')]['percent_remaining'] == 100.0


def test_groups_average_over_trials(synthetic):
  groups = {(g['kind'], g['name'], g['key']): g
            for g in results_table.group_rows(results_table.run_rows(synthetic))}
  level1 = groups[('lottery', 'same_init', 1)]
  assert level1['trials'] == 2
  values = [_minimum(1, 0), _minimum(1, 1)]
  assert level1['early_stop_iteration_mean'] == pytest.approx(np.mean(values))
  assert level1['early_stop_iteration_std'] == pytest.approx(
      np.std(values, ddof=1))
  assert level1['early_stop_iteration_min'] == min(values)
  assert level1['early_stop_iteration_max'] == max(values)
  assert level1['level'] == 1 and level1['sparsity'] is None
  assert groups[('sparse', 'rigl', 0.9)]['sparsity'] == 0.9
  ordered = [g['name'] for g in results_table.group_rows(
      results_table.run_rows(synthetic)) if g['kind'] == 'lottery']
  assert ordered[0] == 'same_init'  # winning tickets lead


def test_early_stopping_edge_cases():
  assert math.isnan(run_summary.early_stopping({})[0])
  tie = {'validate': [{'iteration': 10, 'loss': 1.0},
                      {'iteration': 20, 'loss': 1.0}],
         'test': [{'iteration': 0, 'accuracy': 0.1},
                  {'iteration': 25, 'accuracy': 0.7}]}
  iteration, accuracy, split = run_summary.early_stopping(tie)
  assert (iteration, split) == (10, 'validate')  # first minimum
  assert accuracy == 0.1  # nearest test record (0 is closer to 10 than 25)


def test_grad_norm_keys_are_read_tolerantly():
  assert curves.grad_norm_key({'extra': [{'iteration': 0, 'grad_norm': 1.0}]}) == (
      'grad_norm')
  assert curves.grad_norm_key(
      {'extra': [{'iteration': 0, 'gradient_norm_masked': 1.0}]}) == (
          'gradient_norm_masked')
  assert curves.grad_norm_key({'extra': [{'iteration': 0, 'x': 1.0}]}) is None
  assert curves.grad_norm_key({}) is None


def test_results_write_tables_and_plots(synthetic, tmp_path):
  written = results_lib.results(synthetic, str(tmp_path), quiet=True)
  for key in ('runs_csv', 'summary_csv', 'summary_md', 'accuracy_curves',
              'early_stopping', 'sparse_training'):
    assert os.path.getsize(written[key]) > 0, key
  with open(written['accuracy_curves'], 'rb') as f:
    assert f.read(8) == b'\x89PNG\r\n\x1a\n'
  with open(written['summary_md']) as f:
    markdown = f.read()
  assert '| lottery | same_init | 1 |' in markdown
  with open(written['summary_csv']) as f:
    header = f.readline().strip().split(',')
  assert header[:5] == ['kind', 'name', 'level', 'sparsity', 'trials']
  assert 'early_stop_iteration_mean' in header


def test_bad_levels_and_empty_directories(synthetic, tmp_path):
  with pytest.raises(ValueError, match='No runs at level'):
    results_lib.results(synthetic, str(tmp_path), levels=[7], quiet=True)
  with pytest.raises(ValueError, match='No runs under'):
    results_lib.results(str(tmp_path), str(tmp_path / 'out'), quiet=True)
  with pytest.raises(ValueError, match='No such experiment directory'):
    results_lib.results(str(tmp_path / 'missing'), str(tmp_path), quiet=True)
  unfinished = tmp_path / 'unfinished'
  _write_run(str(unfinished / '0' / 'same_init'), {'experiment': 'lottery'},
             _lottery_metrics(0, 0), done=False)
  with pytest.raises(ValueError, match='include_unfinished'):
    results_lib.results(str(unfinished), str(tmp_path), quiet=True)


def test_cli_reports_a_directory_without_runs_in_one_line(tmp_path, monkeypatch,
                                                         capsys):
  from lottery_ticket import command_line  # pylint: disable=g-import-not-at-top
  monkeypatch.setattr(sys, 'argv', [
      'results', '--experiment_dir={}'.format(tmp_path),
      '--output_dir={}'.format(tmp_path / 'out')])
  with pytest.raises(SystemExit) as exit_info:
    command_line.run(results_lib.RUNNER)
  assert exit_info.value.code == 2
  error = capsys.readouterr().err.strip()
  assert error.startswith('analysis.results: error: No runs under')
  assert len(error.splitlines()) == 1


@pytest.mark.slow
def test_real_lottery_tree(tmp_path):
  root = support.lottery_tree()
  rows = _by_group(results_table.run_rows(root))
  assert set(rows) == {('lottery', 'same_init', 0, '0'),
                       ('lottery', 'same_init', 1, '0'),
                       ('lottery', 'reinit', 1, '0')}
  for row in rows.values():
    validate = save_restore.read_log(paths.log(row['run_dir'], 'validate'))
    best = min(validate, key=lambda r: (r['loss'], r['iteration']))
    assert row['early_stop_iteration'] == best['iteration']
    test = {r['iteration']: r['accuracy']
            for r in save_restore.read_log(paths.log(row['run_dir'], 'test'))}
    assert row['early_stop_test_accuracy'] == pytest.approx(
        test[best['iteration']])
    assert row['final_test_accuracy'] == pytest.approx(test[200])
  # 64x20 kernel pruned by 20%, 20x10 output kernel by 10%.
  expected = 100.0 * (1024 + 180) / (1280 + 200)
  assert rows[('lottery', 'same_init', 1, '0')]['percent_remaining'] == (
      pytest.approx(expected))
  assert rows[('lottery', 'reinit', 1, '0')]['percent_remaining'] == (
      pytest.approx(expected))
  written = results_lib.results(root, str(tmp_path), quiet=True)
  assert os.path.getsize(written['accuracy_curves']) > 0
  assert os.path.getsize(written['early_stopping']) > 0
  assert 'sparse_training' not in written


@pytest.mark.slow
def test_core_imports_and_tables_work_without_matplotlib(synthetic, tmp_path):
  script = '\n'.join([
      'import sys',
      "sys.modules['matplotlib'] = None  # makes every matplotlib import fail",
      'import lottery_ticket.foundations',
      'from lottery_ticket.mnist_fc.runners import lottery_experiment',
      'from lottery_ticket.analysis import results, hessian_spectrum, '
      'interpolation, instability',
      'written = results.results({!r}, {!r}, plots=False, quiet=True)'.format(
          synthetic, str(tmp_path)),
      "assert 'summary_csv' in written",
      'try:',
      '  results.results({!r}, {!r}, quiet=True)'.format(synthetic,
                                                          str(tmp_path)),
      'except ImportError as error:',
      "  assert 'pip install' in str(error)",
      'else:',
      "  raise AssertionError('plots without matplotlib')",
      "print('ok')",
  ])
  completed = subprocess.run([sys.executable, '-c', script],
                             capture_output=True, text=True, timeout=120)
  assert completed.returncode == 0, completed.stderr[-2000:]
  assert completed.stdout.strip().endswith('ok')
