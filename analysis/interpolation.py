r"""Loss and accuracy along the straight line between two saved networks.

  python -m lottery_ticket.analysis.interpolation \
      --start=results/sparse/lottery/sparsity0.9/trial0 \
      --end=results/sparse/prune/sparsity0.9/trial0 \
      --output_dir=results/interpolation --name=lottery_to_prune

The network at alpha is  mask * ((1 - alpha) * start + alpha * end),  with
the mask of the start network, of the end network, or none (all ones);
biases are never masked. Alpha runs from -0.2 to 1.2 in 29 points by
default (steps of 0.05, so 0 and 1 are on the grid exactly, and there the
network is exactly the start or the end network). The networks are evaluated
on the training set by default, as the reference does (google-research/rigl
rigl_tf2/interpolate.py, eval_on_train=True); split='test' is the option.

Several start networks may share one end (`--start=[a,b] --labels=[x,y]`):
each gives a curve, and all are drawn in one figure. Writes <name>.json,
<name>.csv and <name>.png into output_dir.
"""

import math
import os

import numpy as np

from lottery_ticket import command_line
from lottery_ticket.analysis import plot_style
from lottery_ticket.analysis import tables
from lottery_ticket.foundations import choices
from lottery_ticket.foundations import paths
from lottery_ticket.foundations import save_restore

MASKS = ('start', 'end', 'none')


def alpha_grid(alpha_min=-0.2, alpha_max=1.2, num_points=29):
  """Evenly spaced alphas, rounded so that grid points like 0 and 1 are exact.

  Raises:
    ValueError: if num_points < 2 or alpha_min >= alpha_max.
  """
  if int(num_points) < 2:
    raise ValueError('num_points must be >= 2, got {}'.format(num_points))
  if not float(alpha_min) < float(alpha_max):
    raise ValueError('alpha_min ({}) must be below alpha_max ({})'.format(
        alpha_min, alpha_max))
  grid = np.linspace(float(alpha_min), float(alpha_max), int(num_points))
  return np.round(grid, 10) + 0.0  # + 0.0 turns -0.0 into 0.0


def check_compatible(start, end):
  """Raises a one-line ValueError unless two networks can be interpolated.

  Args:
    start, end: network_source.Network.
  """
  from lottery_ticket.analysis import network_model  # pylint: disable=g-import-not-at-top
  start_arch = network_model.describe_architecture(start)
  end_arch = network_model.describe_architecture(end)
  if start_arch != end_arch:
    raise ValueError('incompatible end points: {} is {}, {} is {}'.format(
        start.source, start_arch, end.source, end_arch))
  if set(start.weights) != set(end.weights):
    raise ValueError('incompatible end points: {} holds {}, {} holds {}'.format(
        start.source, ', '.join(sorted(start.weights)), end.source,
        ', '.join(sorted(end.weights))))
  for name in sorted(start.weights):
    if start.weights[name].shape != end.weights[name].shape:
      raise ValueError('incompatible end points: {!r} has shape {} at {} and {} '
                       'at {}'.format(name, list(start.weights[name].shape),
                                      start.source,
                                      list(end.weights[name].shape), end.source))


def mask_choice(mask):
  """'start', 'end' or 'none' (None is 'none'), in lower case.

  Raises:
    ValueError: for any other choice.
  """
  return choices.check('mask choice',
                       'none' if mask is None else str(mask).lower(), MASKS)


def weights_at(start_weights, end_weights, alpha, masks=None):
  """mask * ((1 - alpha) * start + alpha * end), computed in float64.

  Returns:
    dict name -> float32 array (biases unmasked).
  """
  from lottery_ticket.foundations import model_base  # pylint: disable=g-import-not-at-top
  out = {}
  for name, start_value in start_weights.items():
    value = ((1.0 - alpha) * np.asarray(start_value, np.float64) +
             alpha * np.asarray(end_weights[name], np.float64))
    if masks is not None and not model_base.is_unmasked(name):
      value = value * masks[name]
    out[name] = value.astype(np.float32)
  return out


