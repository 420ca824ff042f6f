"""The report's comparison of pruning at initialisation, and the published
figures beside the runs.

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

from lottery_ticket.analysis import published
from lottery_ticket.analysis import report as report_lib
from lottery_ticket.analysis import results_pai
from lottery_ticket.analysis import results_pai_plots
from lottery_ticket.analysis import results_table
from lottery_ticket.argfiles import paper_recipes
from lottery_ticket.foundations import paths
from lottery_ticket.foundations import save_restore
from lottery_ticket.mnist_fc import config as config_lib
from lottery_ticket.mnist_fc import settings

SPARSE = config_lib.concerns_for(['data', 'model', 'training', 'sparse'])
LOTTERY = config_lib.concerns_for(['data', 'model', 'training', 'lottery'])
RUN = dict(dataset='digits', layers='300,100', training_len='200it')
LINES = (('snip', 'none'), ('snip', 'shuffle'), ('snip', 'invert'),
         ('random_init', 'none'), ('magnitude_init', 'none'))
SPARSITIES = (0.5, 0.9)
TRIALS = (0, 1)
# (method, ablation, sparsity, trial) -> the layers its mask collapsed.
COLLAPSED = {('snip', 'shuffle', 0.9, 1): ['layer2']}


def _final_accuracy(method, ablation, sparsity, trial):
  line = LINES.index((method, ablation))
  return round(0.9 - 0.05 * line - 0.2 * sparsity + 0.013 * trial, 6)


def _write(run_dir, config, metrics, density=None):
  os.makedirs(run_dir, exist_ok=True)
  save_restore.write_json(paths.config(run_dir), config)
  save_restore.write_json(paths.metrics(run_dir), metrics)
  if density is not None:
    mask = np.zeros(100, np.float32)
    mask[:int(round(100 * density))] = 1
    save_restore.save_network(paths.masks(run_dir),
                              {'layer0': mask.reshape(10, 10)})
  save_restore.write_json(paths.done_marker(run_dir), {})


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
        details = {'start': {'collapsed_layers': layers}} if layers else {}
        config = config_lib.record(config_lib.resolve(SPARSE, flags),
                                   'sparse_train', details)
        final = _final_accuracy(method, ablation, sparsity, trial)
        metrics = {'test': [{'iteration': 0, 'loss': 2.3, 'accuracy': 0.1},
                            {'iteration': 100, 'loss': 0.5, 'accuracy': 0.5},
                            {'iteration': 200, 'loss': 0.6,
                             'accuracy': final}]}
        _write(os.path.join(root, 'mlp', paper_recipes.pai_name(
            method, ablation), 'sparsity{:g}'.format(sparsity),
                            'trial{}'.format(trial)), config, metrics)
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
  assert results_pai_plots.panels(groups) == [('lenet_300_100', 'snip')]
  text = '\n'.join(results_pai.to_markdown(groups))
  expected = np.array([_final_accuracy('snip', 'invert', 0.5, t)
                       for t in TRIALS])
  assert '| snip | invert | {:.4f} ± {:.4f} |'.format(
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


# The published table ---------------------------------------------------------

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
        _write(paths.run(paths.trial(root, trial), level, name), config,
               {'validate': records, 'test': records}, density=density)
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


def _figure(metric, percent, method='same_init', network='lenet_300_100',
            training_len='50000it', dataset='mnist', value=0.0):
  return published.Figure('Paper', 'Fig. 0', network, dataset, training_len,
                          percent, method, metric, value, 'hand-made')


def test_published_figures_match_network_method_and_weights_left(tmp_path):
  rows = results_table.run_rows(_lottery_tree(str(tmp_path / 'lt')))
  figures = (
      _figure('early_stop_iteration_vs_dense', 62.0, value=-0.3),
      _figure('early_stop_iteration_reinit_over_ticket', 80.0, value=2.0),
      _figure('early_stop_test_accuracy_over_reinit', 64.0, value=0.01),
      _figure('early_stop_test_accuracy', 80.0, method='reinit'),
      # No run of this network, none this far from any level, and no run of
      # this method: nothing to compare with.
      _figure('early_stop_iteration', 80.0, network='lenet5'),
      _figure('early_stop_iteration', 30.0),
      _figure('early_stop_iteration', 80.0, method='reuse_sign'),
  )
  matched = published.comparison(rows, figures)
  assert [m['figure'] for m in matched] == list(figures[:4])

  def mean(function, name, level):
    return np.mean([function(name, level, t) for t in TRIALS])

  dense = mean(_stop, 'same_init', 0)
  expected = [mean(_stop, 'same_init', 2) / dense - 1,
              mean(_stop, 'reinit', 1) / mean(_stop, 'same_init', 1),
              mean(_stop_accuracy, 'same_init', 2) -
              mean(_stop_accuracy, 'reinit', 2),
              mean(_stop_accuracy, 'reinit', 1)]
  assert [m['measured'] for m in matched] == pytest.approx(expected)
  assert [m['percent_remaining'] for m in matched] == pytest.approx(
      [64.0, 80.0, 64.0, 80.0])
  assert all(m['trials'] == len(TRIALS) for m in matched)


def test_published_table_says_scaled_when_length_or_dataset_differ(tmp_path):
  rows = results_table.run_rows(_lottery_tree(str(tmp_path / 'lt')))
  paper = _figure('early_stop_iteration', 80.0)
  own = _figure('early_stop_iteration', 80.0, training_len='200it',
                dataset='digits')
  length_only = _figure('early_stop_iteration', 80.0, training_len='200it')
  matched = published.comparison(rows, (paper, own, length_only))
  assert [m['scaled'] for m in matched] == [
      'training_len 200it vs 50000it; dataset digits vs mnist', '',
      'dataset digits vs mnist']
  lines = published.to_markdown(matched)
  assert lines[2].endswith('| scaled: training_len 200it vs 50000it; '
                           'dataset digits vs mnist |')
  assert lines[3].endswith('| as the paper |')


def test_published_figures_match_pai_runs_by_method_and_ablation(tmp_path):
  rows = results_table.run_rows(_pai_tree(str(tmp_path / 'pai')))
  figures = (_figure('final_test_accuracy', 10.0, method='snip_shuffle'),
             _figure('final_test_accuracy', 50.0, method='random_init'),
             _figure('final_test_accuracy', 10.0, method='snip_reinit'))
  matched = published.comparison(rows, figures)
  assert [m['figure'].method for m in matched] == ['snip_shuffle',
                                                   'random_init']
  assert [m['measured'] for m in matched] == pytest.approx([
      np.mean([_final_accuracy('snip', 'shuffle', 0.9, t) for t in TRIALS]),
      np.mean([_final_accuracy('random_init', 'none', 0.5, t)
               for t in TRIALS])])


def test_published_section_says_when_nothing_matches(tmp_path):
  rows = results_table.run_rows(_pai_tree(str(tmp_path / 'pai')))
  lines = published.section(rows)
  assert lines[0] == '## Published figures beside this run'
  assert lines[2].startswith('No published figure in analysis/published.py '
                             'matches these runs.')
  assert published.section([dict(r, network='fc-20') for r in rows]) == []


def test_every_published_figure_is_measurable_and_cited():
  for figure in published.FIGURES:
    assert figure.metric in published.MEASURES
    assert figure.source and figure.reference and figure.paper
    assert 0 < figure.percent_remaining <= 100
