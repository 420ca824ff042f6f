"""The configuration: typed values, checks, concerns, config.json formats."""

import json
import re

import pytest

from lottery_ticket.foundations import hparams
from lottery_ticket.mnist_fc import builders
from lottery_ticket.mnist_fc import config as config_lib
from lottery_ticket.mnist_fc import settings
from lottery_ticket.mnist_fc import experiments

LOTTERY = experiments.LOTTERY.concerns


@pytest.mark.parametrize('text, expected', [
    ('true', True), ('False', False), ('YES', True), ('no', False), ('1', True),
    ('0', False), (True, True), (0, False)])
def test_booleans_accept_the_usual_spellings(text, expected):
  config = config_lib.resolve(LOTTERY, {'permute_labels': text})
  assert config.data.permute_labels is expected


@pytest.mark.parametrize('text', ['maybe', '2', 'ture', '', 0.5])
def test_booleans_refuse_anything_else(text):
  with pytest.raises(ValueError, match='--permute_labels=.* is not a boolean'):
    config_lib.resolve(LOTTERY, {'permute_labels': text})


@pytest.mark.parametrize('flags, message', [
    ({'batch_size': 60.9}, '--batch_size=60.9 is not an integer'),
    ({'batch_size': True}, '--batch_size=True is not an integer'),
    ({'layers': 1.5}, '--layers=1.5 is not an integer'),
    ({'layers': 0}, '--layers=0 must be >= 1'),
    ({'layers': '300,0'}, '--layers=0 must be >= 1'),
    ({'learning_rate': 'fast'}, "--learning_rate='fast' is not a number"),
    ({'learning_rate': 'nan'}, 'is not a finite number'),
    ({'learning_rate': float('inf')}, 'is not a finite number'),
    ({'learning_rate': 0}, '--learning_rate=0.0 must be > 0'),
    ({'checkpoint_interval': 'abc'}, 'is not an integer'),
    ({'test_interval': 0}, '--test_interval=0 must be >= 1'),
    ({'test_interval': -5}, '--test_interval=-5 must be >= 1'),
    ({'training_len': '0it'}, 'trains nothing'),
    ({'prune_percent': 1.5}, '--prune_percent=1.5 must be < 1'),
    ({'momentum': 1.0}, '--momentum=1.0 must be < 1'),
    ({'optimizer': 'lbfgs'}, "No such optimizer: 'lbfgs'"),
    ({'unknown_flag': 1}, 'does not take --unknown_flag'),
])
def test_bad_values_are_refused_by_name(flags, message):
  with pytest.raises(ValueError, match=re.escape(message)):
    config_lib.resolve(LOTTERY, flags)


def test_every_value_is_resolved_no_nulls():
  config = config_lib.resolve(LOTTERY, {'dataset': 'digits'})
  saved = config_lib.record(config, 'lottery')
  flat = {k: v for section in ('data', 'model', 'training', 'lottery')
          for k, v in saved[section].items()}
  assert None not in flat.values()
  assert flat['layers'] == [300, 100] and flat['learning_rate'] == 1.2e-3
  assert flat['validate_size'] == 237 and flat['train_order_seed'] == 0
  sgd = config_lib.resolve(LOTTERY, {'optimizer': 'sgd', 'seed': 4})
  assert sgd.training.learning_rate == 0.1 and sgd.data.train_order_seed == 4
  lenet = config_lib.resolve(LOTTERY, {'network': 'lenet5'})
  assert lenet.model.layers == (120, 84)


def test_each_runner_takes_only_its_concerns():
  with pytest.raises(ValueError, match='does not take --method'):
    config_lib.resolve(experiments.TRAIN.concerns, {'method': 'rigl'}, source='train')
  with pytest.raises(ValueError, match='does not take --prune_percent'):
    experiments.SPARSE_TRAIN.resolve({'prune_percent': 0.5})
  with pytest.raises(ValueError, match='does not take --rewind_iteration'):
    config_lib.resolve(experiments.TRAIN.concerns, {'rewind_iteration': 5})
  # The lottery experiment takes a whole optimizer recipe.
  recipe = config_lib.resolve(LOTTERY, {
      'optimizer': 'momentum', 'momentum': 0.8, 'lr_schedule': 'cosine',
      'warmup_steps': 10, 'weight_decay': 1e-4, 'clip_norm': 5})
  assert recipe.training.lr_schedule == 'cosine'
  assert recipe.training.clip_norm == 5.0


