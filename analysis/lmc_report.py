r"""The page of the linear-mode-connectivity recipe: accuracy and instability
per rewind iteration k.

  python -m lottery_ticket.analysis.lmc_report --experiment_dir=results/lmc

reads the trees `lottery_experiment_argfile --paper=lmc` writes
({experiment_dir}/{network}/k{k}/: IMP, the random-pruning control of
sparse_train_argfile --paper=lmc in random_pruning/{level}/, and the reinit
control of reinitialize_argfile --paper=lmc) and the instability
results of instability_argfile --paper=lmc
({experiment_dir}/{network}/instability/k{k}/trial{t}/{level}/), and
writes into {experiment_dir}/report/ (or --output_dir):

  lmc.csv   a row per network, k and level: percent of weights remaining,
            final test accuracy of IMP rewound to k, of random pruning
            (IMP's mask of the level shuffled within each layer, rewound to
            k; at level 0, which prunes nothing, IMP's dense network) and
            of random reinitialisation (means over trials), the instability
            (the test-error barrier on the straight line between two copies
            trained from iteration k, in percentage points, mean over
            trials) and whether the level is stable (below 2 points, the
            threshold issue #19 states for Frankle et al. 2020; not
            verified here against the paper's text);
  lmc.png   per network, test accuracy against weights remaining (a colour
            per k; IMP solid, random pruning dashed, reinit dotted) and the
            instability against weights remaining with the 2-point line;
  lmc.md    the table, the figure, and the paper's published figures
            and what of them is missing (analysis/published.py).

`report` adds the same section to report.md of such a directory.

The paper's claim this page checks: an IMP subnetwork reaches the dense
network's accuracy only at levels where it is stable, and rewinding to a
later k makes deeper levels stable; the controls never match.
"""

import math
import os
import re

import numpy as np

from lottery_ticket import command_line
from lottery_ticket.analysis import instability
from lottery_ticket.analysis import published
from lottery_ticket.analysis import results_table
from lottery_ticket.analysis import tables
from lottery_ticket.argfiles import paper_recipes
from lottery_ticket.foundations import save_restore
from lottery_ticket.foundations.storage import integrity
from lottery_ticket.mnist_fc import constants

IMP = constants.EXPERIMENT_NAME
RANDOM_PRUNING = paper_recipes.RANDOM_PRUNING_NAME
REINIT = 'reinit'
# An instability below this (a fraction of test error) is "stable" (issue
# #19's threshold for the paper's notion).
STABLE_BELOW = 0.02
COLUMNS = ('network', 'rewind_iteration', 'level', 'percent_remaining',
           'imp_accuracy', 'random_pruning_accuracy', 'reinit_accuracy',
           'instability_points', 'stable', 'trials', 'instability_trials')
_TREE = re.compile(r'^k(\d+)$')


def _subdirectories(directory):
  """(name, path) of each directory in `directory` (none if it is not
  one), sorted by name."""
  if not os.path.isdir(directory):
    return []
  return [(name, os.path.join(directory, name))
          for name in sorted(os.listdir(directory))
          if os.path.isdir(os.path.join(directory, name))]


def find_trees(experiment_dir):
  """(network, k, tree directory) of every IMP tree under experiment_dir."""
  return sorted((network, int(match.group(1)), tree)
                for network, directory in _subdirectories(experiment_dir)
                for entry, tree in _subdirectories(directory)
                for match in [_TREE.match(entry)] if match)


def _run_key(row):
  """(name, level) of a run of a tree, or None: IMP and reinit by their
  level; the random-pruning control, a sparse_train run, by the level whose
  mask it shuffles (its --mask_level); an older tree's control, a lottery
  experiment named random_pruning, by its level."""
  if row['level'] is not None:
    return row['name'], int(row['level'])
  settings = row['settings']
  if settings.get('shuffle_mask') and settings.get('mask_level', -1) >= 0:
    return RANDOM_PRUNING, int(settings['mask_level'])
  return None


def _mean(values):
  values = [v for v in values if v is not None and math.isfinite(v)]
  return float(np.mean(values)) if values else math.nan


