"""The figure of the pruning-at-initialisation comparison (pai.png).

A row of panels per network, a panel per method (at most four to a row). In
each panel, test accuracy at the end of training against the percent of
weights remaining (log scale, pruned to the right): one line per ablation of
the method, and the two baselines (random_init, magnitude_init unablated)
in grey, as Frankle et al. (2021) draw their Figs. 2-4. Points are means
over trials, error bars span min-max; a point of the panel's own method
where some trial's mask collapsed a layer is ringed in red (the baselines'
collapse is left to the table, where it cannot be mistaken for the
method's).
"""

import collections
import math

import numpy as np

from lottery_ticket.analysis import plot_style
from lottery_ticket.analysis import run_facts

COLUMNS = 4
# An ablation keeps its colour and marker in every panel.
_ABLATION_STYLE = {'none': (plot_style.color(0), 'o', '-'),
                   'shuffle': (plot_style.color(1), 's', '-'),
                   'reinit': (plot_style.color(2), '^', '-'),
                   'invert': (plot_style.color(3), 'v', '-')}
_BASELINE_STYLE = {'random_init': ('0.45', 'x', '--'),
                   'magnitude_init': ('0.2', 'D', ':')}
# The legend's order: the ablations, the baselines, the ring of a collapse.
_LEGEND = (['ablation: ' + a for a in _ABLATION_STYLE] +
           ['{} (baseline)'.format(b) for b in _BASELINE_STYLE] +
           [plot_style.COLLAPSE_LABEL])


def _line(groups, network, method, ablation):
  return sorted((g for g in groups if g['network'] == network and
                 g['method'] == method and g['ablation'] == ablation),
                key=lambda g: -g['sparsity'])


def _x(entry):
  """The measured percent remaining, or the nominal one if unmeasured."""
  value = entry['percent_remaining_mean']
  return value if math.isfinite(value) else run_facts.percent_of(
      entry['sparsity'])


def plot(groups, path, chosen):
  """Draws pai.png from results_pai.group's output, a panel per (network,
  method) of `chosen` (results_pai.panels) in that order; returns path."""
  panels = collections.Counter(network for network, _ in chosen)
  rows_of = {n: math.ceil(count / COLUMNS) for n, count in panels.items()}
  columns = min(COLUMNS, max(panels.values()))
  figure, axes = plot_style.new_figure(sum(rows_of.values()), columns,
                                       width=4.3, height=3.4, sharey=True)
  handles = {}
  row = 0
  for network in sorted(panels):
    methods = [m for n, m in chosen if n == network]
    for index, method in enumerate(methods):
      axis = axes[row + index // COLUMNS][index % COLUMNS]
      # The baselines unringed: a ring there would read as the panel's
      # method collapsing; the baselines' collapse is in the table.
      lines = [(baseline, 'none', style, '{} (baseline)'.format(baseline),
                False) for baseline, style in _BASELINE_STYLE.items()
               if baseline != method]
      lines += [(method, ablation, style, 'ablation: ' + ablation, True)
                for ablation, style in _ABLATION_STYLE.items()]
      ticks = set()
      for line_method, ablation, (color, marker, style), label, ring in lines:
        members = _line(groups, network, line_method, ablation)
        if members:
          x = np.array([_x(g) for g in members])
          plot_style.error_bars(
              axis, x, members, 'final_test_accuracy', ring, color=color,
              marker=marker, markersize=4, linestyle=style, linewidth=1.3,
              capsize=2, label=label)
          ticks.update(x)
      for handle, label in zip(*axis.get_legend_handles_labels()):
        handles.setdefault(label, handle)
      plot_style.percent_axis(axis, sorted(
          round(t, 1) for t in ticks if math.isfinite(t)))
      axis.set(xlabel='% of weights remaining (log)', title='{}: {}'.format(
          run_facts.network_title(network), method))
      if index % COLUMNS == 0:
        axis.set_ylabel('final test accuracy')
    for index in range(len(methods), rows_of[network] * columns):
      axes[row + index // COLUMNS][index % COLUMNS].set_visible(False)
    row += rows_of[network]
  order = [label for label in _LEGEND if label in handles]
  figure.legend([handles[k] for k in order], order, loc='center left',
                bbox_to_anchor=(1.0, 0.5), fontsize=9)
  return plot_style.save(figure, path, 'Pruning at initialisation: test '
                         'accuracy by weights remaining\n(mean over trials, '
                         'error bars min-max)')
