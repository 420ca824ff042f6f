"""The lottery ticket experiment on MNIST-like data (one trial).

Writes {output_dir}/{level}/{experiment_name}/ for levels 0..iterations.
Re-running the same command skips finished levels and resumes the level that
was interrupted, ending with the same masks and weights; re-running it with
another configuration is refused (see runs.py). More levels (a larger
`iterations`) extend a finished trial.
"""

import os

from lottery_ticket.foundations import experiment
from lottery_ticket.foundations import hparams
from lottery_ticket.foundations import paths
from lottery_ticket.foundations import pruning as pruning_lib
from lottery_ticket.foundations import save_restore
from lottery_ticket.mnist_fc import config as config_lib
from lottery_ticket.mnist_fc import constants
from lottery_ticket.mnist_fc import runs

CONCERNS = config_lib.BASE + (config_lib.LOTTERY,)
EXPERIMENT = 'lottery'


def lottery_experiment(output_dir, iterations=5,
                       experiment_name=constants.EXPERIMENT_NAME,
                       presets=None, config=None, overwrite=False, **flags):
  """Runs levels 0..iterations of one trial.

  Args:
    output_dir: the trial directory.
    iterations: pruning levels after the dense level 0.
    experiment_name: the run name inside each level directory (a plain
      name: it becomes a directory).
    presets: initial weights of level 0 (dict or path of a saved network).
    config: optional saved config.json (or a Config) to start from.
    overwrite: start over, removing this experiment's earlier levels.
    **flags: settings of the data, model, training and lottery concerns.

  Returns:
    (masks, final_weights) of the last level.

  Raises:
    ValueError: for bad settings, or an output directory holding a run of
      another configuration (nothing is written then).
  """
  run_config = config_lib.resolve(CONCERNS, flags, config,
                                  source='lottery_experiment')
  iterations = _count('iterations', iterations)
  paths.check_name(experiment_name, 'experiment_name')
  presets_source = presets if isinstance(presets, str) else None
  presets = save_restore.standardize(presets)
  dataset = run_config.make_dataset()
  run_config = config_lib.complete(run_config, dataset)
  total_steps = run_config.total_steps(dataset)

  def run_dir(level):
    return paths.run(output_dir, level, experiment_name)

  runs.lock(output_dir)
  levels = _recorded_levels(output_dir, experiment_name)
  if overwrite:
    for level in levels:
      runs.clear_run(run_dir(level))
    if levels:
      runs.say('overwriting levels {} of {}'.format(
          _span(levels), output_dir))
  states = {level: runs.claim(run_dir(level), run_config, EXPERIMENT)
            for level in _recorded_levels(output_dir, experiment_name)}
  _announce(output_dir, states, iterations)

  percents = run_config.prune_percents()
  prune_masks = pruning_lib.make_prune_masks(
      run_config.pruning, percents, run_config.seed,
      output_layer=run_config.output_layer())
  rewind = run_config.rewind_iteration

  def details(level):
    return {'experiment_name': experiment_name, 'level': level,
            'iterations': iterations, 'prune_percents': percents,
            'presets': presets_source}

  def reset_weights(initial):
    if not rewind:
      return initial
    return save_restore.restore_network(paths.rewind(run_dir(0), rewind))

  # With late rewinding as OpenLTH does it, later levels continue level 0
  # from iteration k: they train k..T (schedule and data order included).
  continues = rewind and run_config.rewind_schedule == 'continue'
  train_model = runs.make_train_model(
      run_config, run_dir,
      lambda level: 'level {}/{}'.format(level, iterations), EXPERIMENT,
      total_steps,
      save_weights_at_for_level=(
          lambda level: [rewind] if level == 0 and rewind else []),
      details=details,
      first_iteration_for_level=(
          lambda level: rewind if continues and level > 0 else 0))
  return experiment.experiment(
      lambda: dataset, run_config.make_model_fn(dataset.num_classes),
      train_model, prune_masks, iterations, presets=presets,
      completed_level=lambda level: runs.load_finished(run_dir(level)),
      reset_weights=reset_weights)


def _count(name, value):
  number = hparams.parse_int(name, value)
  if number < 0:
    raise ValueError('--{}={} must be >= 0'.format(name, number))
  return number


def _recorded_levels(output_dir, experiment_name):
  """The levels of this experiment that recorded a configuration."""
  if not os.path.isdir(output_dir):
    return []
  levels = []
  for entry in os.listdir(output_dir):
    if entry.isdigit() and os.path.exists(
        paths.config(paths.run(output_dir, entry, experiment_name))):
      levels.append(int(entry))
  return sorted(levels)


def _span(levels):
  return '{}-{}'.format(levels[0], levels[-1]) if len(levels) > 1 else str(
      levels[0])


def _announce(output_dir, states, iterations):
  """Says whether the trial resumes, and from where."""
  finished = sorted(l for l, s in states.items() if s == 'finished')
  if not states:
    return
  if len(finished) >= iterations + 1 and all(
      l in finished for l in range(iterations + 1)):
    runs.say('{}: levels 0-{} already finished, nothing to train'.format(
        output_dir, iterations))
    return
  started = sorted(l for l, s in states.items() if s == 'resume')
  runs.say('{}: resuming{}{}'.format(
      output_dir,
      ' (levels {} finished)'.format(_span(finished)) if finished else '',
      ' at level {}'.format(started[0]) if started else ''))
