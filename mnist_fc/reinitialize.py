"""The reinitialisation controls: a winning ticket's mask, other weights.

For a finished lottery level, train the same sparse network again from
  reinit      a fresh random initialisation (the paper's control);
  reuse       weights re-sampled from the distribution of the surviving
              weights of a saved network (by default that level's initial
              weights), layer by layer;
  reuse_sign  as reuse, but each weight keeps the sign it had in that
              network (only the magnitudes are re-sampled).
Writes {output_dir}/{level}/{mode}/.
"""

import os

import numpy as np

from lottery_ticket.foundations import choices
from lottery_ticket.foundations import hparams
from lottery_ticket.foundations import model_base
from lottery_ticket.foundations import paths
from lottery_ticket.foundations import save_restore
from lottery_ticket.mnist_fc import config as config_lib
from lottery_ticket.mnist_fc import train as train_lib

MODES = ('reinit', 'reuse', 'reuse_sign')
EXPERIMENT = 'reinitialize'
# Initialisation streams of the controls start here (the lottery run uses 0).
REINIT_STREAM = 500


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
             if model_base.is_bias(k)}
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


def output_directory(output_dir, level, mode='reinit', **unused_flags):
  """The run directory a reinitialisation writes."""
  return paths.run(output_dir, level, mode)


def reinitialize(output_dir, level, mode='reinit', source_experiment='same_init',
                 distribution=None, config=None, overwrite=False, **flags):
  """Trains the masks of a finished lottery level from a new initialisation.

  Args:
    output_dir: the trial directory of a lottery experiment.
    level: the pruning level whose masks to use.
    mode: 'reinit', 'reuse' or 'reuse_sign'.
    source_experiment: the experiment name holding the masks.
    distribution: saved network to sample from (default: the source level's
      initial weights).
    config: optional saved config.json (default: the source run's; its
      lottery settings are not read).
    overwrite: start over if the control's directory holds a run.
    **flags: settings of the data, model and training concerns.

  Returns:
    (initial_weights, final_weights).
  """
  choices.check('mode', mode, MODES)
  level = hparams.parse_int('level', level)
  # The flags are checked before the source run is looked at.
  config_lib.resolve(train_lib.CONCERNS, flags, source='reinitialize')
  paths.check_name(source_experiment, 'source_experiment')
  source = paths.run(output_dir, level, source_experiment)
  if not os.path.isdir(paths.masks(source)):
    raise ValueError('No masks at {}: run the lottery experiment for level {} '
                     'first'.format(paths.masks(source), level))
  masks = save_restore.restore_network(paths.masks(source))
  if config is None and os.path.exists(paths.config(source)):
    config = paths.config(source)
  run_config = config_lib.resolve(train_lib.CONCERNS, flags, config,
                                  source='reinitialize')
  presets = None
  distribution_source = distribution if isinstance(distribution, str) else None
  if mode != 'reinit':
    distribution = save_restore.standardize(distribution or paths.initial(source))
    presets = resample(masks, distribution, mode,
                       seed=run_config.seed * 1000 + int(level))
  return train_lib.train(
      output_directory(output_dir, level, mode), masks=masks, presets=presets,
      config=run_config, init_stream=REINIT_STREAM + int(level),
      overwrite=overwrite, label='{} level {}'.format(mode, level),
      experiment_kind=EXPERIMENT,
      details={'source': source, 'mode': mode, 'level': level,
               'distribution': distribution_source})
