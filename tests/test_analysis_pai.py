"""The report's comparison of pruning at initialisation, and the marks of a
damaged network in its tables.

Every run here is written by hand (configuration, metrics, masks), so each
number the tables show is known before the analysis reads it: accuracies
are drawn from a formula of method, ablation, sparsity and trial, and the
expected means and spreads are computed here with numpy.
"""

import csv
import io
import os

import numpy as np
import pytest

from lottery_ticket.analysis import report as report_lib
from lottery_ticket.analysis import results_pai
from lottery_ticket.analysis import results_pai_plots
from lottery_ticket.analysis import results_table
from lottery_ticket.argfiles import paper_recipes
from lottery_ticket.foundations import paths
from lottery_ticket.mnist_fc import config as config_lib
from lottery_ticket.mnist_fc import settings

import analysis_support as support

SPARSE = settings.BASE + (settings.SPARSE,)
LOTTERY = settings.BASE + (settings.LOTTERY,)
RUN = dict(dataset='digits', layers='300,100', training_len='200it')
LINES = (('snip', 'none'), ('snip', 'shuffle'), ('snip', 'invert'),
         ('random_init', 'none'), ('magnitude_init', 'none'))
SPARSITIES = (0.5, 0.9)
TRIALS = (0, 1)
# (method, ablation, sparsity, trial) -> the layers its mask collapsed, and
# the outputs it left unreached.
COLLAPSED = {('snip', 'shuffle', 0.9, 1): ['layer2']}
UNREACHED = {('snip', 'invert', 0.5, 0): 2, ('snip', 'invert', 0.5, 1): 1}


def _final_accuracy(method, ablation, sparsity, trial):
  line = LINES.index((method, ablation))
  return round(0.9 - 0.05 * line - 0.2 * sparsity + 0.013 * trial, 6)


def _pai_tree(root):
  """The recipe's layout: {root}/mlp/{method}[_{ablation}]/sparsity{s}/
  trial{t}, with known final test accuracies."""
  for method, ablation in LINES:
    for sparsity in SPARSITIES:
      for trial in TRIALS:
        flags = dict(RUN, method=method, sparsity=sparsity, seed=trial)
        if ablation != 'none':
          flags['ablation'] = ablation
        layers = COLLAPSED.get((method, ablation, sparsity, trial))
        start = {'collapsed_layers': layers} if layers else {}
        if (method, ablation, sparsity, trial) in UNREACHED:
          start['unreached_outputs'] = UNREACHED[
              (method, ablation, sparsity, trial)]
        details = {'start': start} if start else {}
        config = config_lib.record(config_lib.resolve(SPARSE, flags),
                                   'sparse_train', details)
        final = _final_accuracy(method, ablation, sparsity, trial)
        metrics = {'test': [{'iteration': 0, 'loss': 2.3, 'accuracy': 0.1},
                            {'iteration': 100, 'loss': 0.5, 'accuracy': 0.5},
                            {'iteration': 200, 'loss': 0.6,
                             'accuracy': final}]}
        support.write_run(os.path.join(
            root, 'mlp', paper_recipes.pai_name(method, ablation),
            'sparsity{:g}'.format(sparsity), 'trial{}'.format(trial)),
                          config, metrics)
  return root


@pytest.fixture(name='pai_groups')
def _pai_groups(tmp_path):
  root = _pai_tree(str(tmp_path / 'pai'))
  rows = results_table.run_rows(root)
  return rows, results_pai.group(results_pai.pai_rows(rows))


def test_table_values_are_the_recorded_final_accuracies(pai_groups):
  _, groups = pai_groups
  assert len(groups) == len(LINES) * len(SPARSITIES)
  for entry in groups:
    assert entry['network'] == 'lenet_300_100'
    written = np.array([_final_accuracy(entry['method'], entry['ablation'],
                                        entry['sparsity'], t) for t in TRIALS])
    assert entry['trials'] == len(TRIALS)
    assert entry['final_test_accuracy_mean'] == pytest.approx(written.mean())
    assert entry['final_test_accuracy_std'] == pytest.approx(
        written.std(ddof=1))
    assert entry['final_test_accuracy_min'] == pytest.approx(written.min())
    # Without masks, the weights remaining are the configured sparsity's.
    assert entry['percent_remaining_mean'] == pytest.approx(
        100 * (1 - entry['sparsity']))


