"""The configuration of a run: its settings resolved, derived and recorded.

Every runner and analysis reads one kind of object, a `Config`, made of the
concerns it applies to (data, model, training, lottery, sparse: their
settings are declared in settings.py).

`train` and `reinitialize` take data, model and training; the lottery
experiment adds lottery; `sparse_train` adds sparse. Flag names are flat
(`--learning_rate`), config.json nests them by concern. A runner refuses any
flag that is not one of its concerns' settings, by name.

`resolve` builds a Config from, in increasing priority, the defaults, a
saved config.json, a preset of the paper's settings (sparse runs) and the
flags; every value is typed and checked on the way in (hparams.Setting), and
the values left to be derived (the optimizer's learning rate, the dataset's
validation size, the network's widths, ...) are filled in, so config.json
never holds a null. `complete` then checks what needs the dataset (batch
size against training examples, schedule steps against training length).
All of this happens before anything is written.
"""

import copy
import functools
import os

from lottery_ticket.datasets import registry
from lottery_ticket.foundations.models import architectures
from lottery_ticket.foundations.sparse import connectivity
from lottery_ticket.foundations import durations
from lottery_ticket.foundations import hparams
from lottery_ticket.foundations.models import initializers
from lottery_ticket.foundations.training import optimizers
from lottery_ticket.foundations import paths
from lottery_ticket.foundations import pruning
from lottery_ticket.foundations.storage import integrity
from lottery_ticket.foundations.training import schedules
from lottery_ticket.foundations.sparse import sparse_methods
from lottery_ticket.mnist_fc import constants
from lottery_ticket.mnist_fc import settings
from lottery_ticket.mnist_fc import sparse_presets

FORMAT = 2
# Old config.json files (format 1) kept these beside the settings; they are
# descriptions of the run, not settings, and are carried over as details.
# Their settings had the names settings.ALIASES gives.
_LEGACY_DETAILS = ('experiment', 'experiment_name', 'level', 'iterations',
                   'prune_percents', 'presets', 'masks', 'total_steps',
                   'start', 'source', 'mode')