def curve(start, end, split='train', mask='start', alphas=None):
  """Evaluates the path between two loaded networks.

  Args:
    start, end: network_source.Network.
    split: 'train', 'validate' or 'test'.
    mask: 'start', 'end' or 'none'.
    alphas: the points (default: alpha_grid()).

  Returns:
    dict with 'alpha', 'loss', 'accuracy', 'error' lists and the settings.

  Raises:
    ValueError: for incompatible end points or a bad split or mask.
  """
  check_compatible(start, end)
  # The masks applied along the path: the start's, the end's or none.
  masks = {'start': start.masks, 'end': end.masks,
           'none': None}[mask_choice(mask)]
  alphas = alpha_grid() if alphas is None else np.asarray(alphas, np.float64)
  losses, accuracies = [], []
  from lottery_ticket.analysis import weight_evaluator  # pylint: disable=g-import-not-at-top
  with weight_evaluator.WeightEvaluator(start, split) as evaluator:
    for alpha in alphas:
      values = evaluator.evaluate(weights_at(start.weights, end.weights,
                                             float(alpha), masks))
      losses.append(values['loss'])
      accuracies.append(values['accuracy'])
  return {'start': start.source, 'end': end.source, 'split': split,
          'mask': 'none' if masks is None else mask,
          'alpha': [float(a) for a in alphas], 'loss': losses,
          'accuracy': accuracies, 'error': [1.0 - a for a in accuracies]}


def curves_to_csv(curves):
  """CSV text: label,alpha,loss,accuracy for every point of every curve
  (csv writes a float as its repr)."""
  return tables.csv_text(['label', 'alpha', 'loss', 'accuracy'], (
      [item.get('label', ''), *point] for item in curves
      for point in zip(item['alpha'], item['loss'], item['accuracy'])))


def interpolate(start, end, output_dir, name='interpolation', labels=None,
                split='train', mask='start', alpha_min=-0.2, alpha_max=1.2,
                num_points=29, plot=True, quiet=False):
  """Interpolates from each start network to the end network and saves it.

  Args:
    start: a network source (run directory, saved network, checkpoint), or
      a list of them (or 'a,b'), each giving one curve.
    end: the network every path ends at.
    output_dir: where <name>.json, <name>.csv and <name>.png go.
    name: the files' base name.
    labels: names of the curves in the legend, a list or 'x,y' (default:
      the start paths).
    split: 'train' (the reference's), 'validate' or 'test'.
    mask: 'start', 'end' or 'none': whose mask is applied along the path.
    alpha_min, alpha_max, num_points: the grid of alphas.
    plot: draw the figure.
    quiet: print nothing.

  Returns:
    the list of curve dicts (as saved in <name>.json).

  Raises:
    ValueError: for unreadable or incompatible networks or bad settings.
  """
  paths.check_name(name, 'name')
  starts = as_list(start)
  labels = as_list(labels) if labels is not None else []
  if labels and len(labels) != len(starts):
    raise ValueError('{} labels for {} start networks'.format(
        len(labels), len(starts)))
  alphas = alpha_grid(alpha_min, alpha_max, num_points)
  mask = mask_choice(mask)
  from lottery_ticket.analysis import network_source  # pylint: disable=g-import-not-at-top
  end_network = network_source.load(end)
  results = []
  for index, source in enumerate(starts):
    item = curve(network_source.load(source), end_network, split, mask, alphas)
    item['label'] = (str(labels[index]) if labels
                     else plot_style.short_path(item['start']))
    results.append(item)
    if not quiet:
      print(summary_line(item))
  base = os.path.join(output_dir, name)
  save_restore.write_json(base + '.json', results)
  save_restore.write_text(base + '.csv', curves_to_csv(results))
  written = [base + '.json', base + '.csv']
  if plot:
    from lottery_ticket.analysis import interpolation_plots  # pylint: disable=g-import-not-at-top
    written.append(interpolation_plots.plot_interpolation(
        results, base + '.png',
        end_label=plot_style.short_path(end_network.source)))
  if not quiet:
    print('wrote {}'.format(', '.join(written)))
  return results


def summary_line(item):
  """One line: the end-point and worst accuracies along a path."""
  alphas = np.asarray(item['alpha'])
  accuracy = np.asarray(item['accuracy'])
  inside = (alphas >= 0) & (alphas <= 1)
  at = dict(zip(item['alpha'], item['accuracy']))
  return ('{}: {} accuracy {:.4f} at alpha=0, {:.4f} at alpha=1, lowest between '
          '{:.4f} (mask: {})'.format(
              item['label'], item['split'], at.get(0.0, math.nan),
              at.get(1.0, math.nan),
              float(accuracy[inside].min()) if inside.any() else math.nan,
              item['mask']))


def as_list(value):
  """A list from a list, or from text like 'a,b' or '[a, b]' (command lines)."""
  if isinstance(value, (list, tuple)):
    return [str(v) for v in value]
  text = str(value).strip()
  if text.startswith('[') and text.endswith(']'):
    text = text[1:-1]
  return [part.strip().strip('\'"') for part in text.split(',') if part.strip()]


# Its command line: flags from the signature, help from the docstring.
RUNNER = command_line.command(interpolate, 'analysis.interpolation')


if __name__ == '__main__':
  command_line.run(RUNNER)
