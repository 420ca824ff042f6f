"""The hyperparameters of a sparse-training run, with their help text.

A sparse run is described by two objects: the `RunConfig` every mnist_fc
experiment shares (data, network, optimizer name and rate, length, seeds,
evaluation and checkpoint intervals) and a `SparseConfig` for everything
specific to sparse training. `resolve` builds both from, in increasing
priority:

  1. a saved config.json of an earlier run (`config=`),
  2. a named preset of the paper's settings (`preset=lenet5|mlp`, resolved
     for the run's method, see sparse_presets; a saved configuration's own
     preset is not applied again, its values are already in it),
  3. single flags.

This is the equivalent of a preloaded gin configuration plus gin files plus
bindings. `save_freq` and `log_freq` are accepted as the paper's names for
`checkpoint_interval` and `test_interval`.
"""

import dataclasses
import json
from typing import Optional

from lottery_ticket.foundations import choices
from lottery_ticket.foundations import schedules
from lottery_ticket.foundations import sparse_init
from lottery_ticket.foundations import sparsity_distribution
from lottery_ticket.mnist_fc import run_config as run_config_lib
from lottery_ticket.mnist_fc import sparse_presets

EXPERIMENT = 'sparse_train'
METHODS = ('dense', 'small_dense', 'prune', 'lottery', 'scratch', 'set',
           'rigl', 'rigl_inverted', 'snip', 'grasp')
# Methods whose starting mask is the final mask of a finished run.
NEEDS_MASK_FROM = ('lottery', 'scratch')
# Methods that may start from such a mask instead of a random one.
MAY_USE_MASK_FROM = ('set', 'rigl', 'rigl_inverted')
# Drop-and-grow methods and their growth criterion.
GROWTH = {'set': 'random', 'rigl': 'gradient', 'rigl_inverted': 'inverted_gradient'}
ONE_SHOT = ('snip', 'grasp')
DENSE = ('dense', 'small_dense')
ALIASES = {'save_freq': 'checkpoint_interval', 'log_freq': 'test_interval'}
PADDINGS = ('SAME', 'VALID')

# Defaults of schedule steps left unset, as fractions of training (the
# paper's 3,000 and 7,000 of 11,719 steps).
DEFAULT_PRUNE_BEGIN = 0.25
DEFAULT_PRUNE_END = 0.6


def _field(default, help_text):
  return dataclasses.field(default=default, metadata={'help': help_text})


