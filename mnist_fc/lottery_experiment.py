"""The lottery ticket experiment on MNIST-like data (one trial).

Writes {output_dir}/{level}/{experiment_name}/ for levels 0..iterations.
Re-running the same command skips finished levels and resumes the level that
was interrupted, ending with the same masks and weights.
"""

import functools

from lottery_ticket.foundations import choices
from lottery_ticket.foundations import experiment
from lottery_ticket.foundations import paths
from lottery_ticket.foundations import pruning as pruning_lib
from lottery_ticket.foundations import save_restore
from lottery_ticket.mnist_fc import constants
from lottery_ticket.mnist_fc import run_config as run_config_lib
from lottery_ticket.mnist_fc import runs

PRUNING_METHODS = ('layerwise', 'global', 'random')


def make_prune_masks(method, percents, seed):
  """prune_masks(masks, final_weights) for a pruning method.

  Args:
    method: 'layerwise' (the paper), 'global' (one threshold across layers,
      at the hidden-layer rate) or 'random' (the random-pruning control).
    percents: dict layer -> fraction pruned per level.
    seed: seed of random pruning (advanced every level).
  """
  if method == 'layerwise':
    return functools.partial(pruning_lib.prune_by_percent, percents)
  if method == 'global':
    rate = max(percents.values())
    return lambda masks, final: pruning_lib.prune_global(rate, masks, final,
                                                     layers=sorted(percents))
  if method == 'random':
    counter = {'level': 0}

    def prune_random(masks, final):
      counter['level'] += 1
      return pruning_lib.prune_random(percents, masks, final,
                                  seed=int(seed) * 1000 + counter['level'])
    return prune_random
  choices.check('pruning method', method, PRUNING_METHODS)


def lottery_experiment(output_dir, iterations=5,
                       experiment_name=constants.EXPERIMENT_NAME,
                       presets=None, rewind_iteration=0, pruning='layerwise',
                       config=None, **flags):
  """Runs levels 0..iterations of one trial.

  Args:
    output_dir: the trial directory.
    iterations: pruning levels after the dense level 0.
    experiment_name: the run name inside each level directory.
    presets: initial weights of level 0 (dict or path of a saved network).
    rewind_iteration: reset survivors to the weights of this training
      iteration of level 0 instead of the initialisation (late rewinding).
    pruning: 'layerwise', 'global' or 'random'.
    config: optional saved config.json to start from.
    **flags: RunConfig fields.

  Returns:
    (masks, final_weights) of the last level.
  """
  run_config = (config if isinstance(config, run_config_lib.RunConfig)
                else run_config_lib.RunConfig.from_flags(config, **flags))
  iterations = int(iterations)
  if iterations < 0:
    raise ValueError('iterations must be >= 0, got {}'.format(iterations))
  rewind_iteration = int(rewind_iteration)
  if rewind_iteration < 0:
    raise ValueError('rewind_iteration must be >= 0, got {}'.format(
        rewind_iteration))
  dataset = run_config.make_dataset()
  percents = run_config.prune_percents(run_config.layer_names())
  prune_masks = make_prune_masks(pruning, percents, run_config.seed)

  def run_dir(level):
    return paths.run(output_dir, level, experiment_name)

  def describe(level):
    return {'experiment': 'lottery', 'experiment_name': experiment_name,
            'level': level, 'iterations': iterations,
            'rewind_iteration': rewind_iteration, 'pruning': pruning,
            'prune_percents': percents,
            'presets': presets if isinstance(presets, str) else None}

  def reset_weights(initial):
    if not rewind_iteration:
      return initial
    return save_restore.restore_network(paths.rewind(run_dir(0), rewind_iteration))

  train_model = runs.make_train_model(
      run_config, run_dir,
      lambda level: 'level {}/{}'.format(level, iterations),
      save_weights_at_for_level=(
          lambda level: [rewind_iteration] if level == 0 and rewind_iteration else []),
      describe=describe)
  return experiment.experiment(
      lambda: dataset, run_config.make_model_fn(dataset.num_classes),
      train_model, prune_masks, iterations,
      presets=save_restore.standardize(presets),
      completed_level=lambda level: runs.load_finished(run_dir(level)),
      reset_weights=reset_weights)
