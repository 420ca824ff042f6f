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
(shuffle, reinit, invert), at sparsities from 50% to 99.8%. Every method
ranks its scores over all layers at once (`--prune_scope=global`, PAI_FLAGS),
as the 2021 paper does: SNIP's and GraSP's per-layer default (the
gradient-flow paper's) would fix their per-layer proportions to the
distribution's, so their shuffle ablation would be uniform random pruning and
the comparison of per-layer proportions the paper draws would not hold for
them.

Linear mode connectivity (`lmc`; Frankle, Dziugaite, Roy & Carbin, ICML
2020, "Linear Mode Connectivity and the Lottery Ticket Hypothesis"):
ResNet-20 and VGG-16 on CIFAR-10, trained by their family's recipe, OpenLTH's
default_hparams (foundations/models/architectures.py OPENLTH_CIFAR10), with the
values it derives (kaiming-normal initialisation, crop_flip, channel
normalisation), each stated in the line.
IMP prunes 20% per level by one global magnitude ranking: the ResNets rank
their output layer with the rest (sparse_global with nothing ignored), the
VGGs leave it unpruned (pruning_layers_to_ignore='fc.weight'). Each k of
LMC_REWINDS is its own IMP tree with late rewinding to iteration k. Its
controls: random pruning as OpenLTH's randomly_prune branch does it (its
default strategy, layerwise, and start_at='rewind'): each level's IMP mask
shuffled within each layer, so every layer keeps IMP's count, from level
0's weights at k and trained k..T as the level was (sparse_train
--method=lottery --shuffle_mask --mask_level, lmc_control_flags; level 0,
dense, has nothing to shuffle); and random reinitialisation of its masks.
The instability analysis (analysis/instability.py) runs at every level from
the level's own start, iteration k.