@dataclasses.dataclass
class SparseConfig(object):
  """Settings of sparse training; each field is also a command-line flag."""
  method: str = _field('dense', 'one of: ' + ', '.join(METHODS))
  sparsity: Optional[float] = _field(None, 'fraction of kernel weights removed, in [0, 1): the final sparsity of prune, the prune fraction of snip/grasp, the parameter budget of small_dense; dense takes none')
  distribution: str = _field('uniform', 'how the sparsity is spread over layers: uniform or erk (Erdos-Renyi-Kernel)')
  mask_from: Optional[str] = _field(None, 'a finished run directory (or a masks/ directory) whose final mask lottery and scratch train (optional start mask for set/rigl)')
  shuffle_mask: bool = _field(False, 'scratch: shuffle the mask within each layer')
  init_method: str = _field('dense', 'dense (the --initializer scheme, masked), unit_scaled, layer_scaled or metainit')
  init_fan_mode: Optional[str] = _field(None, "unit_scaled: fan_in, fan_out or fan_avg (default: the initializer's mode)")
  metainit_steps: int = _field(1000, 'MetaInit: steps of signed gradient descent on the kernel norms')
  metainit_lr: float = _field(1e-3, 'MetaInit: step size on the norms')
  metainit_momentum: float = _field(0.9, 'MetaInit: momentum of the norm updates')
  metainit_batch_size: int = _field(128, 'MetaInit: random examples per step')
  prune_schedule: str = _field('polynomial', 'prune: polynomial (Zhu & Gupta) or constant (once, at prune_begin_step)')
  initial_sparsity: float = _field(0.0, 'prune: sparsity at prune_begin_step')
  prune_begin_step: Optional[int] = _field(None, 'prune: first pruning step (default 25% of training)')
  prune_end_step: Optional[int] = _field(None, 'prune: step at which the final sparsity is reached (default 60% of training)')
  prune_frequency: int = _field(100, 'prune: steps between pruning updates')
  prune_exponent: float = _field(3.0, 'prune: exponent of the polynomial schedule')
  update_freq: int = _field(100, 'set/rigl: steps between mask updates')
  drop_fraction: float = _field(0.3, 'set/rigl: fraction of active weights dropped (and regrown) at the first update')
  drop_fraction_schedule: str = _field('cosine', 'set/rigl: constant, cosine (to 0 at the last update) or lr (scaled with the learning rate)')
  update_end: float = _field(0.75, 'set/rigl: fraction of training after which the mask stops changing (1: never stops)')
  grad_batch_size: int = _field(1000, 'training examples in the fixed batch of the gradient-flow measurements')
  grow_batch_size: int = _field(256, 'training examples in the fixed batch (disjoint from the other) on which RigL grows and SNIP/GraSP score weights; the paper: 1000 for RigL, 5000 for SNIP/GraSP (its presets)')
  momentum: float = _field(0.9, "momentum of the 'momentum' and 'rmsprop' optimizers")
  lr_schedule: str = _field('cosine', 'learning rate: constant or cosine (decay to 0 at the end of training)')
  weight_decay: float = _field(0.0, 'L2 penalty weight_decay * sum(w^2) / 2 on the kernels')
  clip_norm: Optional[float] = _field(None, 'clip gradients to this global norm')
  clip_value: Optional[float] = _field(None, 'clip every gradient entry to [-v, v]')
  conv_padding: str = _field('SAME', 'padding of conv layers: SAME or VALID (the paper\'s LeNet-5)')
  measure_updates: bool = _field(True, 'record the gradient norm just before and just after every mask update (two gradient evaluations per update)')
  update_norm_batch_size: int = _field(256, 'examples (the first of the measurement batch) on which the gradient norm around each mask update is taken; small, so the two extra evaluations per update stay cheap')
  mask_images: bool = _field(True, 'write the masks as TensorBoard images at every test point')
  preset: Optional[str] = _field(None, "the paper's settings: lenet5 or mlp (applied for the method; flags override them)")

  def __post_init__(self):
    choices.check('method', self.method, METHODS)
    if self.method == 'dense':
      if self.sparsity not in (None, 0, 0.0):
        raise ValueError('method dense trains every weight, so it takes no '
                         'sparsity (got {}); use small_dense for a dense net '
                         'of a sparse one\'s size'.format(self.sparsity))
    elif self.sparsity is None:
      raise ValueError('method {} needs --sparsity'.format(self.method))
    else:
      self.sparsity = sparsity_distribution.check_sparsity(self.sparsity)
    sparsity_distribution.check_distribution(self.distribution)
    if self.method in NEEDS_MASK_FROM and not self.mask_from:
      raise ValueError('method {} trains the mask of a finished run: give '
                       '--mask_from=<run directory>'.format(self.method))
    if self.mask_from and self.method not in NEEDS_MASK_FROM + MAY_USE_MASK_FROM:
      raise ValueError('method {} does not take --mask_from'.format(self.method))
    if self.shuffle_mask and self.method not in ('scratch',) + MAY_USE_MASK_FROM:
      raise ValueError('--shuffle_mask applies to scratch (and set/rigl with '
                       '--mask_from), not {}'.format(self.method))
    sparse_init.check_method(self.init_method)
    if self.method == 'lottery' and self.init_method != 'dense':
      raise ValueError('lottery starts from the saved initial weights; '
                       '--init_method={} would replace them'.format(
                           self.init_method))
    if self.init_fan_mode is not None:
      choices.check('init_fan_mode', self.init_fan_mode, sparse_init.FAN_MODES)
    choices.check('prune_schedule', self.prune_schedule, schedules.SPARSITY_SCHEDULES)
    choices.check('drop_fraction_schedule', self.drop_fraction_schedule,
            schedules.DROP_FRACTION_SCHEDULES)
    choices.check('lr_schedule', self.lr_schedule, schedules.LR_SCHEDULES)
    self.conv_padding = str(self.conv_padding).upper()
    choices.check('conv_padding', self.conv_padding, PADDINGS)
    if self.preset is not None:
      choices.check('preset', self.preset, sparse_presets.NETWORKS)
    if not 0.0 <= float(self.drop_fraction) <= 1.0:
      raise ValueError('drop_fraction must be in [0, 1], got {}'.format(
          self.drop_fraction))
    if not 0.0 < float(self.update_end) <= 1.0:
      raise ValueError('update_end must be in (0, 1], got {}'.format(
          self.update_end))
    for name in ('update_freq', 'prune_frequency', 'grad_batch_size',
                 'grow_batch_size', 'metainit_batch_size',
                 'update_norm_batch_size'):
      if int(getattr(self, name)) < 1:
        raise ValueError('{} must be >= 1, got {}'.format(
            name, getattr(self, name)))
    for name in ('metainit_steps', 'weight_decay'):
      if float(getattr(self, name)) < 0:
        raise ValueError('{} must be >= 0, got {}'.format(
            name, getattr(self, name)))
    for name in ('clip_norm', 'clip_value'):
      value = getattr(self, name)
      if value is not None and float(value) <= 0:
        raise ValueError('{} must be > 0, got {}'.format(name, value))

  # Derived values ------------------------------------------------------------

  def sparsity_schedule(self, total_steps):
    """The SparsitySchedule of method prune, checked against training length.

    Raises:
      ValueError: if its steps are inconsistent or outside training.
    """
    begin = self.prune_begin_step
    end = self.prune_end_step
    if begin is None:
      begin = int(round(DEFAULT_PRUNE_BEGIN * total_steps))
    if end is None and self.prune_schedule == 'polynomial':
      end = max(int(round(DEFAULT_PRUNE_END * total_steps)), begin + 1)
    schedule = schedules.SparsitySchedule(
        self.prune_schedule, self.sparsity, begin, end,
        frequency=self.prune_frequency, initial_sparsity=self.initial_sparsity,
        exponent=self.prune_exponent)
    schedule.check_fits(total_steps)
    return schedule

  def last_update_step(self, total_steps):
    """The last step at which set/rigl may change the mask."""
    return int(round(float(self.update_end) * total_steps))

  def update_steps(self, total_steps):
    """The steps of set/rigl mask updates.

    Raises:
      ValueError: if the schedule leaves no update within training.
    """
    steps = schedules.update_steps(self.update_freq,
                                   self.last_update_step(total_steps),
                                   total_steps)
    if not steps:
      raise ValueError('update_freq={} leaves no mask update before step {} '
                       '(update_end={} of {} steps)'.format(
                           self.update_freq, self.last_update_step(total_steps),
                           self.update_end, total_steps))
    return steps

  def to_dict(self):
    return dataclasses.asdict(self)


