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
from lottery_ticket.foundations import architectures
from lottery_ticket.foundations import connectivity
from lottery_ticket.foundations import durations
from lottery_ticket.foundations import hparams
from lottery_ticket.foundations import initializers
from lottery_ticket.foundations import optimizers
from lottery_ticket.foundations import pruning
from lottery_ticket.foundations import save_restore
from lottery_ticket.foundations import schedules
from lottery_ticket.foundations import sparse_methods
from lottery_ticket.mnist_fc import constants
from lottery_ticket.mnist_fc import settings
from lottery_ticket.mnist_fc import sparse_presets

FORMAT = 2
# Old config.json files (format 1) kept these beside the settings; they are
# descriptions of the run, not settings, and are carried over as details.
_LEGACY_DETAILS = ('experiment', 'experiment_name', 'level', 'iterations',
                   'prune_percents', 'presets', 'masks', 'total_steps',
                   'start', 'source', 'mode')
_LEGACY_RENAMES = {'save_freq': 'checkpoint_interval',
                   'log_freq': 'test_interval'}


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

  def to_json(self):
    return hparams.nested(self.concerns, self.values)

  def identity_differences(self, recorded):
    """(name, recorded value, this value) of each identity setting that differs."""
    return hparams.differences(self.concerns, recorded.values, self.values)

  # Derived values ------------------------------------------------------------

  @property
  def mask_path(self):
    """The run (or masks directory) the starting mask comes from, or ''."""
    return '' if self.sparse.mask_from == settings.RANDOM_MASK else self.sparse.mask_from

  @property
  def sparse_method(self):
    """The SparseMethod (None for runs without the sparse concern)."""
    if not self.has('sparse'):
      return None
    return sparse_methods.get(self.values['method'])

  def total_steps(self, dataset):
    return durations.to_iterations(self.training.training_len,
                                   self.steps_per_epoch(dataset))

  def steps_per_epoch(self, dataset):
    """Optimizer steps per epoch of `dataset` at this run's batch size."""
    return dataset.steps_per_epoch(self.training.batch_size)

  def make_dataset(self):
    """The dataset (loaded once per process and shared by all levels)."""
    return _load_dataset(self.data.dataset, self.data.data_location or None,
                         self.model.network == 'fc', self.data.permute_labels,
                         self.data.train_order_seed, self.data.validate_size,
                         self.data.normalize == 'channel')

  def hyperparameters(self, num_classes):
    """Model hyperparameters: the network with its widths and padding (a
    CIFAR net: its architecture, width and number of outputs)."""
    return _hyperparameters(self.values, num_classes)

  def graph_seed(self, init_stream=0):
    """The graph seed a model of this run is built under: one stream of
    initialisations per (seed, init_stream)."""
    return int(self.training.seed) * constants.SEED_STRIDE + int(init_stream)

  def layer_names(self):
    """Names of the prunable layers, in order."""
    return _layer_names(self.values)

  def prune_percents(self):
    """Per-layer pruning fractions: conv, hidden fully-connected, output."""
    return _prune_percents(self.values)

  def prune_ignore(self):
    """The layers the lottery experiment never prunes."""
    return self.lottery.prune_ignore

  def check_connectivity(self, masks, say):
    """Says (through `say`) what of the network `masks` cut off and returns
    what a run records of it (connectivity.check); a ResNet, whose
    shortcuts go around layers, is checked for empty layers only."""
    return connectivity.check(
        masks, [n for n in self.layer_names() if n in masks], say,
        sequential=not architectures.is_resnet(self.model.network))

  def output_layer(self):
    return self.layer_names()[-1]

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
def _load_dataset(name, location, flatten, permute_labels, order_seed,
                  validate_size, normalized):
  return registry.make_dataset(name, location=location, flatten=flatten,
                               permute_labels=permute_labels,
                               train_order_seed=order_seed,
                               validate_size=validate_size,
                               normalized=normalized)


# Resolution --------------------------------------------------------------------


def concerns_for(names):
  return tuple(settings.CONCERNS[n] for n in names)


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
  flags = dict(flags or {})
  values = hparams.defaults(concerns, default_overrides)
  if isinstance(config, Config):
    values.update({k: v for k, v in config.given().items() if k in values})
  elif config:
    values.update({k: v for k, v in read(config, concerns, whole=True)
                   .given().items() if k in values})
  parsed_flags = hparams.parse_values(concerns, flags, source)
  preset = parsed_flags.get('preset')
  if preset:
    method = parsed_flags.get('method', values.get('method'))
    values.update(hparams.parse_values(
        concerns, sparse_presets.settings(preset, method),
        'preset {}'.format(preset)))
  values.update(parsed_flags)
  out = _finish(concerns, values)
  check_read(out.values, parsed_flags)
  out.flagged = frozenset(parsed_flags)
  return out