def test_ablations_are_lines_of_their_method(pai_groups):
  _, groups = pai_groups
  for method, ablation in LINES:
    line = results_pai_plots._line(groups, 'lenet_300_100', method, ablation)  # pylint: disable=protected-access
    assert [g['sparsity'] for g in line] == sorted(SPARSITIES, reverse=True)
    assert {(g['method'], g['ablation']) for g in line} == {(method, ablation)}
  # The baselines run only unablated: they are drawn in snip's panel, not
  # given panels of their own.
  assert results_pai.panels(groups) == [('lenet_300_100', 'snip')]
  text = '\n'.join(results_pai.to_markdown(groups))
  expected = np.array([_final_accuracy('snip', 'invert', 0.5, t)
                       for t in TRIALS])
  assert '| snip | invert | {:.4f} ± {:.4f} ‡1 |'.format(
      expected.mean(), expected.std(ddof=1)) in text


def test_a_collapsed_run_is_marked_in_the_table_and_csv(pai_groups):
  rows, groups = pai_groups
  text = '\n'.join(results_pai.to_markdown(groups))
  shuffle = [line for line in text.splitlines()
             if line.startswith('| snip | shuffle |')]
  assert len(shuffle) == 1 and shuffle[0].endswith('†1 |')
  assert text.count('†') == 2  # the mark and its footnote
  assert '- †1 snip_shuffle at sparsity 0.9: trial 1: layer2' in text
  table = list(csv.DictReader(io.StringIO(results_pai.to_csv(groups))))
  marked = [r for r in table if r['collapsed']]
  assert [(r['method'], r['ablation'], r['sparsity'], r['collapsed'])
          for r in marked] == [('snip', 'shuffle', '0.9', 'trial 1: layer2')]
  per_run = [r for r in rows if r['collapsed']]
  assert [(r['method'], r['ablation'], r['trial'], r['collapsed'])
          for r in per_run] == [('snip', 'shuffle', '1', ['layer2'])]


def test_outputs_no_input_reaches_are_counted_in_the_table_and_csv(
    pai_groups, tmp_path):
  rows, groups = pai_groups
  text = '\n'.join(results_pai.to_markdown(groups))
  invert = [line for line in text.splitlines()
            if line.startswith('| snip | invert |')]
  # Only the 0.5 cell (the first) is marked; 0.9's is not.
  assert len(invert) == 1 and invert[0].count('‡') == 1
  assert invert[0].split(' | ')[2].endswith('‡1')
  assert text.count('‡') == 2
  assert ('- ‡1 snip_invert at sparsity 0.5: trial 0: 2 outputs; trial 1: '
          '1 output') in text
  assert text.index('Layer collapse') < text.index('Outputs no input reaches')
  table = list(csv.DictReader(io.StringIO(results_pai.to_csv(groups))))
  assert [(r['method'], r['ablation'], r['sparsity'], r['unreached_outputs'])
          for r in table if r['unreached_outputs']] == [
              ('snip', 'invert', '0.5',
               'trial 0: 2 outputs; trial 1: 1 output')]
  assert sorted((r['trial'], r['unreached_outputs']) for r in rows
                if r['unreached_outputs']) == [('0', 2), ('1', 1)]
  # runs.csv carries the count of every run (0 where all are reached).
  written = results_table.write_tables(rows, results_table.group_rows(rows),
                                       str(tmp_path / 'tables'))
  per_run = list(csv.DictReader(open(written['runs_csv'])))
  assert sorted(r['unreached_outputs'] for r in per_run) == (
      ['0'] * (len(per_run) - 2) + ['1', '2'])


