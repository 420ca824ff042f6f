r"""One page per sweep: the figures, the numbers behind them, the configuration.

  python -m lottery_ticket.analysis.report --experiment_dir=results/lottery

writes {experiment_dir}/report/ (or --output_dir): report.md with its PNGs
and CSV tables beside it, a page to put next to the paper:

  lottery sweeps   early-stopping iteration and accuracy against weights
                   remaining, winning tickets against the controls (Frankle
                   & Carbin 2019, Figs. 3-4), and test accuracy during
                   training for a few levels;
  sparse sweeps    accuracy per method and sparsity, the gradient norm
                   during training (Evci et al. 2020, Fig. 2-3), and the
                   loss and accuracy along the straight line from the
                   lottery and the scratch solutions to the pruning solution
                   (Fig. 5), computed when missing;
  pruning at       accuracy against weights remaining per method, a line
  initialisation   per ablation, the baselines beside them and layer
                   collapse marked (Frankle et al. 2021; results_pai);
  any sweep        the papers' published figures beside the same
                   quantities measured here, "scaled" when the setting
                   differs from the paper's (published.py);

each with its table, then the configuration that produced the runs: the
settings every run shares and, per group, the settings that tell it apart.
"""

import os

from lottery_ticket import command_line
from lottery_ticket.analysis import lmc_report
from lottery_ticket.analysis import published
from lottery_ticket.analysis import results_pai
from lottery_ticket.analysis import results_table
from lottery_ticket.analysis import run_discovery
from lottery_ticket.analysis import tables
from lottery_ticket.foundations import save_restore

REPORT = 'report.md'
INTERPOLATION_DIR = 'interpolation'
# The start methods of the gradient-flow paper's interpolation figure, and
# the method whose solution every path ends at.
INTERPOLATION_STARTS = ('lottery', 'scratch')
INTERPOLATION_END = 'prune'

_FIGURES = (
    ('early_stopping', 'Early stopping against weights remaining',
     'Iteration of minimum validation loss, test accuracy there and at the '
     'end of training, against the percent of weights remaining; winning '
     'tickets (same_init) against the controls (Frankle & Carbin 2019, '
     'Figs. 3-4). Error bars: min-max over trials.'),
    ('accuracy_curves', 'Test accuracy during training',
     'Test accuracy during training at a few pruning levels, a panel per '
     'experiment name (mean over trials).'),
    ('sparse_training', 'Sparse training: accuracy and gradient norm',
     'Test accuracy and gradient norm during training per method, a column '
     'per sparsity (Evci et al. 2020).'),
)


def report(experiment_dir, output_dir=None, levels=None, interpolate=True,
           split='train', include_unfinished=False, quiet=False):
  """Writes the report of an experiment tree.

  Args:
    experiment_dir: root of a sweep (lottery trials, controls, sparse runs).
    output_dir: where report.md and its files go (default:
      experiment_dir/report).
    levels: pruning levels in the accuracy curves (a list or '0,3,6').
    interpolate: compute the lottery->prune and scratch->prune paths of
      sparse sweeps that lack them.
    split: the split the interpolation paths are evaluated on ('train', as
      the gradient-flow paper's interpolate.gin).
    include_unfinished: also read runs without a DONE marker.
    quiet: print nothing but errors.

  Returns:
    the path of report.md.

  Raises:
    ValueError: if the directory holds no runs.
  """
  from lottery_ticket.analysis import results_plots  # pylint: disable=g-import-not-at-top
  output_dir = output_dir or os.path.join(experiment_dir, 'report')
  rows = results_table.run_rows(experiment_dir, include_unfinished)
  groups = results_table.group_rows(rows)
  results_table.write_tables(rows, groups, output_dir)
  figures = results_plots.plot_all(rows, groups, output_dir, levels)
  paths_found = (interpolation_figures(rows, output_dir, split, quiet)
                 if interpolate else [])
  # Sections of their own, each a list of Markdown lines (empty when the
  # runs give it nothing to show), in page order.
  sections = (results_pai.section(rows, output_dir) +
              published.section(rows) +
              lmc_report.report_section(experiment_dir, output_dir,
                                        include_unfinished))
  # A pruning-at-initialisation sweep has its own table in its section.
  pai = results_pai.sweep_groups(rows)
  summary = [g for g in groups if (g['kind'], g['name'], g['key']) not in pai]
  path = os.path.join(output_dir, REPORT)
  save_restore.write_text(path, _page(experiment_dir, output_dir, summary,
                                      figures, paths_found, rows, sections))
  if not quiet:
    drawn = sum(1 for line in sections if line.startswith('!['))
    print('wrote {} ({} runs in {} groups, {} figures)'.format(
        path, len(rows), len(groups),
        len(figures) + len(paths_found) + drawn))
  return path