def check_read(values, flags):
  """Refuses a flag the configuration `values` would not read.

  Raises:
    ValueError: naming the flag, its value and what reads it.
  """
  for name in sorted(flags):
    if name in settings.READ_ONLY_WITH and not settings.READ_ONLY_WITH[name][0](values):
      value = flags[name]
      if isinstance(value, tuple):
        value = ','.join(str(v) for v in value)
      raise ValueError('--{}={} is read only with {}'.format(
          name, value, settings.READ_ONLY_WITH[name][1]))


def _finish(concerns, values):
  """Derives the values left as None and checks settings against each other."""
  names = {c.name for c in concerns}
  values = dict(values)
  derived = {k for k, v in values.items() if v is None}
  if 'data' in names:
    if values['data_location'] is None:
      values['data_location'] = registry.default_location(values['dataset']) or ''
    if values['validate_size'] is None:
      values['validate_size'] = registry.default_validate_size(values['dataset'])
  if 'training' in names:
    if values['learning_rate'] is None:
      values['learning_rate'] = optimizers.DEFAULT_LEARNING_RATES[
          values['optimizer']]
    if durations.parse(values['training_len'])[1] < 1:
      raise ValueError('--training_len={} trains nothing: give at least '
                       '1it'.format(values['training_len']))
    if 'data' in names and values['train_order_seed'] is None:
      values['train_order_seed'] = values['seed']
    if values['lr_schedule'] == 'step' and not values['lr_drops']:
      raise ValueError('--lr_schedule=step needs --lr_drops, the iterations '
                       'or epochs of the drops (e.g. 80ep,120ep)')
  if 'model' in names:
    _finish_model(values)
    if 'data' in names:
      _finish_images(values)
  if 'lottery' in names:
    _finish_lottery(values, 'model' in names)
  if 'sparse' in names:
    _finish_sparse(values)
  missing = sorted(k for k, v in values.items()
                   if v is None and not _derived_later(k))
  assert not missing, 'settings left unresolved: {}'.format(missing)
  return Config(concerns, values, derived)


def _finish_model(values):
  """Derives the network's widths and initialiser; a CIFAR net takes no
  --layers, the others need at least one width."""
  network = values['network']
  cifar = is_cifar_network(network)
  if values['layers'] is None:
    values['layers'] = _default_layers(network)
  elif cifar and values['layers']:
    raise ValueError('--layers={}: {} has no hidden fully-connected layers '
                     '(--layers applies to fc and {})'.format(
                         ','.join(str(u) for u in values['layers']), network,
                         ', '.join(architectures.NAMES)))
  elif not cifar and not values['layers'] and network != 'fc':
    raise ValueError('--layers is empty: {} needs its hidden widths'.format(
        network))
  if values['initializer'] is None:
    values['initializer'] = (architectures.CIFAR_INITIALIZER if cifar
                             else 'glorot_normal')


def _finish_images(values):
  """Derives and checks the normalisation and augmentation of images."""
  recipe = (is_cifar_network(values['network']) and
            values['dataset'] == 'cifar10')
  if values['normalize'] is None:
    values['normalize'] = 'channel' if recipe else 'none'
  if values['normalize'] == 'channel' and values['dataset'] != 'cifar10':
    raise ValueError('--normalize=channel: only cifar10 has per-channel '
                     'statistics here, not --dataset={}'.format(
                         values['dataset']))
  if 'augment' not in values:
    return
  if values['augment'] is None:
    values['augment'] = 'crop_flip' if recipe else 'none'
  if values['augment'] != 'none' and values['network'] == 'fc':
    raise ValueError('--augment={} crops and flips images: --network=fc '
                     'reads flattened ones'.format(values['augment']))