class Config(object):
  """A resolved configuration: typed values of some concerns.

  Each concern's values are one typed, frozen object named after it
  (`config.training.learning_rate`, `config.data.dataset`): the code that
  uses a concern is handed that object. `replace` gives a changed copy,
  checked like flags. `derived` names the values that were
  not given but derived from others (the optimizer's learning rate, the
  seed's order seed, ...): a configuration built from this one derives them
  again, so `--config=run/config.json --optimizer=sgd` gets SGD's rate.
  """

  # The settings given as flags (set by resolve): checks that apply to what
  # a person asked for, not to a preset's recipe, read it.
  flagged = frozenset()

  def __init__(self, concerns, values, derived=()):
    self.concerns = tuple(concerns)
    self.values = dict(values)
    self.derived = frozenset(derived)
    for concern in self.concerns:  # config.training, config.data, ...
      setattr(self, concern.name, concern.values(self.values))

  def __eq__(self, other):
    return (isinstance(other, Config) and self.concerns == other.concerns and
            self.values == other.values)

  def has(self, concern_name):
    return any(c.name == concern_name for c in self.concerns)

  def replace(self, **changes):
    """A copy with `changes` (flag names) applied, parsed and re-derived."""
    parsed = hparams.parse_values(self.concerns, changes, 'replace()')
    values = self.given()
    values.update(parsed)
    return _finish(self.concerns, values)

  def given(self):
    """The values with the derived ones set back to None (to derive again)."""
    return {k: (None if k in self.derived else v)
            for k, v in self.values.items()}

  def identity_differences(self, recorded):
    """(name, recorded value, this value) of each identity setting that differs."""
    return hparams.differences(self.concerns, recorded.values, self.values)

  # Derived values ------------------------------------------------------------

  @property
  def mask_path(self):
    """The run (or masks directory) the starting mask comes from, or '':
    with --mask_level=L, level L of the lottery trial --mask_from."""
    mask_from = self.sparse.mask_from
    if mask_from == settings.RANDOM_MASK:
      return ''
    if mask_from and self.sparse.mask_level >= 0:
      return paths.run(mask_from, self.sparse.mask_level,
                       constants.EXPERIMENT_NAME)
    return mask_from

  @property
  def sparse_method(self):
    """The SparseMethod (None for runs without the sparse concern)."""
    return (sparse_methods.get(self.values['method']) if self.has('sparse')
            else None)

  def total_steps(self, dataset):
    return durations.to_iterations(self.training.training_len,
                                   self.steps_per_epoch(dataset))

  def steps_per_epoch(self, dataset):
    """Optimizer steps per epoch of `dataset` at this run's batch size."""
    return dataset.steps_per_epoch(self.training.batch_size)

  @property
  def family(self):
    """The network's registry entry (architectures.Family)."""
    return architectures.family(self.model.network)

  def make_dataset(self):
    """The dataset (loaded once per process and shared by all levels)."""
    return _load_dataset(self.data, self.family.flat)

  def hyperparameters(self, num_classes):
    """Model hyperparameters: the network with its widths and padding (a
    CIFAR net: its architecture, width and number of outputs)."""
    return _hyperparameters(self.values, num_classes)

  def stream_seed(self, stream=0):
    """The seed of one random stream of this run: a model's graph seed (its
    initialisation stream) or a sparse run's random choices (sparse_setup's
    offsets), one stream per (seed, stream)."""
    return int(self.training.seed) * constants.SEED_STRIDE + int(stream)

  def layer_names(self):
    """Names of the prunable layers, in order."""
    return list(_layer_kinds(self.values))

  def prune_percents(self):
    """Per-layer pruning fractions: conv layers at the conv rate, hidden
    fully-connected ones at the hidden rate, the output layer at its own."""
    return _prune_percents(self.values)

  def check_connectivity(self, masks, say):
    """Says (through `say`) what of the network `masks` cut off and returns
    what a run records of it (connectivity.check); a ResNet, whose
    shortcuts go around layers, is checked for empty layers only."""
    return connectivity.check(
        masks, [n for n in self.layer_names() if n in masks], say,
        sequential=self.family.sequential)

  # Sparse-method schedules -----------------------------------------------------

  def sparsity_schedule(self, total_steps):
    """The SparsitySchedule of a gradually pruned run, checked against training.

    Raises:
      ValueError: if its steps are inconsistent or outside training.
    """
    sparse = self.sparse
    schedule = schedules.SparsitySchedule(
        sparse.prune_schedule, sparse.sparsity, sparse.prune_begin_step,
        sparse.prune_end_step if sparse.prune_schedule == 'polynomial' else None,
        frequency=sparse.prune_frequency,
        initial_sparsity=sparse.initial_sparsity,
        exponent=sparse.prune_exponent)
    schedule.check_fits(total_steps)
    return schedule

  def last_update_step(self, total_steps):
    """The last step at which set/rigl may change the mask."""
    return int(round(float(self.sparse.update_end) * total_steps))

  def update_steps(self, total_steps):
    """The steps of set/rigl mask updates.

    Raises:
      ValueError: if the schedule leaves no update within training.
    """
    steps = schedules.update_steps(self.sparse.update_freq,
                                   self.last_update_step(total_steps),
                                   total_steps)
    if not steps:
      raise ValueError('--update_freq={} leaves no mask update before step {} '
                       '(--update_end={} of {} steps)'.format(
                           self.sparse.update_freq,
                           self.last_update_step(total_steps),
                           self.sparse.update_end, total_steps))
    return steps


@functools.lru_cache(maxsize=4)
def _load_dataset(data, flatten):
  """The dataset of the data concern's (frozen, hashable) values."""
  return registry.make_dataset(data.dataset,
                               location=data.data_location or None,
                               flatten=flatten,
                               permute_labels=data.permute_labels,
                               train_order_seed=data.train_order_seed,
                               validate_size=data.validate_size,
                               normalized=data.normalize == 'channel')


# Resolution --------------------------------------------------------------------