def test_saved_configuration_round_trips(tmp_path):
  config = config_lib.resolve(experiments.SPARSE_TRAIN.concerns, {
      'method': 'rigl', 'sparsity': 0.9, 'distribution': 'erk',
      'dataset': 'digits', 'layers': (30,)})
  path = tmp_path / 'config.json'
  path.write_text(json.dumps(config_lib.record(config, 'sparse_train')))
  assert config_lib.read(str(path)) == config
  assert config_lib.read(str(path), experiments.SPARSE_TRAIN.concerns) == config


def _write(tmp_path, content):
  path = tmp_path / 'config.json'
  path.write_text(json.dumps(content))
  return str(path)


def test_a_config_json_is_typed_like_flags(tmp_path):
  good = config_lib.record(config_lib.resolve(LOTTERY, {}), 'lottery')
  bad = json.loads(json.dumps(good))
  bad['data']['permute_labels'] = 'false'
  assert config_lib.read(_write(tmp_path, bad)).data.permute_labels is False
  bad['training']['batch_size'] = 60.9
  with pytest.raises(ValueError, match='--batch_size=60.9 is not an integer'):
    config_lib.read(_write(tmp_path, bad))
  bad = json.loads(json.dumps(good))
  bad['training']['bogus'] = 1
  with pytest.raises(ValueError, match="unknown setting 'bogus'"):
    config_lib.read(_write(tmp_path, bad))
  with pytest.raises(ValueError, match='holds a list, not a configuration'):
    config_lib.read(_write(tmp_path, [1, 2]))
  with pytest.raises(ValueError, match='format 7'):
    config_lib.read(_write(tmp_path, {'format': 7}))


def test_old_config_files_keep_loading(tmp_path):
  """Format 1: shared settings under 'run' with nulls, a sparse run's beside."""
  lottery = {'run': {'dataset': 'digits', 'layers': None, 'learning_rate': None,
                     'validate_size': None, 'seed': 3, 'train_order_seed': None,
                     'permute_labels': False, 'optimizer': 'adam',
                     'training_len': '1000it', 'checkpoint_interval': None},
             'experiment': 'lottery', 'level': 2, 'pruning': 'random',
             'rewind_iteration': 0, 'prune_percents': {'layer0': 0.2}}
  config = config_lib.read(_write(tmp_path, lottery))
  assert config.has('lottery') and config.lottery.pruning == 'random'
  assert config.model.layers == (300, 100) and config.data.train_order_seed == 3
  assert config.training.checkpoint_interval == 5000
  assert config_lib.details(lottery)['level'] == 2
  sparse = {'run': {'dataset': 'digits', 'seed': 0}, 'experiment': 'sparse_train',
            'method': 'rigl', 'sparsity': 0.9, 'clip_norm': None,
            'conv_padding': 'valid', 'prune_begin_step': None, 'total_steps': 5,
            'start': {'initial_overall_density': 0.1}}
  config = config_lib.read(_write(tmp_path, sparse))
  assert config.sparse.method == 'rigl' and config.training.clip_norm == 0.0
  assert config.model.conv_padding == 'VALID'
  sparse['mystery'] = 1
  with pytest.raises(ValueError, match="unknown setting 'mystery'"):
    config_lib.read(_write(tmp_path, sparse))


def test_differences_name_only_identity_settings():
  a = config_lib.resolve(LOTTERY, {'seed': 1})
  b = config_lib.resolve(LOTTERY, {'seed': 1, 'checkpoint_interval': 7,
                                   'save_summaries': False})
  assert b.identity_differences(a) == []
  c = config_lib.resolve(LOTTERY, {'seed': 1, 'training_len': '2000it'})
  assert c.identity_differences(a) == [('training_len', '50000it', '2000it')]


