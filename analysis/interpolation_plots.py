"""Figures of interpolation paths and of instability over the rewind point."""

from lottery_ticket.analysis import plot_style


def _path(axis, item, key, index, label):
  """`key` of a path against alpha, in the index-th colour."""
  axis.plot(item['alpha'], item[key], color=plot_style.color(index),
            marker='o', markersize=3, linewidth=1.5, label=label)


def _mark_ends(axis):
  """Dotted lines at the two end points (alpha 0 and 1)."""
  for alpha in (0.0, 1.0):
    axis.axvline(alpha, color='0.45', linestyle=':', linewidth=1.0)


def plot_interpolation(curves, path, end_label=None):
  """Loss and accuracy against alpha, one line per curve.

  Args:
    curves: dicts from interpolation.curve (with 'label').
    path: the PNG to write.
    end_label: how to name the common end network in the title.

  Returns:
    path.
  """
  figure, axes = plot_style.new_figure(1, 2, width=5.6)
  loss_axis, accuracy_axis = axes[0]
  for index, item in enumerate(curves):
    _path(loss_axis, item, 'loss', index, item.get('label'))
    _path(accuracy_axis, item, 'accuracy', index, item.get('label'))
  split = curves[0]['split'] if curves else ''
  for axis, what in ((loss_axis, 'loss'), (accuracy_axis, 'accuracy')):
    _mark_ends(axis)
    axis.set(xlabel='alpha (0: start network, 1: end network)',
             ylabel='{} {}'.format(split, what))
    axis.legend(fontsize=8)
  if max((max(c['loss']) for c in curves), default=1) > 20 * max(
      (min(c['loss']) for c in curves), default=1):
    loss_axis.set_yscale('log')
  loss_axis.set_title('Loss along the path')
  accuracy_axis.set_title('Accuracy along the path')
  masks = sorted({c['mask'] for c in curves})
  title = 'Linear interpolation{} ({} set; mask: {})'.format(
      ' to ' + end_label if end_label else '', split, ', '.join(masks))
  return plot_style.save(figure, path, title)


def plot_instability(results, path, title=None):
  """Test error along each pair's path, and instability against k.

  Args:
    results: dicts from instability.instability_at, each with 'rewind',
      'curve' and 'instability'.
    path: the PNG to write.
    title: optional figure title.

  Returns:
    path.
  """
  figure, axes = plot_style.new_figure(1, 2, width=5.6)
  path_axis, summary_axis = axes[0]
  results = sorted(results, key=lambda r: r['rewind'])
  for index, result in enumerate(results):
    _path(path_axis, result['curve'], 'error', index,
          'k = {} (instability {:.3f})'.format(result['rewind'],
                                                result['instability']))
  _mark_ends(path_axis)
  path_axis.set(xlabel='alpha (0: first copy, 1: second copy)',
                ylabel='{} error'.format(results[0]['curve']['split']),
                title='Error between two copies trained from iteration k')
  path_axis.legend(fontsize=8)
  summary_axis.plot([r['rewind'] for r in results],
                    [r['instability'] for r in results],
                    color=plot_style.color(0), marker='o', linewidth=1.6)
  summary_axis.axhline(0.0, color='0.5', linewidth=0.8)
  ticks = sorted({r['rewind'] for r in results})
  positive = [k for k in ticks if k > 0]
  if len(positive) > 1 and positive[-1] / positive[0] > 50:
    # Rewind points spread over decades: a log axis that still shows k = 0.
    summary_axis.set_xscale('symlog', linthresh=positive[0])
  summary_axis.set(xticks=ticks, xticklabels=[str(k) for k in ticks],
                   xlabel='iteration k the copies start from',
                   ylabel='instability (max error - mean end error)',
                   title='Instability against k')
  summary_axis.minorticks_off()
  summary_axis.margins(x=0.08)
  return plot_style.save(figure, path, title or
                         'Instability analysis (linear mode connectivity)')