def interpolation_figures(rows, output_dir, split='train', quiet=False):
  """The interpolation paths of a sparse sweep, computed where missing: of
  each sparsity and trial that has a prune run and a lottery or scratch
  run, from each of those to the prune run.

  Returns:
    list of (title, path of the png and csv without their extension).
  """
  # TensorFlow, imported only when a path is computed: `report --help` and
  # a report without paths start at once.
  from lottery_ticket.analysis import interpolation  # pylint: disable=g-import-not-at-top
  by_key = {}
  for row in rows:
    if row['kind'] == run_discovery.SPARSE:
      by_key.setdefault((row['key'], row['trial']), {})[
          row['name'].split(' (')[0]] = row['run_dir']
  found = []
  directory = os.path.join(output_dir, INTERPOLATION_DIR)
  for (sparsity, trial), methods in sorted(
      by_key.items(), key=lambda i: (i[0][0], str(i[0][1]))):
    starts = {m: methods[m] for m in INTERPOLATION_STARTS if m in methods}
    if INTERPOLATION_END not in methods or not starts:
      continue
    name = 'sparsity{:g}-trial{}-to-prune'.format(sparsity, trial)
    if not os.path.exists(os.path.join(directory, name + '.png')):
      interpolation.interpolate(
          list(starts.values()), methods[INTERPOLATION_END], directory,
          name=name, labels=['{}->prune'.format(m) for m in starts],
          split=split, quiet=True)
      if not quiet:
        print('interpolated {}'.format(name))
    found.append(('Sparsity {:g}, trial {}: {} to prune ({} split)'.format(
        sparsity, trial, ' and '.join(starts), split),
                  os.path.join(directory, name)))
  return found


def _page(experiment_dir, output_dir, groups, figures, paths_found, rows,
          sections):
  def rel(path):
    return os.path.relpath(path, output_dir)

  lines = ['# Report: {}'.format(os.path.abspath(experiment_dir)), '',
           '{} runs. Tables: [runs.csv](runs.csv), [summary.csv]'
           '(summary.csv).'.format(len(rows)), '']
  if groups:
    lines += ['## Summary', '', results_table.to_markdown(groups)]
  for key, title, caption in _FIGURES:
    if key in figures:
      lines += ['## ' + title, '', caption, '',
                '![{}]({})'.format(title, rel(figures[key])), '']
  if paths_found:
    lines += ['## Interpolation to the pruning solution', '',
              'Loss and accuracy along (1 - a) * start + a * prune, start '
              "masked (Evci et al. 2020, Fig. 5); the numbers are in each "
              "figure's CSV.", '']
    for title, base in paths_found:
      lines += ['### ' + title, '', '![{}]({}.png)'.format(title, rel(base)),
                '', '[numbers]({}.csv)'.format(rel(base)), '']
  return '\n'.join(lines + sections + configuration_section(
      [row['info'] for row in rows])) + '\n'


def configuration_section(runs):
  """Markdown lines: settings shared by every run, then each group's own."""
  keys = sorted({k for r in runs for k in r.settings})
  shared = {k: runs[0].settings.get(k) for k in keys
            if len({repr(r.settings.get(k)) for r in runs}) == 1}
  lines = ['## Configuration', '',
           'Settings every run shares (seeds differ by trial):', ''
          ] + tables.markdown(['setting', 'value'], (
              [k, run_discovery.shown(v)] for k, v in sorted(shared.items())))
  own = {}
  for run in runs:
    differing = {k: v for k, v in run.settings.items() if k not in shared}
    own.setdefault((run.kind, run.name), differing)
  rows = [(kind, name, d) for (kind, name), d in sorted(own.items()) if d]
  if rows:
    lines += ['', 'Settings that differ between groups:', ''
             ] + tables.markdown(['kind', 'name', 'settings'], (
                 [kind, name, ', '.join(
                     '{}={}'.format(k, run_discovery.shown(v))
                     for k, v in sorted(d.items()))]
                 for kind, name, d in rows))
  return lines + ['']


# Its command line: flags from the signature, help from the docstring.
RUNNER = command_line.command(report, 'analysis.report')


if __name__ == '__main__':
  command_line.run(RUNNER)