def field_names():
  return [f.name for f in dataclasses.fields(SparseConfig)]


def flags_help():
  """A table of the SparseConfig flags for the runner's docstring."""
  return '\n'.join('  --{}: {} (default: {!r})'.format(
      f.name, f.metadata['help'], f.default)
                   for f in dataclasses.fields(SparseConfig))


def resolve(config=None, **flags):
  """(RunConfig, SparseConfig) from a saved config, a preset and flags.

  Args:
    config: optional path of a run's config.json to start from.
    **flags: RunConfig and SparseConfig fields (and the aliases save_freq,
      log_freq); `preset` names the paper's settings to apply.

  Returns:
    (RunConfig, SparseConfig).

  Raises:
    ValueError: for unknown flags, a flag given twice under two names, or
      any invalid value.
  """
  flags = dict(flags)
  for alias, name in ALIASES.items():
    if alias in flags:
      if name in flags:
        raise ValueError('--{} and --{} name the same setting; give one'.format(
            alias, name))
      flags[name] = flags.pop(alias)
  run_names = set(run_config_lib.field_names())
  sparse_names = set(field_names())
  unknown = sorted(set(flags) - run_names - sparse_names)
  if unknown:
    raise ValueError('Unknown flag(s): {}'.format(
        ', '.join('--' + u for u in unknown)))

  values = {}
  if config:
    with open(config) as f:
      saved = json.load(f)
    values.update(saved.get('run', {}))
    values.update({k: v for k, v in saved.items() if k in sparse_names})
  # A saved configuration already holds its preset's values (and whatever
  # overrode them), so only a preset named now is applied.
  preset = flags.get('preset')
  if preset:
    method = flags.get('method', values.get('method', SparseConfig.method))
    values.update(sparse_presets.settings(preset, method))
  values.update(flags)
  run = run_config_lib.RunConfig(**{k: v for k, v in values.items()
                                    if k in run_names})
  sparse = SparseConfig(**{k: v for k, v in values.items()
                           if k in sparse_names})
  return run, sparse