def resolve(concerns, flags=None, config=None, source='this runner',
            default_overrides=None):
  """A Config from defaults, a saved config.json, a preset and flags.

  Args:
    concerns: the Concerns the caller takes.
    flags: dict flag name -> raw value (from the command line or a caller).
    config: optional path of a config.json to start from (or a Config).
    source: who is asking, for messages ('lottery_experiment').
    default_overrides: dict name -> default differing from the setting's.

  Returns:
    a Config with every value typed, checked and derived.

  Raises:
    ValueError: in one line, for unknown flags, bad values or settings that
      contradict each other.
  """
  concerns = tuple(concerns)
  values = hparams.defaults(concerns, default_overrides)
  if config and not isinstance(config, Config):
    config = read(config, concerns, whole=True)
  given = {k: v for k, v in (config.given() if config else {}).items()
           if k in values}
  parsed_flags = hparams.parse_values(concerns, flags or {}, source)
  preset = parsed_flags.get('preset')
  if preset:
    method = parsed_flags.get('method', values.get('method'))
    given.update(hparams.parse_values(
        concerns, sparse_presets.settings(preset, method),
        'preset {}'.format(preset)))
  given.update(parsed_flags)
  values.update(given)
  # The network's recipe replaces the defaults of what was not given (the
  # settings derived when not given take theirs in _finish).
  values.update({k: v for k, v in settings.family(values).recipe_on(
      values.get('dataset')).items()
                 if k in values and k not in given and values[k] is not None})
  out = _finish(concerns, values)
  check_read(out.values, parsed_flags)
  check_finetune(out.values)
  out.flagged = frozenset(parsed_flags)
  return out


# Why a schedule's final rate is no fine-tuning rate (check_finetune).
_NO_FINETUNE_RATE = {
    'constant': 'its final rate is the rate of all training, so the levels '
                'would retrain exactly as --retrain=rewind_lr',
    'cosine': 'its final rate is about 0, so nothing would train',
    'step': '--lr_drop_factor=1 never lowers the rate, so the levels would '
            'retrain exactly as --retrain=rewind_lr',
}


def check_finetune(values):
  """Refuses --retrain=finetune at a degenerate rate.

  Renda et al. (2020; lottery-ticket/rewinding-iclr20-public) fine-tune at
  the final rate of a step schedule. A run to be trained (not one read back
  for analysis) fine-tunes at that rate only when its schedule decays in
  steps; otherwise it needs --finetune_lr.

  Raises:
    ValueError: naming the schedule and why its final rate is degenerate.
  """
  if (values.get('retrain') != 'finetune' or values['finetune_lr'] > 0 or
      (values['lr_schedule'] == 'step' and values['lr_drop_factor'] < 1)):
    return
  raise ValueError('--retrain=finetune trains at the final rate of '
                   '--lr_schedule={}: {}; give --lr_schedule=step with '
                   '--lr_drops, or a rate with --finetune_lr'.format(
                       values['lr_schedule'],
                       _NO_FINETUNE_RATE[values['lr_schedule']]))


def check_read(values, flags):
  """Refuses a flag the configuration `values` would not read.

  Raises:
    ValueError: naming the flag, its value and what reads it.
  """
  for name in sorted(set(flags) & set(settings.READ_ONLY_WITH)):
    reads, what = settings.READ_ONLY_WITH[name]
    if not reads(values):
      raise ValueError('--{}={} is read only with {}'.format(
          name, hparams.flag_text(flags[name]), what))