`scale` shortens a recipe for a quick look with its shape unchanged: every
setting counted in steps (training length, evaluation and checkpoint
intervals, pruning begin, end and frequency, mask-update frequency, the
lmc recipe's rewind iterations and learning-rate drops) is multiplied by it
(at least 1 step; a rewind iteration of 0 stays 0), everything else is the
paper's.
"""

import os

from lottery_ticket.foundations import choices
from lottery_ticket.foundations import durations
from lottery_ticket.foundations.models import architectures
from lottery_ticket.foundations.sparse import sparse_methods
from lottery_ticket.foundations.training import train_options
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
# The lottery runners' defaults counted in steps (the training settings').
LOTTERY_STEPS = {'training_len': durations.format_len(constants.TRAINING_LEN),
                 'test_interval': train_options.TEST_INTERVAL,
                 'checkpoint_interval': train_options.CHECKPOINT_INTERVAL}


PAI = 'pai'
PAI_PRESETS = sparse_presets.NETWORKS
PAI_METHODS = sparse_methods.names_where(lambda m: m.one_shot is not None)
PAI_SPARSITIES = (0.5, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.998)
# Settings of every pai line beside its preset (a flag given replaces them).
PAI_FLAGS = {'prune_scope': 'global'}


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


def scaled(steps, scale):
  """A count of steps times scale: 0 stays 0, anything else at least 1."""
  steps = int(steps)
  return 0 if steps == 0 else max(1, int(round(steps * scale)))


def scaled_steps(values, scale):
  """The step-counted settings of `values` (STEP_SETTINGS), scaled.

  Args:
    values: dict setting -> value (training lengths as '500it').
    scale: a factor in (0, 1]; at 1, nothing is written ({}).

  Raises:
    ValueError: for a bad scale, or a training length in epochs (it has no
      fixed steps).
  """
  if check_scale(scale) == 1.0:
    return {}
  out = {}
  for name in STEP_SETTINGS:
    value = values.get(name)
    if name == 'training_len' and value is not None:
      unit, count = durations.parse(value)
      if unit != 'iterations':
        raise ValueError('--scale needs a training length in iterations, got '
                         '{}'.format(value))
      out[name] = '{}it'.format(scaled(count, scale))
    elif value is not None:
      out[name] = scaled(value, scale)
  return out


def lottery_flags(scale=1.0):
  """Flags of a Frankle & Carbin lottery line ({} at full scale)."""
  return scaled_steps(LOTTERY_STEPS, scale)


def evci_flags(preset, method, scale=1.0):
  """Flags of one Evci et al. line beside --preset: the scaled steps."""
  return scaled_steps(sparse_presets.settings(preset, method), scale)


def evci_sparsity(preset):
  """The sparsity of the paper's comparison for a preset."""
  return sparse_presets.settings(preset, 'prune')['sparsity']


def reads_prune_mask(method):
  """Whether a method's line of the paper's comparison names the prune run."""
  return sparse_methods.get(method).mask_from != 'never'


# The linear-mode-connectivity recipe ----------------------------------------

LMC = 'lmc'
FRANKLE_CARBIN = 'frankle_carbin'
# The --paper values of the lottery generators.
LOTTERY_PAPERS = (FRANKLE_CARBIN, LMC)
LMC_NETWORKS = ('resnet20', 'vgg16')
# Rewind iterations k. The paper's abstract says IMP subnetworks of large
# networks reach full accuracy only once they are stable to SGD noise, which
# happens early in training. k = 0 is the original lottery ticket; 100, 500
# and 2000 spread, roughly geometrically, over the first five epochs (390
# iterations each), where that onset has to lie if "early" holds for these
# networks. Four values keep the recipe at four IMP trees per network.
LMC_REWINDS = (0, 100, 500, 2000)
# Levels: 0.8**20 = 1.2% of the prunable weights left at the last.
LMC_LEVELS = 20
# CIFAR-10's 50,000 training examples in whole batches of the recipe's 128
# (the library drops the tail of an epoch).
LMC_STEPS_PER_EPOCH = 50000 // architectures.OPENLTH_CIFAR10['batch_size']
LMC_INSTABILITY_DIR = 'instability'
# IMP's fraction of the surviving weights pruned per level.
LMC_PRUNE_PERCENT = architectures.OPENLTH_CIFAR10['prune_percent']
# The recipe's settings of the lottery concern, which the random-pruning
# control (a sparse_train run) does not take.
LMC_LOTTERY_FLAGS = ('pruning', 'prune_percent', 'prune_ignore')


def lottery_paper(paper):
  """The --paper of a lottery generator: '' (none), FRANKLE_CARBIN (True
  means it too) or LMC.

  Raises:
    ValueError: 'No such paper: ...' for any other.
  """
  paper = FRANKLE_CARBIN if paper is True else (paper or '')
  return paper and choices.check('paper', paper, LOTTERY_PAPERS)


def lmc_family(network):
  """The architectures.Family of a network: which of OpenLTH's two recipes
  (resnet, vgg) it follows.

  Raises:
    ValueError: for a network of neither family.
  """
  if network in architectures.NETWORKS:
    family = architectures.family(network)
    if family.recipe:
      return family
  raise ValueError('--paper=lmc trains the CIFAR ResNets and VGGs, not '
                   '--network={}'.format(network))


def lmc_rewinds(scale=1.0, rewinds=LMC_REWINDS):
  """The distinct rewind iterations of the recipe at a scale, sorted."""
  scale = check_scale(scale)
  return tuple(sorted({scaled(k, scale) for k in rewinds}))


def lmc_flags(network, scale=1.0):
  """The runner flags of one lmc lottery line (without the rewind iteration).

  Args:
    network: the --network (a CIFAR ResNet or VGG).
    scale: multiply every step count by this.

  Returns:
    dict flag -> value, the step counts scaled.
  """
  scale = check_scale(scale)
  family = lmc_family(network)
  epoch = LMC_STEPS_PER_EPOCH

  def steps(duration):
    return '{}it'.format(scaled(durations.to_iterations(duration, epoch),
                                    scale))

  flags = dict(family.recipe, network=network,
               initializer=family.derived['initializer'],
               lr_drops=','.join(steps(d) for d in family.recipe['lr_drops']),
               training_len=steps(family.recipe['training_len']),
               test_interval=scaled(epoch, scale),
               checkpoint_interval=scaled(10 * epoch, scale))
  if family.ignored:
    flags['prune_ignore'] = ','.join(family.ignored)
  flags['pruning'] = family.derived['pruning']
  return flags


def lmc_sparsity(level):
  """The fraction of the weights IMP has removed at `level`: 1 - 0.8^L of
  the pruned layers (the VGGs' unpruned output layer, 5,120 of 14.7
  million weights, moves it by less than 0.001, within sparse_setup's
  tolerance)."""
  return round(1.0 - (1.0 - LMC_PRUNE_PERCENT) ** int(level), 6)


def lmc_control_flags(network, level, scale=1.0):
  """The sparse_train flags of the random-pruning control of one level.

  IMP's training, and the mask of IMP's level `level` (of the trial the
  line's --mask_from names) shuffled within each layer: the lottery method
  starts it from level 0's weights at the tree's k and trains k..T, as
  the level trained (sparse_setup.rewinding).
  """
  flags = {k: v for k, v in lmc_flags(network, scale).items()
           if k not in LMC_LOTTERY_FLAGS}
  flags.update(method='lottery', shuffle_mask=True, mask_level=int(level),
               sparsity=lmc_sparsity(level))
  return flags


def lmc_control_dir(tree, level):
  """{tree}/random_pruning/{level}: the control of one level of an IMP
  tree (trial t in its trial{t})."""
  return os.path.join(tree, RANDOM_PRUNING_NAME, str(int(level)))


def lmc_tree(base, network, rewind):
  """The IMP tree of one network and rewind iteration: {base}/{net}/k{k}."""
  return os.path.join(base, network, 'k{}'.format(int(rewind)))


def lmc_instability_dir(base, network, rewind):
  """Where the instability lines of one IMP tree write, beside the trees."""
  return os.path.join(base, network, LMC_INSTABILITY_DIR,
                      'k{}'.format(int(rewind)))


def lmc_trees(base, scale=1.0, network=None, rewind=None):
  """(network, k, tree directory) of every IMP tree of the lmc recipe.

  Args:
    base: the recipe's --output_dir.
    scale: the recipe's --scale (the k values scale with it).
    network: only this network (None: LMC_NETWORKS).
    rewind: only this k, as written in the tree's name (None: every k).
  """
  networks = [network] if network else list(LMC_NETWORKS)
  for name in networks:
    lmc_family(name)
  rewinds = [int(rewind)] if rewind is not None else lmc_rewinds(scale)
  return [(name, k, lmc_tree(base, name, k))
          for name in networks for k in rewinds]
