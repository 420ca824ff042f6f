"""The reinitialisation controls: a winning ticket's mask, other weights.

For a finished lottery level, train the same sparse network again from
  reinit      a fresh random initialisation (the paper's control);
  reuse       weights re-sampled from the distribution of the surviving
              weights of a saved network (by default that level's initial
              weights), layer by layer;
  reuse_sign  as reuse, but each weight keeps the sign it had in that
              network (only the magnitudes are re-sampled).
Writes {output_dir}/{level}/{mode}/. With `trials=N` the controls of N
trials ({output_dir}/trial{t}, seeds seed..seed+N-1) train together as one
pack, each trial's control bit-identical to the one trained alone.
"""

import os

import numpy as np

from lottery_ticket.foundations import choices
from lottery_ticket.foundations.storage import integrity
from lottery_ticket.foundations import model_base
from lottery_ticket.foundations import paths
from lottery_ticket.foundations import save_restore
from lottery_ticket.mnist_fc import builders
from lottery_ticket.mnist_fc import config as config_lib
from lottery_ticket.mnist_fc import constants
from lottery_ticket.mnist_fc import experiments
from lottery_ticket.mnist_fc import packed_runs
from lottery_ticket.mnist_fc import trials as trials_lib

EXPERIMENT = experiments.REINITIALIZE.name


def resample(masks, distribution, mode, seed):
  """Presets drawn from the surviving weights of `distribution`.

  Args:
    masks: dict layer -> mask (which weights survive).
    distribution: dict layer -> weights to sample from (and whose signs
      reuse_sign keeps); biases in it are kept as they are.
    mode: 'reuse' or 'reuse_sign'.
    seed: integer seed.

  Returns:
    dict of presets (kernels re-sampled, biases copied).
  """
  rng = np.random.default_rng(int(seed))
  presets = {k: np.array(v) for k, v in distribution.items()
             if model_base.is_unmasked(k)}
  for name in sorted(masks):
    if name not in distribution:
      raise ValueError('no weights for layer {!r} in the distribution '
                       '(has: {})'.format(name, ', '.join(sorted(distribution))))
    source = np.asarray(distribution[name], np.float32)
    alive = source[np.asarray(masks[name]) != 0]
    if alive.size == 0:
      presets[name] = np.zeros_like(source)
      continue
    drawn = rng.choice(alive, size=source.shape, replace=True)
    if mode == 'reuse_sign':
      sign = np.where(source < 0, -1.0, 1.0).astype(np.float32)
      drawn = np.abs(drawn) * sign
    presets[name] = drawn.astype(np.float32)
  return presets


def reinitialize(output_dir, level, mode='reinit',
                 source_experiment=constants.EXPERIMENT_NAME,
                 distribution=None, config=None, overwrite=False, trials=0,
                 **flags):
  """Trains the masks of a finished lottery level from a new initialisation.

  Args:
    output_dir: the trial directory of a lottery experiment (with `trials`:
      the directory of its trial directories, trial{t}).
    level: the pruning level whose masks to use.
    mode: 'reinit', 'reuse' or 'reuse_sign'.
    source_experiment: the experiment name holding the masks.
    distribution: saved network to sample from (default: the source level's
      initial weights).
    config: optional saved config.json (default: the source run's; its
      lottery settings are not read).
    overwrite: start over if the control's directory holds a run.
    trials: 0 for the control of one trial; N trains the controls of trials
      seed..seed+N-1 together, each exactly as alone (see trials.py).
    **flags: settings of the data, model and training concerns.

  Returns:
    (initial_weights, final_weights); with `trials`, a dict seed -> that
    pair.

  Raises:
    ValueError: for bad settings, a level without masks, or a control
      directory holding another configuration (nothing is written then).
    finite.NonFiniteError: if a control diverged (with `trials`, after the
      others finished).
  """
  choices.check('mode', mode, experiments.MODES)
  level = experiments.LEVEL.parse(level)
  if distribution not in (None, '') and mode == 'reinit':
    raise ValueError('--distribution={} is read by --mode=reuse or '
                     'reuse_sign, not --mode=reinit'.format(distribution))
  trials = trials_lib.TRIALS.parse(trials)
  # The flags are checked before the source run is looked at.
  given = experiments.REINITIALIZE.resolve(flags)
  paths.check_name(source_experiment, 'source_experiment')
  seeds = (trials_lib.seeds(given.training.seed, trials) if trials
           else [None])
  dataset, members = None, []
  for seed in seeds:
    trial_dir = paths.trial(output_dir, seed) if trials else output_dir
    source = paths.run(trial_dir, level, source_experiment)
    if not integrity.verify_finished(source):
      raise ValueError('{} is not a finished level (no DONE file): run the '
                       'lottery experiment for level {} first'.format(
                           source, level))
    masks = save_restore.restore_network(paths.masks(source))
    recorded = paths.config(source)
    run_config = experiments.REINITIALIZE.resolve(
        dict(flags, seed=seed) if trials else flags,
        recorded if config is None and os.path.exists(recorded) else config)
    if trials:
      trials_lib.check_one_dataset(run_config)
    dataset = dataset or run_config.make_dataset()
    run_config = config_lib.complete(run_config, dataset)
    presets = None
    if mode != 'reinit':
      weights = (save_restore.standardize(distribution) if distribution
                 else save_restore.restore_network(paths.initial(source)))
      presets = resample(masks, weights, mode, run_config.stream_seed(level))
    builders.check_inputs(run_config, dataset, masks, presets,
                          given={'presets': distribution})
    # The source relative to the trial: a copied or moved trial records
    # the same.
    members.append(packed_runs.PackedRun(
        paths.run(trial_dir, level, mode), run_config, masks=masks,
        presets=presets, init_stream=experiments.REINIT_STREAM + level,
        root=output_dir, details={
            'source': os.path.relpath(source, trial_dir), 'mode': mode,
            'level': level, 'distribution': distribution if isinstance(
                distribution, str) else None}))
  results = packed_runs.execute(
      members, dataset, EXPERIMENT, '{} level {}'.format(mode, level),
      members[0].config.total_steps(dataset), overwrite=overwrite,
      name_trials=bool(trials))
  return trials_lib.results(members, results, trials)
