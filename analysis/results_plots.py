"""The figures of an experiment tree, saved as PNG files.

  accuracy_curves.png  test accuracy over training for selected pruning
                       levels, one panel per experiment name (winning
                       tickets, reinitialisation controls, ...).
  early_stopping.png   early-stopping iteration, test accuracy there and
                       final test accuracy against the percent of weights
                       remaining (log axis), one line per experiment name;
                       a level where some trial's mask collapsed a layer is
                       ringed in red.
  sparse_training.png  for sparse-training runs, test accuracy and gradient
                       norm over training per method, one column per
                       sparsity (a dense run is drawn in every column); a
                       sweep of pruning at initialisation is left to its
                       own figure (results_pai_plots).

Lines are means over trials; bands and error bars span the minimum and
maximum over trials, as in the lottery ticket paper.
"""

import os

import numpy as np

from lottery_ticket.analysis import curves
from lottery_ticket.analysis import interpolation
from lottery_ticket.analysis import plot_style
from lottery_ticket.analysis import results_pai
from lottery_ticket.analysis import results_table
from lottery_ticket.analysis import run_discovery

# The winning tickets are drawn first and in the first colour.
WINNING = results_table.WINNING
_EXPERIMENT_TITLES = {WINNING: 'winning tickets (same_init)',
                      'reinit': 'random reinitialisation (reinit)',
                      'reuse': 'resampled weights (reuse)',
                      'reuse_sign': 'resampled, signs kept (reuse_sign)'}
_PANELS = (('early_stop_iteration', 'early-stopping iteration'),
           ('early_stop_test_accuracy', 'test accuracy at early stopping'),
           ('final_test_accuracy', 'test accuracy at the end of training'))


def _lottery_names(groups):
  """The lottery groups and their experiment names, winning tickets first."""
  lottery = [g for g in groups if g['kind'] == run_discovery.LOTTERY]
  return lottery, sorted({g['name'] for g in lottery},
                         key=lambda n: (n != WINNING, n))


def _run_dirs(rows, kind, name, key):
  return [r['run_dir'] for r in rows
          if r['kind'] == kind and r['name'] == name and r['key'] == key]


def _band(axis, curve, color, label, style='-'):
  axis.plot(curve.iterations, curve.mean, style, color=color, label=label,
            linewidth=1.6)
  if curve.trials > 1:
    axis.fill_between(curve.iterations, curve.low, curve.high, color=color,
                      alpha=0.18, linewidth=0)


def plot_accuracy_curves(rows, groups, path, levels=None):
  """Test accuracy over training for selected levels of lottery runs.

  Args:
    rows: per-run rows (results_table.run_rows).
    groups: aggregated rows (results_table.group_rows).
    path: the PNG to write.
    levels: levels to draw (default: up to five spread over those present).

  Returns:
    path, or None when there are no lottery runs.
  """
  lottery, names = _lottery_names(groups)
  if not names:
    return None
  present = sorted({g['key'] for g in lottery})
  levels = plot_style.spread(present, 5) if levels is None else [
      int(l) for l in interpolation.as_list(levels)]
  missing = sorted(set(levels) - set(present))
  if missing:
    raise ValueError('No runs at level(s) {} (levels present: {})'.format(
        ', '.join(map(str, missing)), ', '.join(map(str, present))))
  # level -> mean percent remaining (the winning tickets' if present).
  percent = {}
  for group in sorted(lottery, key=lambda g: g['name'] != WINNING):
    percent.setdefault(group['key'], group['percent_remaining_mean'])
  figure, axes = plot_style.new_figure(1, len(names), width=5.6, sharey=True)
  for axis, name in zip(axes[0], names):
    for index, level in enumerate(levels):
      curve = curves.group_curve(
          _run_dirs(rows, run_discovery.LOTTERY, name, level), 'test', 'accuracy')
      if curve is not None:
        _band(axis, curve, plot_style.color(index),
              '{:.1f}% remaining (level {})'.format(percent[level], level))
    axis.set(title=_EXPERIMENT_TITLES.get(name, name),
             xlabel='training iteration')
    axis.legend(fontsize=8, loc='lower right')
  axes[0][0].set_ylabel('test accuracy')
  return plot_style.save(figure, path, 'Test accuracy during training (mean '
                         'over trials, shaded from min to max)')