def test_report_finds_the_pai_sweep(tmp_path):
  root = _pai_tree(str(tmp_path / 'pai'))
  path = report_lib.report(root, quiet=True)
  text = open(path).read()
  assert '## Pruning at initialisation: methods and their ablations' in text
  assert '![Pruning at initialisation](pai.png)' in text
  # The sweep is left out of the curves figure and the summary table: its
  # own figure and table show it.
  assert 'sparse_training.png' not in text and '## Summary' not in text
  for name in ('pai.png', 'pai.csv'):
    assert os.path.getsize(os.path.join(root, 'report', name)) > 0


def test_results_command_writes_the_pai_table_and_figure(tmp_path):
  from lottery_ticket.analysis import results as results_lib  # pylint: disable=g-import-not-at-top
  root = _pai_tree(str(tmp_path / 'pai'))
  written = results_lib.results(root, str(tmp_path / 'out'), quiet=True)
  assert 'sparse_training' not in written
  table = list(csv.DictReader(open(written['pai_csv'])))
  assert len(table) == len(LINES) * len(SPARSITIES)
  assert os.path.getsize(written['pai']) > 0


def test_one_method_at_one_sparsity_is_no_sweep(pai_groups):
  rows, _ = pai_groups
  single = [r for r in rows if r['method'] == 'snip' and
            r['ablation'] == 'none' and r['sparsity'] == 0.9]
  assert len(single) == len(TRIALS)
  assert results_pai.sweep_groups(single) == set()
  assert results_pai.section(single, 'unused') == []
  assert results_pai.sweep_groups(rows) == {
      (r['kind'], r['name'], r['key']) for r in rows}


# The lottery summary table ---------------------------------------------------

LEVEL_DENSITY = {0: 1.0, 1: 0.8, 2: 0.64}
ITERATIONS = list(range(0, 201, 20))


def _stop(name, level, trial):
  """The iteration of minimum validation loss of a hand-made lottery run."""
  return {'same_init': 100, 'reinit': 160}[name] - 20 * (
      level if name == 'same_init' else 0) + 20 * trial


def _stop_accuracy(name, level, trial):
  return 0.9 + 0.01 * level - (0.03 if name == 'reinit' else 0) + 0.002 * trial


def _lottery_tree(root, training_len='200it', collapsed=None):
  """Lottery levels 0-2 and the reinit control of 1-2, two trials;
  collapsed: {(name, level, trial): layers} recorded as collapsed."""
  for trial in TRIALS:
    for level, density in LEVEL_DENSITY.items():
      for name in ('same_init', 'reinit') if level else ('same_init',):
        stop = _stop(name, level, trial)
        accuracy = _stop_accuracy(name, level, trial)
        records = [{'iteration': i, 'loss': 0.1 + ((i - stop) / 100.0) ** 2,
                    'accuracy': accuracy if i == stop else 0.5}
                   for i in ITERATIONS]
        flags = dict(RUN, seed=trial, training_len=training_len)
        layers = (collapsed or {}).get((name, level, trial))
        if name == 'same_init':
          config = config_lib.record(
              config_lib.resolve(LOTTERY, flags), 'lottery',
              dict({'experiment_name': name, 'level': level},
                   **({'collapsed_layers': layers} if layers else {})))
        else:
          config = config_lib.record(
              config_lib.resolve(settings.BASE, flags), 'reinitialize',
              {'mode': name, 'level': level})
        support.write_run(paths.run(paths.trial(root, trial), level, name),
                          config, {'validate': records, 'test': records},
                          density=density)
  return root


def test_summary_table_marks_a_collapsed_lottery_level(tmp_path):
  root = _lottery_tree(str(tmp_path / 'lt'),
                       collapsed={('same_init', 2, 1): ['layer1', 'layer2']})
  rows = results_table.run_rows(root)
  groups = results_table.group_rows(rows)
  text = results_table.to_markdown(groups)
  marked = [l for l in text.splitlines() if '†' in l]
  assert marked[0].startswith('| lottery | same_init †1 | 2 |')
  assert marked[1:] == ['- †1 same_init: trial 1: layer1, layer2']
  written = results_table.write_tables(rows, groups, str(tmp_path / 'out'))
  table = list(csv.DictReader(open(written['summary_csv'])))
  assert [(r['name'], r['level'], r['collapsed']) for r in table
          if r['collapsed']] == [('same_init', '2', 'trial 1: layer1, layer2')]