def instabilities(experiment_dir, network, rewind):
  """{level: [instability of each trial]} of one tree, from the
  instability.json files of its instability lines (the entry of k)."""
  base = paper_recipes.lmc_instability_dir(experiment_dir, network, rewind)
  out = {}
  for _, trial_dir in _subdirectories(base):
    for level in os.listdir(trial_dir):
      path = os.path.join(trial_dir, level, instability.RESULTS_FILE)
      if not (level.isdigit() and os.path.isfile(path)):
        continue
      for result in integrity.read_json(path).get('results') or []:
        if int(result['rewind']) == rewind:
          out.setdefault(int(level), []).append(float(result['instability']))
  return out


def lmc_rows(experiment_dir, include_unfinished=False, trees=None):
  """One dict per network, k and level (see COLUMNS), sorted.

  Args:
    experiment_dir: the --output_dir of the lmc recipe.
    include_unfinished: also read runs without a DONE marker.
    trees: find_trees(experiment_dir), when the caller has it.

  Raises:
    ValueError: if the directory holds no IMP tree of the recipe.
  """
  trees = find_trees(experiment_dir) if trees is None else trees
  if not trees:
    raise ValueError('No lmc trees under {} (expected {{network}}/k{{k}}/ '
                     'directories written by lottery_experiment_argfile '
                     '--paper=lmc)'.format(experiment_dir))
  rows = []
  for network, rewind, tree in trees:
    by_name = {}
    for row in results_table.run_rows(tree, include_unfinished):
      key = _run_key(row)
      if key is not None:
        by_name.setdefault(key, []).append(row)
    unstable = instabilities(experiment_dir, network, rewind)
    for level in sorted({l for name, l in by_name if name == IMP}):
      imp = by_name[(IMP, level)]
      # Level 0 prunes nothing: shuffling its mask leaves IMP's network.
      control = (IMP if level == 0 and (RANDOM_PRUNING, 0) not in by_name
                 else RANDOM_PRUNING)
      accuracy = {name: _mean([r['final_test_accuracy']
                               for r in by_name.get((name, level), [])])
                  for name in (IMP, control, REINIT)}
      barrier = _mean(unstable.get(level, []))
      rows.append({
          'network': network, 'rewind_iteration': rewind, 'level': level,
          'percent_remaining': _mean([r['percent_remaining'] for r in imp]),
          'imp_accuracy': accuracy[IMP],
          'random_pruning_accuracy': accuracy[control],
          'reinit_accuracy': accuracy[REINIT],
          'instability_points': 100.0 * barrier,
          'stable': (None if math.isnan(barrier)
                     else bool(barrier < STABLE_BELOW)),
          'trials': len(imp),
          'instability_trials': len(unstable.get(level, [])),
      })
  return rows


def to_csv(rows):
  """CSV text of the rows (None left empty; csv writes a float as its
  repr)."""
  return tables.csv_text(COLUMNS, (['' if row[c] is None else row[c]
                                    for c in COLUMNS] for row in rows))


def _cell(value, digits=4):
  """A cell of the page's table: floats to `digits` places, '-' for none."""
  if value is None or (isinstance(value, float) and math.isnan(value)):
    return '-'
  if isinstance(value, bool):
    return 'yes' if value else 'no'
  if isinstance(value, float):
    return '{:.{}f}'.format(value, digits)
  return str(value)


def to_markdown(rows):
  """The table of the page: one line per network, k and level."""
  return '\n'.join(tables.markdown(
      ['network', 'k', 'level', '% weights', 'IMP acc.',
       'random pruning acc.', 'reinit acc.', 'instability (pp)', 'stable',
       'trials'],
      ([r['network'], r['rewind_iteration'], r['level'],
        _cell(r['percent_remaining'], 1), _cell(r['imp_accuracy']),
        _cell(r['random_pruning_accuracy']), _cell(r['reinit_accuracy']),
        _cell(r['instability_points'], 2), _cell(r['stable']), r['trials']]
       for r in rows)))


