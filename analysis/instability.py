r"""Instability analysis: linear mode connectivity (Frankle et al. 2020).

  python -m lottery_ticket.analysis.instability \
      --run_dir=results/lottery/trial0/5/same_init \
      --output_dir=results/instability/level5 --rewind_iterations=[0,100,500]

For each k in rewind_iterations, two copies of the run's network start from
the same weights, the weights at iteration k (k = 0: the run's initial
weights; otherwise the run's saved weights_at/<k> when it has them, else
weights obtained by retraining the run's configuration for k iterations
from its initial weights with its own data order), keep the run's mask and
train for the remaining iterations of the run's training length, each with
its own data order. The test error is evaluated along the straight line
between their final weights (alpha in [0, 1]) and

  instability = max error along the path - mean error of the two copies.

An instability near 0 means the copies ended in one linearly connected
region of the landscape: training had become stable to SGD noise by k. The
optimizer state starts fresh at k (only the weights are shared), as in
rewinding.

Writes into output_dir: k<k>/parent/ (when retrained), k<k>/copy<i>/ (run
directories; a re-run skips finished ones), k<k>/path.json, and
instability.json, instability.csv, instability.png.
"""

import os

import numpy as np

from lottery_ticket import command_line
from lottery_ticket.analysis import interpolation
from lottery_ticket.analysis import plot_style
from lottery_ticket.analysis import tables
from lottery_ticket.foundations import paths
from lottery_ticket.foundations import save_restore
from lottery_ticket.foundations.storage import integrity
from lottery_ticket.mnist_fc import config as config_lib
from lottery_ticket.mnist_fc import settings

# What instability() writes per run: the instability of every k.
RESULTS_FILE = 'instability.json'

COPIES = 2


def _as_ints(value):
  items = (value if isinstance(value, (list, tuple))
           else interpolation.as_list(value))
  try:
    return [int(v) for v in items]
  except (TypeError, ValueError):
    raise ValueError('rewind_iterations must be whole numbers, got {!r}'.format(
        value)) from None


def _starts_at(run_dir, rewind):
  """Whether the run's initial weights are its weights at iteration `rewind`:
  a lottery level after 0 that rewinds its survivors to level 0's weights at
  k = rewind (mnist_fc/lottery_experiment.py saves those, masked, as the
  level's initial/ and trains it from iteration k)."""
  saved = integrity.read_json(paths.config(run_dir))
  lottery = saved.get('lottery') or {}
  return (int(config_lib.details(saved).get('level') or 0) > 0 and
          lottery.get('retrain') == 'rewind_weights' and
          int(lottery.get('rewind_iteration') or 0) == int(rewind))


def start_weights(run_dir, output_dir, rewind, config, masks, initial,
                  hyperparameters=None, total=None):
  """The weights both copies start from for rewind iteration k."""
  from lottery_ticket.mnist_fc import train as train_lib  # pylint: disable=g-import-not-at-top
  if rewind == 0 or _starts_at(run_dir, rewind):
    return initial
  saved = paths.rewind(run_dir, rewind)
  if os.path.isdir(saved):
    return save_restore.restore_network(saved)
  _, final = train_lib.train(
      os.path.join(output_dir, 'k{}'.format(rewind), 'parent'), masks=masks,
      presets=initial, config=config.replace(training_len='{}it'.format(rewind)),
      hyperparameters=hyperparameters, schedule_steps=total)
  return final