def _finish(concerns, values, recorded_derived=()):
  """Derives the values left as None and checks settings against each other.

  A value left to derive comes from the network's family (its derived
  values; its recipe on its dataset) or else from the concern that owns it;
  each concern then checks its own values, and CROSS_RULES those
  that cross concerns. The Config's `derived` are the values left as None
  and those of `recorded_derived` (a config.json's) that it holds.
  """
  names = {c.name for c in concerns}
  values = dict(values)
  derived = {k for k, v in values.items() if v is None}
  derived.update(set(recorded_derived) & set(values))
  for name, value in _family_values(values).items():
    if values.get(name, 0) is None:
      values[name] = value
  for name, derive in _DERIVED.items():
    if values.get(name, 0) is None:
      values[name] = derive(values)
  if 'training' in names:
    if durations.parse(values['training_len'])[1] < 1:
      raise ValueError('--training_len={} trains nothing: give at least '
                       '1it'.format(values['training_len']))
    drop_iterations(values)
  if 'model' in names:
    _finish_model(values)
  if 'data' in names:
    _finish_images(values)
  if 'sparse' in names:
    _finish_sparse(values)
  check_across(values)
  missing = sorted(k for k, v in values.items() if v is None and k not in (
      'prune_begin_step', 'prune_end_step'))  # derived by complete
  assert not missing, 'settings left unresolved: {}'.format(missing)
  return Config(concerns, values, derived)


# How each setting left as None that its network's family does not give is
# derived, by the concern that owns it.
_DERIVED = {
    'data_location': lambda v: registry.default_location(v['dataset']) or '',
    'validate_size': lambda v: registry.default_validate_size(v['dataset']),
    'normalize': lambda v: 'none',
    'learning_rate': lambda v: optimizers.DEFAULT_LEARNING_RATES[
        v['optimizer']],
    'augment': lambda v: 'none',
    'train_order_seed': lambda v: v['seed'],
    'layers': lambda v: settings.family(v).default_layers(v['network']),
    'prune_ignore': lambda v: (settings.family(v).ignored
                               if v['pruning'] != 'global' else ()),
    'init_fan_mode': lambda v: initializers.scheme(v['initializer'])[1],
    'prune_scope': lambda v: sparse_methods.get(v['method']).default_scope(
        v['grasp_variant']),
}


def drop_iterations(values, steps_per_epoch=None):
  """The iterations of the learning-rate drops (none unless
  --lr_schedule=step), with the schedule checked against training: the one
  place of the rules of --lr_drops and --warmup_steps.

  Args:
    values: the training settings (a dict, or Config.training).
    steps_per_epoch: the dataset's; without it, what needs converting
      epochs is left for the check with the dataset (complete).

  Returns:
    the drops in iterations (None if they need steps_per_epoch).

  Raises:
    ValueError: naming the value, if step has no drops, the drops are not
      increasing iterations within training, or the warm-up outlasts it.
  """
  get = values.get if isinstance(values, dict) else lambda n: getattr(values, n)
  step, drops = get('lr_schedule') == 'step', tuple(get('lr_drops'))
  if step and not drops:
    raise ValueError('--lr_schedule=step needs --lr_drops, the iterations '
                     'or epochs of the drops (e.g. 80ep,120ep)')
  lengths = (drops if step else ()) + (get('training_len'),)
  if steps_per_epoch is None and any(
      durations.parse(d)[0] != 'iterations' for d in lengths):
    return None
  *iterations, total = [durations.to_iterations(d, steps_per_epoch or 1)
                        for d in lengths]
  if get('warmup_steps') > total:
    raise ValueError('--warmup_steps={} is longer than training '
                     '(--training_len={}: {} iterations)'.format(
                         get('warmup_steps'), get('training_len'), total))
  try:
    return tuple(schedules.check_drops(iterations, total))
  except ValueError as error:
    raise ValueError('--lr_drops={}: {}'.format(','.join(drops), error)) from None


def _family_values(values):
  """What the network's family gives the settings left to derive: its
  derived values and, on its recipe's dataset, its recipe's (the recipe's
  learning rate only with the recipe's optimizer)."""
  family = settings.family(values)
  recipe = family.recipe_on(values.get('dataset'))
  if values.get('optimizer') != recipe.get('optimizer'):
    recipe.pop('learning_rate', None)
  return dict(family.derived, **recipe)


def _finish_model(values):
  """Checks --layers against the network's family."""
  network, family = values['network'], settings.family(values)
  if family.layers == 'none' and values['layers']:
    raise ValueError('--layers={}: {} has no hidden fully-connected layers '
                     '(--layers applies to fc, {})'.format(
                         hparams.flag_text(values['layers']), network,
                         ', '.join(architectures.NAMES)))
  if family.layers == 'some' and not values['layers']:
    raise ValueError('--layers is empty: {} needs its hidden widths'.format(
        network))