def test_help_lists_each_flag_once_with_choices_and_one_default():
  text = hparams.help_text(LOTTERY)
  assert text.count('--dataset ') == 1
  line = [l for l in text.splitlines() if l.startswith('  --pruning')][0]
  assert '{layerwise|' in line and line.count('default') == 1


def test_derived_values_are_derived_again_from_a_saved_configuration(tmp_path):
  saved = config_lib.resolve(LOTTERY, {'seed': 3, 'dataset': 'digits'})
  path = _write(tmp_path, config_lib.record(saved, 'lottery'))
  again = config_lib.resolve(LOTTERY, {'optimizer': 'sgd', 'seed': 5}, path)
  assert again.training.learning_rate == 0.1
  assert again.data.train_order_seed == 5
  assert again.data.validate_size == 237
  given = config_lib.resolve(LOTTERY, {'learning_rate': 0.3, 'seed': 3})
  path = _write(tmp_path, config_lib.record(given, 'lottery'))
  kept = config_lib.resolve(LOTTERY, {'optimizer': 'sgd'}, path)
  assert kept.training.learning_rate == 0.3  # given, not derived: it stays
  assert config_lib.read(path) == given
  assert given.replace(seed=9).data.train_order_seed == 9


def _rates(config, total, steps):
  """The learning rate the trainer's optimizer uses at each global step."""
  import tensorflow.compat.v1 as tf  # pylint: disable=g-import-not-at-top
  out = []
  with tf.Graph().as_default():
    step = tf.train.get_or_create_global_step()
    rate = builders.optimizer_fn(config.training, total)()._learning_rate
    with tf.Session() as sess:
      for value in steps:
        sess.run(step.assign(value))
        out.append(float(sess.run(rate() if callable(rate) else rate)))
  return out


def test_learning_rate_schedule_and_warm_up():
  import math  # pylint: disable=g-import-not-at-top
  cosine = config_lib.resolve(LOTTERY, {'optimizer': 'momentum',
                                        'lr_schedule': 'cosine',
                                        'learning_rate': 0.1})
  expected = [0.05 * (1 + math.cos(math.pi * s / 20)) for s in (0, 5, 10, 20)]
  assert _rates(cosine, 20, [0, 5, 10, 20]) == pytest.approx(expected, rel=1e-6)
  warm = config_lib.resolve(LOTTERY, {'optimizer': 'sgd', 'learning_rate': 0.2,
                                      'warmup_steps': 4})
  assert _rates(warm, 100, [0, 1, 3, 50]) == pytest.approx(
      [0.05, 0.1, 0.2, 0.2], rel=1e-6)


def test_the_trainer_reads_the_training_settings_as_they_are():
  from lottery_ticket.foundations.training import train_options  # pylint: disable=g-import-not-at-top
  config = experiments.TRAIN.resolve({'clip_norm': '0.5',
                                      'checkpoint_interval': '0',
                                      'weight_decay': '1e-4'})
  training = train_options.check(config.training)  # handed over as it is
  assert (training.clip_norm, training.clip_value) == (0.5, 0.0)
  assert training.checkpoint_interval == 0  # 0 is off, here as in the flag
  assert training.weight_decay == 1e-4
  # One declaration: the configuration's training settings are the
  # trainer's, with the same defaults as train_options.options().
  library = train_options.options()
  default = experiments.TRAIN.resolve({}).training
  for setting in train_options.SETTINGS:
    assert settings.TRAINING.get(setting.name) is setting
    assert getattr(default, setting.name) == getattr(library, setting.name)


def test_library_training_settings_are_checked_by_the_same_settings():
  from lottery_ticket.foundations.training import train_options  # pylint: disable=g-import-not-at-top
  assert train_options.options(batch_size='32').batch_size == 32
  for changes, message in [({'batch_size': 0}, '--batch_size=0'),
                           ({'weight_decay': float('nan')}, 'weight_decay'),
                           ({'test_intervall': 5}, 'test_intervall')]:
    with pytest.raises(ValueError, match=message):
      train_options.options(**changes)
  with pytest.raises(TypeError, match='lacks .*batch_size'):
    train_options.check(object())