def plot_early_stopping(groups, path):
  """Early stopping and accuracy against weights remaining, per experiment.

  Args:
    groups: aggregated rows (results_table.group_rows).
    path: the PNG to write.

  Returns:
    path, or None when there are no lottery runs.
  """
  lottery, names = _lottery_names(groups)
  if not names:
    return None
  figure, axes = plot_style.new_figure(1, len(_PANELS), width=5.2)
  ticks = set()
  for index, name in enumerate(names):
    members = sorted((g for g in lottery if g['name'] == name),
                     key=lambda g: -g['percent_remaining_mean'])
    x = np.array([g['percent_remaining_mean'] for g in members])
    ticks.update(np.round(x[np.isfinite(x)], 1))
    trials = max(g['trials'] for g in members)
    for axis, (metric, _) in zip(axes[0], _PANELS):
      plot_style.error_bars(
          axis, x, members, metric, color=plot_style.color(index), marker='o',
          markersize=4, capsize=3, linewidth=1.4,
          label='{} ({} trial{})'.format(name, trials,
                                         '' if trials == 1 else 's'))
  for axis, (_, label) in zip(axes[0], _PANELS):
    plot_style.percent_axis(axis, sorted(ticks))
    axis.set(ylabel=label, title=label[0].upper() + label[1:])
  handles, labels = axes[0][0].get_legend_handles_labels()
  unique = dict(zip(labels, handles))  # one 'layer collapse' entry
  axes[0][0].legend(list(unique.values()), list(unique), fontsize=8)
  return plot_style.save(figure, path,
                         'Winning tickets and controls by weights remaining '
                         '(error bars: min-max over trials)')


def plot_sparse_training(rows, groups, path):
  """Test accuracy and gradient norm over training per sparse method.

  Args:
    rows: per-run rows.
    groups: aggregated rows.
    path: the PNG to write.

  Returns:
    path, or None when there are no sparse-training runs.
  """
  sparse = [g for g in groups if g['kind'] == run_discovery.SPARSE]
  if not sparse:
    return None
  dense = [g for g in sparse if not g['key']]
  sparsities = sorted({g['key'] for g in sparse if g['key']}) or [0.0]
  methods = sorted({g['name'] for g in sparse if g['key']})
  figure, axes = plot_style.new_figure(2, len(sparsities), width=5.0,
                                       height=3.6, sharex='col')
  grad_keys, legend = set(), {}
  for column, sparsity in enumerate(sparsities):
    accuracy_axis, grad_axis = axes[0][column], axes[1][column]
    drawn = [(m, sparsity, plot_style.color(i), plot_style.line_style(i))
             for i, m in enumerate(methods)]
    drawn += [(g['name'], g['key'], '0.35', '--') for g in dense]
    grad_values = []
    for method, key, color, style in drawn:
      run_dirs = _run_dirs(rows, run_discovery.SPARSE, method, key)
      if not run_dirs:
        continue
      accuracy = curves.group_curve(run_dirs, 'test', 'accuracy')
      if accuracy is not None:
        _band(accuracy_axis, accuracy, color, method, style)
        legend.setdefault(method, accuracy_axis.lines[-1])
      grad_key, grad = curves.group_grad_norm(run_dirs)
      if grad is not None:
        grad_keys.add(grad_key)
        _band(grad_axis, grad, color, method, style)
        grad_values.append(grad.mean[np.isfinite(grad.mean)])
    accuracy_axis.set(ylabel='test accuracy',
                      title='sparsity {:g} ({:g}% of weights remaining)'.format(
                          sparsity, 100 * (1 - sparsity)))
    grad_axis.set_xlabel('training iteration')
    if grad_values:
      # A log axis when the norms span decades, with plain-number labels.
      from matplotlib import ticker  # pylint: disable=g-import-not-at-top
      values = np.concatenate(grad_values)
      positive = values[values > 0]
      grad_axis.set_ylabel('gradient norm')
      if positive.size and positive.max() / positive.min() > 30:
        grad_axis.set(yscale='log', ylabel='gradient norm (log scale)')
      grad_axis.yaxis.set_major_formatter(ticker.FormatStrFormatter('%g'))
      grad_axis.yaxis.set_minor_formatter(ticker.NullFormatter())
    else:
      grad_axis.text(0.5, 0.5, 'no gradient norm recorded', ha='center',
                     va='center', transform=grad_axis.transAxes, color='0.4')
      grad_axis.set_yticks([])
  # One legend for every panel, beside them: methods share their colours.
  figure.legend(list(legend.values()), list(legend), loc='center left',
                bbox_to_anchor=(1.0, 0.5), fontsize=9, title='method')
  return plot_style.save(
      figure, path, 'Sparse training: test accuracy and gradient norm per '
      'method\n(mean over trials, shaded from min to max{})'.format(
          '; gradient norm: ' + ', '.join(sorted(grad_keys)) if grad_keys
          else ''))


def plot_all(rows, groups, output_dir, levels=None):
  """Draws every figure that the runs allow.

  Returns:
    dict figure name -> path of the figures written.
  """
  # A sweep of pruning at initialisation is left to its own figure, which
  # compares them by final accuracy: dozens of method, ablation and
  # sparsity curves would bury the others.
  sweep = results_pai.sweep_groups(rows)
  curve_rows, curve_groups = (
      [r for r in items if (r['kind'], r['name'], r['key']) not in sweep]
      for items in (rows, groups))
  written = {
      'accuracy_curves': plot_accuracy_curves(
          rows, groups, os.path.join(output_dir, 'accuracy_curves.png'), levels),
      'early_stopping': plot_early_stopping(
          groups, os.path.join(output_dir, 'early_stopping.png')),
      'sparse_training': plot_sparse_training(
          curve_rows, curve_groups,
          os.path.join(output_dir, 'sparse_training.png')),
  }
  return {k: v for k, v in written.items() if v}