def _finish_lottery(values, with_model):
  """Derives the conv rate and the ignored layers, and checks them
  against the network's layers and the strategy."""
  cifar = with_model and is_cifar_network(values['network'])
  if values['pruning'] is None:
    values['pruning'] = 'global_with_output' if cifar else 'layerwise'
  if values['prune_percent_conv'] is None:
    values['prune_percent_conv'] = (settings.CIFAR_PRUNE_PERCENT if cifar
                                    else settings.CONV_PRUNE_PERCENT)
  if values['prune_ignore'] is None:
    values['prune_ignore'] = (
        architectures.cifar_ignored_layers(values['network'])
        if cifar and values['pruning'] != 'global' else ())
  if not with_model:
    return
  percents = _prune_percents(values)
  try:
    pruning.make_prune_masks(values['pruning'], percents, 0,
                             ignore=values['prune_ignore'])
  except ValueError as error:
    raise ValueError('--prune_ignore={}: {}'.format(
        ','.join(values['prune_ignore']), error)) from None


def _derived_later(name):
  """Settings that need the dataset's size to be derived (see complete)."""
  return name in ('prune_begin_step', 'prune_end_step')


def is_cifar_network(network):
  """Whether `network` is a CIFAR ResNet or VGG (model_cifar)."""
  return network in architectures.CIFAR_NAMES


def _hyperparameters(values, num_classes):
  network = values['network']
  if is_cifar_network(network):
    spec = architectures.cifar_architecture(network, values['resnet_width'])
    spec.update(outputs=num_classes, initializer=values['initializer'])
    return spec
  hidden = [(units, 'relu') for units in values['layers']]
  if network == 'fc':
    return {'layers': hidden + [(num_classes, None)],
            'initializer': values['initializer']}
  spec = architectures.architecture(network)
  spec['fc_layers'] = hidden + [(num_classes, None)]
  spec['initializer'] = values['initializer']
  spec['padding'] = values['conv_padding']
  return spec


def _layer_names(values):
  network = values['network']
  if network == 'fc':
    return ['layer{}'.format(i) for i in range(len(values['layers']) + 1)]
  if is_cifar_network(network):
    return architectures.cifar_layer_names(_hyperparameters(values, 1))
  spec = architectures.architecture(network)
  convs = [l for l in spec['conv_layers'] if l != architectures.POOL]
  return (['conv{}'.format(i) for i in range(len(convs))] +
          ['fc{}'.format(i) for i in range(len(values['layers']) + 1)])


def _prune_percents(values):
  """Conv layers (a CIFAR net's every layer but the output) at the conv
  rate, hidden fully-connected layers at the hidden rate, the output layer
  at its own."""
  names = _layer_names(values)
  cifar = is_cifar_network(values['network'])
  percents = {}
  for index, name in enumerate(names):
    if index == len(names) - 1:
      percents[name] = values['prune_percent_output']
    elif cifar or name.startswith('conv'):
      percents[name] = values['prune_percent_conv']
    else:
      percents[name] = values['prune_percent']
  return percents


def _default_layers(network):
  if is_cifar_network(network):
    return ()
  if network == 'fc':
    return tuple(units for units, _ in constants.HYPERPARAMETERS['layers'][:-1])
  return tuple(units for units, _ in
               architectures.architecture(network)['fc_layers'][:-1])


