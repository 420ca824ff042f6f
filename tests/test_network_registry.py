"""The network registry (foundations/models/architectures.py): one entry per
family, its recipe on its dataset, and fc and conv runs as they were.

A bare `--network=resnet20 --dataset=cifar10` resolves to OpenLTH's
cifar_resnet_20 default_hparams (models/cifar_resnet.py), written out here
by hand; a flag overrides one value; the configurations of fc and conv
runs are byte for byte those of the commit before the registry (3d57ac0),
whose config.json hashes are pinned below.
"""

import hashlib
import json

import pytest

from lottery_ticket.foundations.models import architectures
from lottery_ticket.mnist_fc import config as config_lib
from lottery_ticket.mnist_fc import experiments

# OpenLTH's cifar_resnet_20 and cifar_vgg_16 default_hparams in this
# library's settings, with the values the CIFAR nets derive.
OPENLTH = {
    'optimizer': 'momentum', 'learning_rate': 0.1, 'momentum': 0.9,
    'batch_size': 128, 'training_len': '160ep', 'lr_schedule': 'step',
    'lr_drops': ('80ep', '120ep'), 'lr_drop_factor': 0.1,
    'weight_decay': 1e-4, 'weight_decay_on': 'all', 'warmup_steps': 0,
    'validate_size': 0, 'initializer': 'kaiming_normal',
    'pruning': 'global_with_output', 'prune_percent_conv': 0.2,
    'augment': 'crop_flip', 'normalize': 'channel',
}


def _lottery(**flags):
  return experiments.LOTTERY.resolve(flags)


@pytest.mark.parametrize('network, ignored', [('resnet20', ()),
                                              ('vgg16', ('fc',))])
def test_a_bare_cifar_net_on_cifar10_trains_openlths_recipe(network, ignored):
  values = _lottery(network=network, dataset='cifar10').values
  assert {k: values[k] for k in OPENLTH} == OPENLTH
  assert values['prune_ignore'] == ignored


def test_a_flag_overrides_one_value_of_the_recipe():
  values = _lottery(network='resnet20', dataset='cifar10',
                    batch_size=64).values
  assert values['batch_size'] == 64
  assert {k: values[k] for k in OPENLTH if k != 'batch_size'} == {
      k: v for k, v in OPENLTH.items() if k != 'batch_size'}
  # The recipe's rate goes with its optimizer: Adam takes its own.
  adam = _lottery(network='resnet20', dataset='cifar10', optimizer='adam')
  assert adam.training.learning_rate == 1.2e-3
  assert adam.training.lr_drops == ('80ep', '120ep')
  # A config.json is a whole recipe: nothing of the network's replaces it.
  base = _lottery(network='resnet20', dataset='cifar10', batch_size=32,
                  lr_schedule='constant')
  again = experiments.LOTTERY.resolve({}, config=base)
  assert again.values == base.values


def test_off_its_dataset_a_cifar_net_takes_the_library_defaults():
  values = _lottery(network='resnet20', dataset='digits').values
  assert (values['optimizer'], values['learning_rate'], values['batch_size'],
          values['lr_schedule'], values['validate_size']) == (
              'adam', 1.2e-3, 60, 'constant', 237)
  # What the family derives still holds: initialiser and pruning.
  assert (values['initializer'], values['pruning']) == (
      'kaiming_normal', 'global_with_output')


ADDED_SINCE = (('lottery', 'finetune_lr'), ('sparse', 'mask_level'))
# sha256 (first 16 hex digits) of config.json of these runs, made by
# commit 3d57ac0, before the registry.
BEFORE = [
    (experiments.TRAIN, 'train', {'dataset': 'mnist'}, '98cd9c90e87c9dbd'),
    (experiments.TRAIN, 'train', {'network': 'lenet5', 'dataset': 'digits',
                                  'conv_padding': 'VALID'},
     '99ec18cdc4d57157'),
    (experiments.LOTTERY, 'lottery', {'network': 'conv6',
                                      'dataset': 'cifar10'},
     '751e92bb15767e8d'),
    (experiments.LOTTERY, 'lottery', {'dataset': 'digits', 'layers': '12',
                                      'prune_percent': 0.3},
     'e926c08553159c1a'),
    (experiments.SPARSE_TRAIN, 'sparse', {
        'method': 'small_dense', 'sparsity': 0.9, 'network': 'lenet5',
        'dataset': 'mnist'}, 'c03a124d13b8cc3b'),
    (experiments.SPARSE_TRAIN, 'sparse', {
        'method': 'rigl', 'sparsity': 0.9, 'preset': 'mlp',
        'mask_from': 'random'}, '85e8880702b6b67e'),
]


@pytest.mark.parametrize('experiment, kind, flags, digest', BEFORE,
                         ids=[str(c[2]) for c in BEFORE])
def test_fc_and_conv_runs_keep_their_config_json(experiment, kind, flags,
                                                 digest):
  config = experiment.resolve(dict(flags, data_location='/nowhere'))
  record = config_lib.record(config, kind)
  # Settings added since 3d57ac0 (at values that change no run), and
  # prune_scope, derived per method since then (the same value here).
  for concern, name in ADDED_SINCE:
    record.get(concern, {}).pop(name, None)
  if 'derived' in record:
    record['derived'] = [d for d in record['derived'] if d != 'prune_scope']
  text = json.dumps(record, sort_keys=True)
  assert hashlib.sha256(text.encode()).hexdigest()[:16] == digest


@pytest.mark.parametrize('network', architectures.NETWORKS)
def test_each_network_has_one_family_that_knows_its_hyperparameters(network):
  family = architectures.family(network)
  assert [f.name for f in architectures.FAMILIES
          if network in f.networks] == [family.name]
  config = _lottery(network=network, dataset='digits')
  spec = config.hyperparameters(10)
  assert architectures.of(spec) is family
  kinds = family.layer_kinds(spec)
  assert list(kinds) == config.layer_names()
  assert list(kinds.values())[-1] == 'output'
  assert 'output' not in list(kinds.values())[:-1]
  percents = config.prune_percents()
  rates = {'conv': 0.1 if family.name in ('fc', 'conv') else 0.2,
           'hidden': 0.2, 'output': 0.1}
  assert percents == {n: rates[k] for n, k in kinds.items()}
  # small_dense narrows fc and the conv nets only.
  if family.narrows:
    widths = family.hidden_widths(spec)
    assert family.hidden_widths(family.with_widths(
        spec, iter(w + 1 for w in widths))) == [w + 1 for w in widths]
  else:
    assert not hasattr(family, 'hidden_widths')


def test_a_network_of_no_family_is_named():
  with pytest.raises(ValueError, match="No such network: 'resnet21'"):
    architectures.family('resnet21')
  with pytest.raises(ValueError, match='of no network family'):
    architectures.of({'units': 3})