def plot(rows, path):
  """lmc.png: a row per network, accuracy and instability against weights
  remaining, a colour per k. Returns path."""
  from lottery_ticket.analysis import plot_style  # pylint: disable=g-import-not-at-top
  networks = sorted({r['network'] for r in rows})
  figure, axes = plot_style.new_figure(len(networks), 2, width=5.6)
  # (panel, label, column, line style, marker) of each line of a k.
  lines = ((0, 'IMP k=', 'imp_accuracy', '-', 'o'),
           (0, 'random pruning k=', 'random_pruning_accuracy', '--', 'v'),
           (0, 'reinit k=', 'reinit_accuracy', ':', 's'),
           (1, 'k=', 'instability_points', '-', 'o'))
  for row_axes, network in zip(axes, networks):
    mine = [r for r in rows if r['network'] == network]
    rewinds = sorted({r['rewind_iteration'] for r in mine})
    for index, rewind in enumerate(rewinds):
      tree = sorted((r for r in mine if r['rewind_iteration'] == rewind),
                    key=lambda r: r['level'])
      x = np.array([r['percent_remaining'] for r in tree])
      for panel, label, column, style, marker in lines:
        y = np.array([r[column] for r in tree], dtype=float)
        if np.isfinite(y).any():
          row_axes[panel].plot(x, y, style, marker=marker, markersize=3.5,
                               color=plot_style.color(index), linewidth=1.3,
                               label=label + str(rewind))
    row_axes[1].axhline(100 * STABLE_BELOW, color='0.4', linewidth=1,
                        linestyle='--', label='stable below 2 pp')
    ticks = {round(r['percent_remaining'], 1) for r in mine
             if math.isfinite(r['percent_remaining'])}
    for axis in row_axes:
      plot_style.percent_axis(axis, ticks)
      axis.legend(fontsize=7)
    row_axes[0].set(ylabel='final test accuracy', title='{}: IMP rewound to '
                    'k and its controls'.format(network))
    row_axes[1].set(ylabel='instability: test-error barrier (pp)',
                    title='{}: instability from iteration k'.format(network))
  return plot_style.save(figure, path, 'Linear mode connectivity and the '
                         'lottery ticket hypothesis (Frankle et al. 2020)')


def lmc_report(experiment_dir, output_dir=None, include_unfinished=False,
               quiet=False):
  """Writes lmc.md, lmc.csv and lmc.png of an lmc sweep.

  Args:
    experiment_dir: the --output_dir of the lmc recipe.
    output_dir: where the files go (default: experiment_dir/report).
    include_unfinished: also read runs without a DONE marker.
    quiet: print nothing.

  Returns:
    the path of lmc.md.

  Raises:
    ValueError: if the directory holds no tree of the recipe.
  """
  rows = lmc_rows(experiment_dir, include_unfinished)
  output_dir = output_dir or os.path.join(experiment_dir, 'report')
  path = os.path.join(output_dir, 'lmc.md')
  save_restore.write_text(path, '\n'.join(section(rows, output_dir)) + '\n')
  if not quiet:
    print('wrote {} ({} rows)'.format(path, len(rows)))
  return path


def report_section(experiment_dir, output_dir, include_unfinished=False):
  """The section of report.md (its files written), or [] for a directory
  that holds no tree of the lmc recipe."""
  trees = find_trees(experiment_dir)
  return section(lmc_rows(experiment_dir, include_unfinished, trees),
                 output_dir) if trees else []


def section(rows, output_dir):
  """Markdown lines of the page; lmc.csv and lmc.png written into
  output_dir beside it."""
  save_restore.write_text(os.path.join(output_dir, 'lmc.csv'), to_csv(rows))
  figure = plot(rows, os.path.join(output_dir, 'lmc.png'))
  return [
      '## Linear mode connectivity (Frankle et al. 2020)', '',
      'Final test accuracy of IMP rewound to iteration k, of random pruning '
      "(IMP's mask of the level shuffled within each layer, so every layer "
      "keeps IMP's count, rewound to k; at level 0 IMP's dense network) and "
      'of random reinitialisation of the same masks, and '
      'the instability of every IMP level: the largest test error on the '
      'straight line between two copies trained from the level\'s start at '
      'iteration k with different data orders, minus the mean of their '
      'errors, in percentage points; stable below {:g}. Means over trials; '
      'the numbers are in [lmc.csv](lmc.csv).'.format(100 * STABLE_BELOW),
      '', '![Linear mode connectivity]({})'.format(
          os.path.relpath(figure, output_dir)), '',
      to_markdown(rows), ''] + published.paper_lines(published.LMC)


# Its command line: flags from the signature, help from the docstring.
RUNNER = command_line.command(lmc_report, 'analysis.lmc_report')


if __name__ == '__main__':
  command_line.run(RUNNER)