def _finish_images(values):
  """Checks the normalisation of images against the dataset."""
  if values['normalize'] == 'channel' and values['dataset'] != 'cifar10':
    raise ValueError('--normalize=channel: only cifar10 has per-channel '
                     'statistics here, not --dataset={}'.format(
                         values['dataset']))


def _augment_reads_images(values):
  if values['augment'] != 'none' and settings.family(values).flat:
    raise ValueError('--augment={} crops and flips images: --network={} '
                     'reads flattened ones'.format(values['augment'],
                                                   values['network']))


def _small_dense_narrows(values):
  if (values['method'] == 'small_dense' and
      not settings.family(values).narrows):
    raise ValueError('--method=small_dense narrows fc and the conv nets; '
                     '--network={} has no widths it narrows'.format(
                         values['network']))


def _ignored_layers_are_pruned(values):
  try:
    pruning.make_prune_masks(values['pruning'], _prune_percents(values), 0,
                             ignore=values['prune_ignore'])
  except ValueError as error:
    raise ValueError('--prune_ignore={}: {}'.format(
        ','.join(values['prune_ignore']), error)) from None


def _levels_prune(values):
  pruned = {name: kind for name, kind in _layer_kinds(values).items()
            if name not in values['prune_ignore']}
  if values['iterations'] and not any(
      _prune_percents(values)[name] for name in pruned):
    rates = ['--{}={}'.format(rate, values[rate])
             for kind, rate in _RATES.items() if kind in pruned.values()]
    if values['prune_ignore']:
      rates.append('--prune_ignore=' + ','.join(values['prune_ignore']))
    raise ValueError('{} prune nothing: the {} levels of --iterations={} '
                     'would all train the dense network'.format(
                         ' '.join(rates), values['iterations'],
                         values['iterations']))


# The rules between settings of different concerns (and a runner's own
# arguments, such as the lottery experiment's --iterations), checked once
# every concern has derived and checked its own: (the names a rule reads,
# the rule, raising a one-line ValueError). A rule applies where every name
# it reads is given (check_across). A flag the configuration would not read
# is refused by settings.READ_ONLY_WITH.
CROSS_RULES = (
    (('augment', 'network'), _augment_reads_images),
    (('method', 'network'), _small_dense_narrows),
    (('prune_ignore', 'network'), _ignored_layers_are_pruned),
    (('iterations', 'prune_ignore', 'network'), _levels_prune),
)


def check_across(values, **arguments):
  """Applies every rule of CROSS_RULES whose names `values` (a dict, or a
  Config's) and a runner's `arguments` hold.

  Raises:
    ValueError: in one line, from the first rule that refuses.
  """
  values = dict(values.values if isinstance(values, Config) else values,
                **arguments)
  for reads, rule in CROSS_RULES:
    if all(name in values for name in reads):
      rule(values)


def _hyperparameters(values, num_classes):
  return settings.family(values).hyperparameters(
      values['network'], values['layers'], num_classes,
      initializer=values['initializer'], padding=values['conv_padding'],
      resnet_width=values['resnet_width'])


def _layer_kinds(values):
  return settings.family(values).layer_kinds(_hyperparameters(values, 1))


# The setting of each kind of layer's pruning rate.
_RATES = {'hidden': 'prune_percent', 'conv': 'prune_percent_conv',
          'output': 'prune_percent_output'}


def _prune_percents(values):
  """Conv layers at the conv rate, hidden fully-connected layers at the
  hidden rate, the output layer at its own."""
  return {name: values[_RATES[kind]]
          for name, kind in _layer_kinds(values).items()}


