"""matplotlib, imported only when a plot is drawn, and a shared look: the
colours, the log axis of percent remaining and the red ring of a collapsed
network that every figure of the results draws alike.

The rest of the library never imports matplotlib: it is an optional
dependency (the `analysis` extra). Figures are drawn with the Agg backend and
only ever saved as PNG files.
"""

import io
import os

import numpy as np

from lottery_ticket.foundations import save_restore

# A colour-blind-safe cycle (Okabe & Ito), used in this order everywhere.
COLORS = ('#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9',
          '#000000', '#F0E442')


def pyplot():
  """matplotlib.pyplot on the Agg backend.

  Raises:
    ImportError: with the install hint, when matplotlib is missing.
  """
  try:
    import matplotlib  # pylint: disable=g-import-not-at-top
  except ImportError as error:
    raise ImportError('plots need matplotlib: pip install '
                      '"lottery_ticket[analysis]" (or matplotlib)') from error
  matplotlib.use('Agg', force=True)
  import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
  return plt


def short_path(path, parts=4):
  """The last `parts` components of a path, as figures name a source."""
  return os.sep.join(os.path.normpath(path).split(os.sep)[-parts:])


def color(index):
  return COLORS[index % len(COLORS)]


def line_style(index):
  """Solid for the first cycle of colours, then dotted, dash-dotted: so
  curves beyond len(COLORS) never look like an earlier one."""
  return ('-', ':', '-.')[(index // len(COLORS)) % 3]


def new_figure(rows=1, columns=1, width=6.4, height=4.2, **kwargs):
  """A figure of rows x columns panels of the given size each.

  Returns:
    (figure, 2-D array of axes).
  """
  figure, axes = pyplot().subplots(
      rows, columns, squeeze=False, figsize=(width * columns, height * rows),
      **kwargs)
  for axis in axes.flat:
    axis.grid(True, alpha=0.3, linewidth=0.6)
  return figure, axes


def save(figure, path, title=None):
  """Saves `figure` as a PNG at `path` and closes it.

  Returns:
    path.
  """
  if title:
    figure.suptitle(title, fontsize=13)
  figure.tight_layout()
  # Rendered in memory and written atomically, like every other output: a
  # full disk names the file, and a half-written image is never left.
  image = io.BytesIO()
  # 'tight' keeps legends placed beside the panels inside the image.
  figure.savefig(image, dpi=110, format='png', bbox_inches='tight')
  pyplot().close(figure)
  save_restore.write_bytes(path, image.getvalue())
  return path


COLLAPSE_COLOR = '#D00000'
COLLAPSE_LABEL = 'layer collapse'


def error_bars(axis, x, groups, metric, ring=True, **style):
  """The mean of `metric` over each group's trials at `x`, its bar from the
  minimum to the maximum; unless ring=False, the point of a group with a
  trial whose mask collapsed a layer (cut the input off from the output)
  ringed in red."""
  mean = np.array([g[metric + '_mean'] for g in groups])
  low = mean - np.array([g[metric + '_min'] for g in groups])
  high = np.array([g[metric + '_max'] for g in groups]) - mean
  axis.errorbar(x, mean, yerr=[np.nan_to_num(low), np.nan_to_num(high)],
                **style)
  points = [(a, b) for a, b, g in zip(x, mean, groups) if ring and
            g.get('collapsed') and np.isfinite(a) and np.isfinite(b)]
  if points:
    axis.scatter(*zip(*points), s=110, facecolors='none',
                 edgecolors=COLLAPSE_COLOR, linewidths=1.6, zorder=5,
                 label=COLLAPSE_LABEL)


def spread(values, count):
  """Up to `count` of `values` (a sorted list) spread evenly over it, the
  first and the last kept."""
  if len(values) <= count:
    return list(values)
  picks = np.linspace(0, len(values) - 1, count).round().astype(int)
  return [values[i] for i in sorted(set(picks))]


def percent_axis(axis, ticks):
  """A log axis of percent remaining, decreasing to the right (as pruned)."""
  axis.set_xscale('log')
  axis.set_xlabel('percent of weights remaining (log scale)')
  if ticks:
    shown = spread(sorted(ticks, reverse=True), 8)
    axis.set_xticks(shown)
    axis.set_xticklabels(['{:g}'.format(t) for t in shown])
    axis.minorticks_off()
    axis.set_xlim(max(ticks) * 1.25, min(ticks) / 1.25)
