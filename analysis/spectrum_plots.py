"""A figure of Hessian spectra: eigenvalues by rank, and the density.

Left: eigenvalues in decreasing order against their rank (log rank axis,
symmetric-log value axis, so the few large outliers, the bulk near zero and
negative eigenvalues are all visible); an exact spectrum is a full curve,
a Lanczos one its top eigenvalues with error bounds. Right: the smoothed
spectral density on a log axis.
"""

import numpy as np

from lottery_ticket.analysis import plot_style

# One colour per spectrum; exact results drawn solid, Lanczos ones dashed.
_COLORS = {'sparse': plot_style.color(0), 'dense': plot_style.color(1)}
_STYLES = {'exact': '-', 'lanczos': '--'}
# The density axis spans this many decades below its peak.
_DENSITY_RANGE = 1e-6


def _label(result):
  return '{} ({}, {:,} coordinates)'.format(
      result['spectrum'], result['method'], result['num_coordinates'])


def plot_spectra(results, path):
  """Draws presented spectrum results (hessian_spectrum.present) into path.

  Args:
    results: list of result dicts of one source.
    path: the PNG to write.

  Returns:
    path.

  Raises:
    ValueError: if results is empty.
  """
  if not results:
    raise ValueError('no spectra to plot')
  order = {'sparse': 0, 'dense': 1}
  results = sorted(results, key=lambda r: (order.get(r['spectrum'], 2),
                                           r['method']))
  figure, axes = plot_style.new_figure(1, 2, width=6.0, height=4.4)
  rank_axis, density_axis = axes[0]
  shown = np.concatenate([np.asarray(r['eigenvalues'] if r['method'] == 'exact'
                                     else r['top_eigenvalues'], np.float64)
                          for r in results])
  lowest, highest = float(shown.min()), float(shown.max())
  peak = max(max(r['density']) for r in results)
  floor = max(peak * _DENSITY_RANGE, 1e-300)
  for result in results:
    color = _COLORS.get(result['spectrum'], plot_style.color(2))
    if result['method'] == 'exact':
      values = np.asarray(result['eigenvalues'])[::-1]
      rank_axis.plot(np.arange(1, values.size + 1), values, color=color,
                     linewidth=1.6, label=_label(result))
    else:
      values = np.asarray(result['top_eigenvalues'])
      rank_axis.errorbar(np.arange(1, values.size + 1), values,
                         yerr=np.asarray(result['top_bounds']), color=color,
                         marker='o', markersize=4, markerfacecolor='white',
                         linestyle='none', capsize=2,
                         label=_label(result) + ', top {}'.format(values.size))
    density_axis.plot(result['density_grid'],
                      np.maximum(result['density'], floor), color=color,
                      linewidth=1.5 if result['method'] == 'exact' else 1.2,
                      linestyle=_STYLES.get(result['method'], '-'),
                      label=_label(result))
  threshold = max(float(np.abs(shown).max()) * 1e-3, 1e-12)
  rank_axis.set_yscale('symlog', linthresh=threshold, linscale=1.5)
  rank_axis.axhline(0.0, color='0.5', linewidth=0.8)
  # Room around the extreme points; no empty negative half.
  rank_axis.set(xscale='log', ylim=(min(lowest * 2, -threshold),
                                    max(highest * 2, threshold)),
                xlabel='rank (largest first, log scale)',
                ylabel='eigenvalue (symmetric log scale)',
                title='Eigenvalues by rank')
  density_axis.set(yscale='log', xlabel='eigenvalue',
                   ylabel='density (log scale)',
                   title='Spectral density (Gaussian-smoothed)')
  density_axis.set_ylim(bottom=floor)
  rank_axis.legend(fontsize=8)
  density_axis.legend(fontsize=8)
  first = results[0]
  title = 'Hessian of the loss at {} ({} {} examples)'.format(
      plot_style.short_path(first['source']), first['settings']['num_examples'],
      first['settings']['split'])
  return plot_style.save(figure, path, title)