# The rules of a sparse run's settings, in the order they are checked
# against its method's registry entry: (whether the method and the values
# break it, its one-line refusal, formatted with the values and `ablatable`).
_SPARSE_RULES = (
    (lambda m, v: not m.sparse and v['sparsity'] not in (None, 0.0),
     '--method={method} trains every weight, so it takes no --sparsity (got '
     "{sparsity}); small_dense is a dense net of a sparse one's size"),
    (lambda m, v: m.sparse and v['sparsity'] is None,
     '--method={method} needs --sparsity'),
    (lambda m, v: m.mask_from == 'required' and not v['mask_from'],
     '--method={method} trains the mask of a finished run: give '
     '--mask_from=<run directory>'),
    (lambda m, v: v['mask_from'] and m.mask_from == 'never',
     '--method={method} does not take --mask_from'),
    (lambda m, v: (v['preset'] and m.mask_from == 'optional' and
                   not v['mask_from']),
     "--preset={preset} --method={method}: the paper's configurations start "
     '{method} from the final mask of the prune run (its mask_init_path): '
     'give --mask_from=<prune run>, or --mask_from=random for a random '
     'mask'),
    (lambda m, v: (v['mask_from'] == settings.RANDOM_MASK and
                   m.mask_from != 'optional'),
     '--mask_from=random applies to set and rigl, not --method={method}'),
    (lambda m, v: (v['shuffle_mask'] and
                   v['mask_from'] in ('', settings.RANDOM_MASK)),
     '--shuffle_mask shuffles a --mask_from mask: it applies to lottery, '
     'scratch, and set/rigl with --mask_from, not --method={method} without '
     'one'),
    (lambda m, v: v['ablation'] != 'none' and not m.ablatable,
     '--ablation={ablation} applies to pruning at initialisation '
     '({ablatable}), not --method={method}'),
    (lambda m, v: m.keeps_weights and v['init_method'] != 'dense',
     '--method={method} starts from the saved initial weights; '
     '--init_method={init_method} would replace them'),
)


def _finish_sparse(values):
  """Checks the sparse settings against the method's registry entry
  (_SPARSE_RULES); a dense method's sparsity is 0, a mask run's path
  absolute."""
  method = sparse_methods.get(values['method'])
  for breaks, refusal in _SPARSE_RULES:
    if breaks(method, values):
      raise ValueError(refusal.format_map(dict(
          values, method=method.name, ablatable=', '.join(
              sparse_methods.names_where(lambda m: m.ablatable)))))
  if not method.sparse:
    values['sparsity'] = 0.0
  if values['mask_from'] not in ('', settings.RANDOM_MASK):
    values['mask_from'] = os.path.abspath(values['mask_from'])


# Settings counting training examples drawn at once: none may exceed the
# training split. A sparse run's measurement and decision batches from a
# preset or the defaults are cut to fit a small split
# (sparse_setup.fixed_batches); given as flags, beyond the split they are a
# mistake.
_SAMPLE_SIZES = ('batch_size', 'grad_batch_size', 'grow_batch_size')


def complete(config, dataset):
  """Derives and checks what needs the dataset; returns the final Config.

  Raises:
    ValueError: if a batch is larger than the training set, or a
      rewinding or schedule step lies outside training.
  """
  values = dict(config.values)
  examples = dataset.train.num_examples
  for name in _SAMPLE_SIZES:
    checked = name == 'batch_size' or name in config.flagged
    if name in values and checked and values[name] > examples:
      raise ValueError('--{}={} is larger than the {} training examples '
                       'of {}'.format(name, values[name], examples,
                                      values['dataset']))
  # Every batch fits the training set (above): an epoch is at least a step.
  total = config.total_steps(dataset)
  drop_iterations(values, config.steps_per_epoch(dataset))
  if config.has('lottery') and values['rewind_iteration'] >= total:
    raise ValueError('--rewind_iteration={} is not within the {} training '
                     'iterations'.format(values['rewind_iteration'], total))
  if config.has('sparse'):
    if values['prune_begin_step'] is None:
      values['prune_begin_step'] = int(round(settings.DEFAULT_PRUNE_BEGIN * total))
    if values['prune_end_step'] is None:
      values['prune_end_step'] = max(int(round(settings.DEFAULT_PRUNE_END * total)),
                                     values['prune_begin_step'] + 1)
  out = Config(config.concerns, values, config.derived)
  if out.sparse_method and out.sparse_method.gradual:
    out.sparsity_schedule(total)
  if out.sparse_method and out.sparse_method.growth:
    out.update_steps(total)
  return out


