"""The papers' experiments as sweeps: their settings, and a shorter look.

Frankle & Carbin (2019), LeNet-300-100 on MNIST: the lottery runners'
defaults are the paper's (Adam 1.2e-3, batches of 60, 50,000 iterations,
20% of each hidden layer and 10% of the output layer pruned per level,
validation every 100 iterations), over `FRANKLE_CARBIN_LEVELS` levels. Its
controls: random pruning (`--pruning=random`, a second experiment name in
each trial) and random reinitialisation (the reinitialize runner, mode
reinit, on every level).

Evci et al. (2020), MLP and LeNet-5 on MNIST: every method of the
comparison, each line carrying `--preset` (the paper's configuration files,
mnist_fc/sparse_presets.py) at the preset's sparsity; lottery, scratch and
the drop-and-grow methods start from the final mask of the prune run of the
same trial (`--mask_from`), as the configuration files do, so their lines
come after the prune lines.

Pruning at initialisation and its sanity checks (`pai`; Frankle, Dziugaite,
Roy & Carbin 2021, "Pruning Neural Networks at Initialization: Why are We
Missing the Mark?"), on the MLP (LeNet-300-100) and LeNet-5 of Evci et al.'s
presets: every method of pruning at initialisation (the magnitude and random
baselines included), each scored one alone and with each of its ablations
(shuffle, reinit, invert), at sparsities from 50% to 99.8%.

`scale` shortens a recipe for a quick look with its shape unchanged: every
setting counted in steps (training length, evaluation and checkpoint
intervals, pruning begin, end and frequency, mask-update frequency) is
multiplied by it (at least 1 step), everything else is the paper's.
"""

from lottery_ticket.foundations import durations
from lottery_ticket.foundations import sparse_methods
from lottery_ticket.foundations import train_options
from lottery_ticket.mnist_fc import constants
from lottery_ticket.mnist_fc import sparse_presets

FRANKLE_CARBIN_LEVELS = constants.NUM_LEVELS
RANDOM_PRUNING_NAME = 'random_pruning'
EVCI_PRESETS = sparse_presets.NETWORKS
EVCI_METHODS = sparse_methods.names_where(lambda m: m.paper)
# Settings counted in steps, which `scale` shortens.
STEP_SETTINGS = ('training_len', 'test_interval', 'checkpoint_interval',
                 'prune_begin_step', 'prune_end_step', 'prune_frequency',
                 'update_freq')
# The lottery runners' defaults counted in steps (config.TRAINING's).
LOTTERY_STEPS = {'training_len': durations.format_len(constants.TRAINING_LEN),
                 'test_interval': train_options.TEST_INTERVAL,
                 'checkpoint_interval': train_options.CHECKPOINT_INTERVAL}


PAI = 'pai'
PAI_PRESETS = sparse_presets.NETWORKS
PAI_METHODS = sparse_methods.names_where(lambda m: m.one_shot is not None)
PAI_SPARSITIES = (0.5, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.998)


def pai_ablations(method):
  """The --ablation values a method's lines take ('none' first)."""
  if sparse_methods.get(method).ablatable:
    return sparse_methods.ABLATIONS
  return ('none',)


def pai_name(method, ablation):
  """The directory name of a method with an ablation ('snip_shuffle')."""
  return method if ablation == 'none' else '{}_{}'.format(method, ablation)


def check_scale(scale):
  """Returns scale as a float in (0, 1].

  Raises:
    ValueError: naming the value otherwise.
  """
  try:
    value = float(scale)
  except (TypeError, ValueError):
    raise ValueError('--scale={!r} is not a number'.format(scale)) from None
  if not 0.0 < value <= 1.0:
    raise ValueError('--scale={} must be in (0, 1]'.format(scale))
  return value


def scaled_steps(values, scale):
  """The step-counted settings of `values`, multiplied by scale.

  Args:
    values: dict setting -> value (training lengths as '500it').
    scale: a factor in (0, 1].

  Returns:
    dict of the STEP_SETTINGS present, scaled (each at least 1 step).

  Raises:
    ValueError: for a training length in epochs (it has no fixed steps).
  """
  out = {}
  for name in STEP_SETTINGS:
    if name not in values or values[name] is None:
      continue
    if name == 'training_len':
      unit, count = durations.parse(values[name])
      if unit != 'iterations':
        raise ValueError('--scale needs a training length in iterations, got '
                         '{}'.format(values[name]))
      out[name] = '{}it'.format(max(1, int(round(count * scale))))
    else:
      out[name] = max(1, int(round(int(values[name]) * scale)))
  return out


def lottery_flags(scale=1.0):
  """Flags of a Frankle & Carbin lottery line ({} at full scale)."""
  scale = check_scale(scale)
  return scaled_steps(LOTTERY_STEPS, scale) if scale != 1.0 else {}


def evci_flags(preset, method, scale=1.0):
  """Flags of one Evci et al. line beside --preset: the scaled steps."""
  scale = check_scale(scale)
  if scale == 1.0:
    return {}
  return scaled_steps(sparse_presets.settings(preset, method), scale)


def evci_sparsity(preset):
  """The sparsity of the paper's comparison for a preset."""
  return sparse_presets.settings(preset, 'prune')['sparsity']


def reads_prune_mask(method):
  """Whether a method's line of the paper's comparison names the prune run."""
  return sparse_methods.get(method).mask_from != 'never'