def instability_at(run_dir, output_dir, rewind, split='test', num_points=21,
                   flags=None):
  """Trains the two copies for one k and measures their path.

  Args:
    run_dir: the run whose network, mask and configuration are used.
    output_dir: where the copies and results go.
    rewind: the iteration k the copies start from.
    split: the split the path is evaluated on.
    num_points: points of the path, alpha in [0, 1].
    flags: settings overriding the run's for the copies (e.g. test_interval).

  Returns:
    dict with 'rewind', 'instability' (error barrier), 'loss_barrier',
    'end_errors', 'max_error', 'copies' (directories) and 'curve'.

  Raises:
    ValueError: if k is not within the run's training length.
  """
  # TensorFlow, imported only here: the command's --help needs none of it.
  from lottery_ticket.analysis import network_model  # pylint: disable=g-import-not-at-top
  from lottery_ticket.analysis import network_source  # pylint: disable=g-import-not-at-top
  from lottery_ticket.mnist_fc import packed_runs  # pylint: disable=g-import-not-at-top
  from lottery_ticket.mnist_fc import train as train_lib  # pylint: disable=g-import-not-at-top
  if not os.path.isfile(paths.config(run_dir)):
    raise ValueError('No run at {} (config.json is missing)'.format(run_dir))
  if not os.path.isdir(paths.initial(run_dir)):
    raise ValueError('Run {} saved no initial weights ({} is missing)'.format(
        run_dir, paths.initial(run_dir)))
  # The copies train the run's network with its recipe (data, model and
  # training settings); a sparse run's mask updates are not replayed: the
  # copies keep the mask the run ended with.
  config = config_lib.resolve(settings.BASE, dict(flags or {}),
                              paths.config(run_dir),
                              source='analysis.instability')
  masks = (save_restore.restore_network(paths.masks(run_dir))
           if os.path.isdir(paths.masks(run_dir)) else None)
  initial = save_restore.restore_network(paths.initial(run_dir))
  dataset = config.make_dataset()
  total = config.total_steps(dataset)
  spec = network_model.hyperparameters(network_source.load(run_dir),
                                       dataset.num_classes)
  rewind = int(rewind)
  if not 0 <= rewind < total:
    raise ValueError('rewind iteration {} is outside the run\'s training of {} '
                     'iterations (need 0 <= k < {})'.format(rewind, total, total))
  start = start_weights(run_dir, output_dir, rewind, config, masks, initial,
                        spec, total)
  # The copies train iterations k..T of the run's schedule, each with its
  # own data order, as one pack of two (each as it would alone).
  copies, members, dataset = [], [], None
  for copy in range(1, COPIES + 1):
    # Each copy's data order is its own, never the run's.
    copy_config = config.replace(
        training_len='{}it'.format(total),
        train_order_seed=int(config.data.train_order_seed) * 1000 + 1 + copy)
    copies.append(os.path.join(output_dir, 'k{}'.format(rewind),
                               'copy{}'.format(copy)))
    member, dataset = train_lib.run_spec(
        copies[-1], masks=masks, presets=start, config=copy_config,
        hyperparameters=spec, first_iteration=rewind, dataset=dataset)
    members.append(member)
  packed_runs.execute(members, dataset, train_lib.EXPERIMENT,
                      'instability k={}'.format(rewind), total,
                      first_iteration=rewind, hyperparameters=spec)
  curve = interpolation.curve(
      network_source.load(copies[0]), network_source.load(copies[1]), split,
      mask='start', alphas=interpolation.alpha_grid(0.0, 1.0, num_points))
  curve['label'] = 'k = {}'.format(rewind)
  save_restore.write_json(os.path.join(output_dir, 'k{}'.format(rewind),
                                       'path.json'), curve)
  errors, losses = np.asarray(curve['error']), np.asarray(curve['loss'])
  return {'rewind': rewind, 'total_iterations': total,
          'instability': float(errors.max() - 0.5 * (errors[0] + errors[-1])),
          'loss_barrier': float(losses.max() - 0.5 * (losses[0] + losses[-1])),
          'end_errors': [float(errors[0]), float(errors[-1])],
          'max_error': float(errors.max()), 'copies': copies, 'curve': curve}


def to_csv(results):
  """CSV text: one row per k (csv writes a float as its repr)."""
  return tables.csv_text(
      ['rewind_iteration', 'instability', 'loss_barrier', 'error_copy1',
       'error_copy2', 'max_error'],
      ([r['rewind'], r['instability'], r['loss_barrier'], *r['end_errors'],
        r['max_error']] for r in results))


def instability(run_dir, output_dir, rewind_iterations=(0,), split='test',
                num_points=21, plot=True, quiet=False, **flags):
  """The instability of a run's network for each rewind iteration k.

  Args:
    run_dir: a run directory (a lottery level, a sparse run, ...).
    output_dir: where copies and results go (re-running resumes).
    rewind_iterations: the k values, a list or '0,100,500'.
    split: the split the paths are evaluated on ('test' as in the paper).
    num_points: points on each path, alpha in [0, 1].
    plot: draw instability.png.
    quiet: print nothing.
    **flags: data, model or training settings overriding the run's for the
      copies.

  Returns:
    list of per-k result dicts (see instability_at), sorted by k.

  Raises:
    ValueError: for a missing run, a bad k or bad settings.
  """
  rewinds = sorted(set(_as_ints(rewind_iterations)))
  if not rewinds:
    raise ValueError('rewind_iterations is empty')
  results = []
  for rewind in rewinds:
    result = instability_at(run_dir, output_dir, rewind, split, num_points,
                            flags)
    results.append(result)
    if not quiet:
      print('k={}: instability {:.4f} ({} error {:.4f} and {:.4f} at the copies, '
            '{:.4f} at worst between)'.format(
                rewind, result['instability'], split, result['end_errors'][0],
                result['end_errors'][1], result['max_error']))
  save_restore.write_json(os.path.join(output_dir, RESULTS_FILE),
                          {'run_dir': run_dir, 'split': split,
                           'results': results})
  save_restore.write_text(os.path.join(output_dir, 'instability.csv'),
                          to_csv(results))
  if plot:
    from lottery_ticket.analysis import interpolation_plots  # pylint: disable=g-import-not-at-top
    drawn = interpolation_plots.plot_instability(
        results, os.path.join(output_dir, 'instability.png'),
        'Instability of {}'.format(plot_style.short_path(run_dir, 3)))
    if not quiet:
      print('plot: {}'.format(drawn))
  return results


# Its command line: flags from the signature, help from the docstring.
RUNNER = command_line.command(instability, 'analysis.instability')


if __name__ == '__main__':
  command_line.run(RUNNER)