# config.json -------------------------------------------------------------------


def record(config, experiment, details=None):
  """The content of a run's config.json: its settings and details."""
  out = {'format': FORMAT, 'experiment': experiment,
         'derived': sorted(config.derived),
         'details': copy.deepcopy(details or {})}
  out.update(hparams.nested(config.concerns, config.values))
  return out


def read(path, concerns=None, whole=False):
  """The Config saved at `path` (a config.json of either format).

  Args:
    path: a config.json.
    concerns: the Concerns to read (default: every concern the file holds).
      Settings of concerns the file holds but the caller does not take are
      left out; keys that belong to no concern are refused.
    whole: refuse a file that lacks a section of `concerns` (a --config to
      start from: its missing section would be taken from the defaults
      without a word).

  Raises:
    ValueError: naming the file and the unknown key, bad value or missing
      section.
  """
  saved = load_json(path)
  flat, held = flatten(saved, path)
  missing = [c.name for c in concerns or () if c.name not in held]
  if whole and missing:
    raise ValueError('--config={} has no {!r} section (it has: {}): give a '
                     'config.json of this kind of run'.format(
                         path, missing[0], ', '.join(sorted(held)) or
                         'none'))
  if concerns is None:
    concerns = tuple(c for name, c in settings.CONCERNS.items() if name in held)
  values = hparams.defaults(concerns)
  values.update(hparams.parse_values(
      concerns, {k: v for k, v in flat.items() if k in values},
      'config.json at {}'.format(path)))
  return _finish(concerns, values, saved.get('derived') or ())


def load_json(path):
  saved = integrity.read_json(path)  # its error names path and reason
  if not isinstance(saved, dict):
    raise ValueError('{} holds a {}, not a configuration object'.format(
        path, type(saved).__name__))
  return saved


def details(saved):
  """The description part of a parsed config.json (level, sources, ...)."""
  if saved.get('format') == FORMAT:
    return dict(saved.get('details') or {})
  return {k: saved[k] for k in _LEGACY_DETAILS if k in saved}


def flatten(saved, path):
  """(flat dict of setting values, names of the concerns present).

  Format 2 nests settings by concern; format 1 (before concerns) kept the
  shared settings under 'run' and a sparse run's beside them, with null for
  derived values. Either way, keys that are no setting of any concern are
  refused by name.
  """
  known = {s.name: c.name for c in settings.CONCERNS.values() for s in c.settings}
  flat, held = {}, set()
  if saved.get('format') == FORMAT:
    for key, section in saved.items():
      if key in ('format', 'experiment', 'details', 'derived'):
        continue
      if key not in settings.CONCERNS or not isinstance(section, dict):
        raise ValueError('{}: unknown section {!r} (sections: {})'.format(
            path, key, ', '.join(settings.CONCERNS)))
      for name, value in section.items():
        if known.get(name) != key:
          raise ValueError('{}: unknown setting {!r} in section {!r}'.format(
              path, name, key))
        flat[name] = value
      held.add(key)
    return flat, held
  if 'format' in saved:
    raise ValueError('{}: config.json format {!r} is not one this version '
                     'reads (1 or {})'.format(path, saved['format'], FORMAT))
  run = saved.get('run', saved if 'experiment' not in saved else {})
  if not isinstance(run, dict):
    raise ValueError('{}: "run" is not an object'.format(path))
  legacy = dict(run)
  legacy.update({k: v for k, v in saved.items()
                 if k != 'run' and k not in _LEGACY_DETAILS})
  for key, value in legacy.items():
    key = settings.ALIASES.get(key, key)
    if key not in known:
      raise ValueError('{}: unknown setting {!r}'.format(path, key))
    if value is not None:
      flat[key] = value
    held.add(known[key])
  held.update(('data', 'model', 'training'))
  if saved.get('experiment') == 'lottery':
    held.add('lottery')
  return flat, held
