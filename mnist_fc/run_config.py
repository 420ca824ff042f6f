"""One place for the hyperparameters of a run, with their help text.

`RunConfig` holds every setting the mnist_fc experiments share (data,
network, optimizer, schedule, seeds). Runners take these as flags, a run
writes its resolved configuration to `config.json`, and a later run may start
from such a file (`--config=path/config.json`) and override single values.
From a RunConfig come the three callables the experiment loop needs:
`make_dataset`, `make_model` and the training parameters.
"""

import dataclasses
import functools
import json
import os
from typing import Optional

import tensorflow.compat.v1 as tf

from lottery_ticket.datasets import registry
from lottery_ticket.foundations import durations
from lottery_ticket.foundations import model_conv
from lottery_ticket.foundations import model_fc
from lottery_ticket.foundations import optimizers
from lottery_ticket.mnist_fc import constants

# Validation examples held out of the training set, per dataset.
DEFAULT_VALIDATE_SIZE = {'mnist': constants.VALIDATE_SIZE,
                         'fashion_mnist': constants.VALIDATE_SIZE,
                         'digits': 237, 'cifar10': 5000}


def _field(default, help_text):
  return dataclasses.field(default=default, metadata={'help': help_text})


@dataclasses.dataclass
class RunConfig(object):
  """Settings of a training run; each field is also a command-line flag."""
  dataset: str = _field('mnist', 'mnist, fashion_mnist, digits (offline) or cifar10')
  data_location: Optional[str] = _field(None, 'dataset directory or .npz (default: mnist_fc.locations)')
  network: str = _field('fc', "'fc' (an MLP of `layers`) or lenet5, conv2, conv4, conv6")
  layers: Optional[tuple] = _field(None, 'hidden layer sizes of the MLP (default 300,100)')
  initializer: str = _field('glorot_normal', 'kernel initialisation scheme')
  training_len: str = _field(durations.format_len(constants.TRAINING_LEN), 'training length per level: 500it, 3ep, ...')
  batch_size: int = _field(constants.BATCH_SIZE, 'examples per step')
  optimizer: str = _field('adam', "'adam' (lr 1.2e-3, the paper) or 'sgd' (lr 0.1, the original code); also 'momentum', 'rmsprop'")
  learning_rate: Optional[float] = _field(None, "learning rate (default: the optimizer's)")
  validate_size: Optional[int] = _field(None, 'validation examples held out of training (default per dataset)')
  test_interval: int = _field(constants.TEST_INTERVAL, 'evaluate test (and validation) every N iterations')
  checkpoint_interval: Optional[int] = _field(5000, 'checkpoint every N iterations so a killed run resumes')
  save_summaries: bool = _field(True, 'write TensorBoard summaries')
  prune_percent: float = _field(constants.PRUNE_PERCENTS['layer0'], 'fraction of surviving hidden fully-connected weights pruned per level')
  prune_percent_conv: float = _field(0.1, 'fraction of surviving conv weights pruned per level')
  prune_percent_output: float = _field(constants.PRUNE_PERCENTS['layer2'], 'fraction of surviving output-layer weights pruned per level')
  seed: int = _field(0, 'fixes initialisation, data order and every other random choice')
  train_order_seed: Optional[int] = _field(None, 'seed of the training order (default: seed)')
  permute_labels: bool = _field(False, 'shuffle training labels across examples (random-label control)')

  def __post_init__(self):
    registry.check_name(self.dataset)
    durations.parse(self.training_len)
    if self.network != 'fc':
      model_conv.architecture(self.network)
    optimizers.check_name(self.optimizer)
    if isinstance(self.layers, (int, str)):
      self.layers = tuple(int(u) for u in str(self.layers).split(',') if u)
    if self.layers is not None:
      self.layers = tuple(int(u) for u in self.layers)
    if isinstance(self.training_len, (list, tuple)):
      self.training_len = durations.format_len(self.training_len)
    for name in ('prune_percent', 'prune_percent_conv', 'prune_percent_output'):
      value = getattr(self, name)
      if not 0.0 <= float(value) <= 1.0:
        raise ValueError('{} must be in [0, 1], got {}'.format(name, value))
    if int(self.batch_size) < 1:
      raise ValueError('batch_size must be >= 1, got {}'.format(self.batch_size))

  # Construction --------------------------------------------------------------

  @classmethod
  def from_flags(cls, config=None, **flags):
    """A RunConfig from an optional saved config.json plus flag overrides.

    Raises:
      ValueError: naming any flag that is not a field.
    """
    values = {}
    if config:
      with open(config) as f:
        saved = json.load(f)
      values.update(saved.get('run', saved))
    unknown = sorted(set(flags) - set(field_names()))
    if unknown:
      raise ValueError('Unknown flag(s): {} (known: {})'.format(
          ', '.join('--' + u for u in unknown), ', '.join(field_names())))
    values.update(flags)
    known = {k: v for k, v in values.items() if k in field_names()}
    return cls(**known)

  def to_dict(self):
    out = dataclasses.asdict(self)
    out['layers'] = list(self.layers) if self.layers is not None else None
    return out

  # Derived values ------------------------------------------------------------

  @property
  def order_seed(self):
    return self.seed if self.train_order_seed is None else self.train_order_seed

  @property
  def validation_examples(self):
    if self.validate_size is not None:
      return int(self.validate_size)
    return DEFAULT_VALIDATE_SIZE[self.dataset]

  def hidden_layers(self):
    if self.layers is not None:
      return list(self.layers)
    return [units for units, _ in constants.HYPERPARAMETERS['layers'][:-1]]

  def make_dataset(self):
    """The dataset (loaded once per process and shared by all levels)."""
    return _load_dataset(self.dataset, self.data_location,
                         self.network == 'fc', self.permute_labels,
                         self.order_seed, self.validation_examples)

  def hyperparameters(self, num_classes):
    if self.network == 'fc':
      layers = [(u, 'relu') for u in self.hidden_layers()] + [(num_classes, None)]
      return {'layers': layers, 'initializer': self.initializer}
    spec = model_conv.architecture(self.network)
    spec['fc_layers'][-1] = (num_classes, None)
    spec['initializer'] = self.initializer
    return spec

  def make_model_fn(self, num_classes, init_stream=0, hyperparameters=None):
    """callable(inputs, labels, presets=, masks=) -> model, seeded.

    The graph seed is derived from `seed` and `init_stream`, so the same
    flags always give the same initial weights. `hyperparameters` replaces
    self.hyperparameters(num_classes) (e.g. narrower layers).
    """
    model_class = model_fc.ModelFc if self.network == 'fc' else model_conv.ModelConv
    if hyperparameters is None:
      hyperparameters = self.hyperparameters(num_classes)
    graph_seed = int(self.seed) * 1000 + int(init_stream)

    def make_model(inputs, labels, presets=None, masks=None):
      tf.set_random_seed(graph_seed)
      return model_class(hyperparameters, inputs, labels, presets=presets,
                         masks=masks)
    return make_model

  def optimizer_fn(self):
    return optimizers.optimizer_fn(self.optimizer, self.learning_rate)

  def prune_percents(self, layer_names):
    """Per-layer pruning fractions: conv, hidden fully-connected, output."""
    percents = {}
    for index, name in enumerate(layer_names):
      if name.startswith('conv'):
        percents[name] = self.prune_percent_conv
      elif index == len(layer_names) - 1:
        percents[name] = self.prune_percent_output
      else:
        percents[name] = self.prune_percent
    return percents

  def layer_names(self):
    """Names of the prunable layers, in order."""
    if self.network == 'fc':
      return ['layer{}'.format(i) for i in range(len(self.hidden_layers()) + 1)]
    spec = model_conv.architecture(self.network)
    convs = [l for l in spec['conv_layers'] if l != model_conv.POOL]
    return (['conv{}'.format(i) for i in range(len(convs))] +
            ['fc{}'.format(i) for i in range(len(spec['fc_layers']))])

  def train_params(self, label):
    """Keyword parameters of trainer.train for this configuration."""
    return dict(batch_size=int(self.batch_size),
                test_interval=int(self.test_interval),
                validate_interval=int(self.test_interval),
                save_summaries=bool(self.save_summaries),
                checkpoint_interval=self.checkpoint_interval,
                progress=label)


def field_names():
  return [f.name for f in dataclasses.fields(RunConfig)]


def flags_help():
  """A table of the RunConfig flags for runner docstrings."""
  lines = []
  for f in dataclasses.fields(RunConfig):
    lines.append('  --{}: {} (default: {!r})'.format(
        f.name, f.metadata['help'], f.default))
  return '\n'.join(lines)


@functools.lru_cache(maxsize=4)
def _load_dataset(name, location, flatten, permute_labels, order_seed,
                  validate_size):
  return registry.make_dataset(name, location=location, flatten=flatten,
                               permute_labels=permute_labels,
                               train_order_seed=order_seed,
                               validate_size=validate_size)


def write_config(run_dir, run_config, **extra):
  """Writes the resolved configuration of a run to run_dir/config.json."""
  from lottery_ticket.foundations import paths  # pylint: disable=g-import-not-at-top
  from lottery_ticket.foundations import save_restore  # pylint: disable=g-import-not-at-top
  os.makedirs(run_dir, exist_ok=True)
  save_restore.write_json(paths.config(run_dir),
                          {'run': run_config.to_dict(), **extra})