def _finish_sparse(values):
  """Checks the sparse settings against the method's registry entry."""
  method = sparse_methods.get(values['method'])
  if method.name == 'small_dense' and is_cifar_network(values['network']):
    raise ValueError('--method=small_dense narrows fc and the conv nets; '
                     '--network={} has no widths it narrows'.format(
                         values['network']))
  if not method.sparse:
    if values['sparsity'] not in (None, 0.0):
      raise ValueError('--method={} trains every weight, so it takes no '
                       '--sparsity (got {}); small_dense is a dense net of a '
                       "sparse one's size".format(method.name,
                                                  values['sparsity']))
    values['sparsity'] = 0.0
  elif values['sparsity'] is None:
    raise ValueError('--method={} needs --sparsity'.format(method.name))
  if method.mask_from == 'required' and not values['mask_from']:
    raise ValueError('--method={} trains the mask of a finished run: give '
                     '--mask_from=<run directory>'.format(method.name))
  if values['mask_from'] and method.mask_from == 'never':
    raise ValueError('--method={} does not take --mask_from'.format(
        method.name))
  if (values['preset'] and method.mask_from == 'optional' and
      not values['mask_from']):
    raise ValueError(
        "--preset={} --method={}: the paper's configurations start {} from "
        'the final mask of the prune run (its mask_init_path): give '
        '--mask_from=<prune run>, or --mask_from=random for a random '
        'mask'.format(values['preset'], method.name, method.name))
  if values['mask_from'] == settings.RANDOM_MASK:
    if method.mask_from != 'optional':
      raise ValueError('--mask_from=random applies to set and rigl, not '
                       '--method={}'.format(method.name))
  elif values['mask_from']:
    values['mask_from'] = os.path.abspath(values['mask_from'])
  if values['shuffle_mask'] and values['mask_from'] in ('',
                                                       settings.RANDOM_MASK):
    raise ValueError('--shuffle_mask shuffles a --mask_from mask: it applies '
                     'to lottery, scratch, and set/rigl with --mask_from, not '
                     '--method={} without one'.format(method.name))
  if values['ablation'] != 'none' and not method.ablatable:
    raise ValueError('--ablation={} applies to pruning at initialisation '
                     '({}), not --method={}'.format(
                         values['ablation'], ', '.join(
                             sparse_methods.names_where(
                                 lambda m: m.ablatable)), method.name))
  if method.keeps_weights and values['init_method'] != 'dense':
    raise ValueError('--method={} starts from the saved initial weights; '
                     '--init_method={} would replace them'.format(
                         method.name, values['init_method']))
  if values['init_fan_mode'] is None:
    values['init_fan_mode'] = initializers.scheme(values['initializer'])[1]
  if values['prune_scope'] is None:
    values['prune_scope'] = method.default_scope(values['grasp_variant'])


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
  derived = set(config.derived)
  examples = dataset.train.num_examples
  for name in _SAMPLE_SIZES:
    if name not in values or (name != 'batch_size' and
                              name not in config.flagged):
      continue
    if values[name] > examples:
      raise ValueError('--{}={} is larger than the {} training examples '
                       'of {}'.format(name, values[name], examples,
                                      values['dataset']))
  total = durations.to_iterations(values['training_len'],
                                  dataset.steps_per_epoch(values['batch_size']))
  if total < 1:
    raise ValueError('--training_len={} trains nothing'.format(
        values['training_len']))
  if values['lr_schedule'] == 'step':
    try:
      schedules.check_drops(
          [durations.to_iterations(d, dataset.steps_per_epoch(
              values['batch_size'])) for d in values['lr_drops']], total)
    except ValueError as error:
      raise ValueError('--lr_drops={}: {}'.format(
          ','.join(values['lr_drops']), error)) from None
  if config.has('lottery') and values['rewind_iteration'] >= total:
    raise ValueError('--rewind_iteration={} is not within the {} training '
                     'iterations'.format(values['rewind_iteration'], total))
  if config.has('sparse'):
    method = sparse_methods.get(values['method'])
    if values['prune_begin_step'] is None:
      derived.add('prune_begin_step')
      values['prune_begin_step'] = int(round(settings.DEFAULT_PRUNE_BEGIN * total))
    if values['prune_end_step'] is None:
      derived.add('prune_end_step')
      values['prune_end_step'] = max(int(round(settings.DEFAULT_PRUNE_END * total)),
                                     values['prune_begin_step'] + 1)
    out = Config(config.concerns, values, derived)
    if method.gradual:
      out.sparsity_schedule(total)
    if method.growth:
      out.update_steps(total)
    return out
  return Config(config.concerns, values, derived)


# config.json -------------------------------------------------------------------


def record(config, experiment, details=None):
  """The content of a run's config.json: its settings and details."""
  out = {'format': FORMAT, 'experiment': experiment,
         'derived': sorted(config.derived),
         'details': copy.deepcopy(details or {})}
  out.update(config.to_json())
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
  wanted = {s for c in concerns for s in c.names()}
  values = hparams.defaults(concerns)
  values.update(hparams.parse_values(
      concerns, {k: v for k, v in flat.items() if k in wanted},
      'config.json at {}'.format(path)))
  derived = set(saved.get('derived') or ()) & set(values)
  out = _finish(concerns, values)
  return Config(out.concerns, out.values, out.derived | derived)


def load_json(path):
  try:
    saved = save_restore.read_json(path)
  except ValueError as error:
    raise ValueError('{} is not valid JSON: {}'.format(path, error)) from None
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
    key = _LEGACY_RENAMES.get(key, key)
    if key not in known:
      raise ValueError('{}: unknown setting {!r}'.format(path, key))
    if value is not None:
      flat[key] = value
    held.add(known[key])
  held.update(('data', 'model', 'training'))
  if saved.get('experiment') == 'lottery':
    held.add('lottery')
  return flat, held
