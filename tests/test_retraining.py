"""Retraining variants of the lottery experiment (Renda et al. 2020):
rewinding the learning rate and fine-tuning keep the previous level's
trained weights under the new mask."""

import json
import os

import numpy as np
import packed_testlib
import pytest
import tensorflow.compat.v1 as tf

from lottery_ticket import command_line
from lottery_ticket.foundations import paths
from lottery_ticket.foundations import save_restore
from lottery_ticket.foundations.training import schedules
from lottery_ticket.mnist_fc import builders
from lottery_ticket.mnist_fc import config as config_lib
from lottery_ticket.mnist_fc import experiments
from lottery_ticket.mnist_fc import lottery_experiment as lottery_lib
from lottery_ticket.mnist_fc.runners import lottery_experiment as runner

TOTAL = 80
K = 20
FLAGS = dict(dataset='digits', layers=(12,), training_len='{}it'.format(TOTAL),
             test_interval=20, checkpoint_interval=0, save_summaries=False,
             optimizer='sgd', lr_schedule='cosine', rewind_iteration=K)
# Fine-tuning at a step schedule's final rate (Renda et al.): two drops.
STEPS = dict(lr_schedule='step', lr_drops='40it,60it')
RETRAINS = {'rewind_lr': {}, 'finetune': STEPS}


def _load(trial, level, what):
  return save_restore.restore_network(os.path.join(
      paths.run(trial, level, 'same_init'), what))


def _trial(**flags):
  config = experiments.LOTTERY.resolve(dict(FLAGS, **flags))
  config = config_lib.complete(config, config.make_dataset())
  return lottery_lib._Trial('/nonexistent', config, 'same_init', 1, None)  # pylint: disable=protected-access


def _level(trial, level):
  """How the trial trains `level` (its packed_runs.execute arguments)."""
  return trial.training(level, TOTAL, None)


def _rate(optimizer_fn, step):
  """The learning rate `optimizer_fn`'s optimizer uses at global step `step`."""
  with tf.Graph().as_default():
    global_step = tf.train.get_or_create_global_step()
    optimizer = optimizer_fn()
    rate = optimizer._learning_rate  # pylint: disable=protected-access
    rate = rate() if callable(rate) else rate
    with tf.Session() as sess:
      sess.run(global_step.assign(step))
      return float(sess.run(tf.convert_to_tensor(rate)))


@pytest.mark.slow
@pytest.mark.parametrize('retrain', ['rewind_lr', 'finetune'])
def test_a_level_starts_from_the_previous_levels_weights_masked(
    tmp_path, retrain):
  trial = str(tmp_path / retrain)
  lottery_lib.lottery_experiment(trial, iterations=2, retrain=retrain,
                                 **dict(FLAGS, **RETRAINS[retrain]))
  for level in (1, 2):
    before = _load(trial, level - 1, 'final')
    masks = _load(trial, level, 'masks')
    initial = _load(trial, level, 'initial')
    for name, value in before.items():
      expected = value * masks[name] if name in masks else value
      assert initial[name].tobytes() == expected.tobytes(), (level, name)
    log = save_restore.read_log(paths.log(paths.run(trial, level,
                                                    'same_init'), 'test'))
    assert [row['iteration'] for row in log] == [20, 40, 60, 80]
  # Nothing is rewound, so level 0 saves no weights at k.
  assert not os.path.exists(paths.rewind(paths.run(trial, 0, 'same_init'), K))


def test_rewinding_the_learning_rate_replays_the_schedule_from_k():
  trial = _trial(retrain='rewind_lr')
  assert _level(trial, 1).get('first_iteration') == K
  assert _level(trial, 1).get('optimizer_fn') is None  # the configuration's
  rate = _rate(builders.optimizer_fn(trial.config.training, TOTAL), K)
  expected = schedules.learning_rate_np(trial.config.training.learning_rate,
                                        'cosine', TOTAL, K)
  assert rate == pytest.approx(expected, rel=1e-6)
  assert expected < trial.config.training.learning_rate


def test_finetuning_keeps_the_final_rate_of_the_steps():
  trial = _trial(retrain='finetune', **STEPS)
  assert _level(trial, 1).get('first_iteration') == K
  # Two drops by the default factor 0.1.
  final = 0.01 * trial.config.training.learning_rate
  fn = _level(trial, 1)['optimizer_fn']
  for step in (K, TOTAL - 1):
    assert _rate(fn, step) == pytest.approx(final, rel=1e-6)
  assert _level(trial, 0).get('optimizer_fn') is None


def test_finetuning_at_a_given_rate_under_any_schedule():
  for schedule in ('cosine', 'constant'):
    trial = _trial(retrain='finetune', lr_schedule=schedule, finetune_lr=0.03)
    fn = _level(trial, 1)['optimizer_fn']
    for step in (K, TOTAL - 1):
      assert _rate(fn, step) == pytest.approx(0.03, rel=1e-6)
  # Given beside a step schedule, the rate given wins.
  trial = _trial(retrain='finetune', finetune_lr=0.03, **STEPS)
  assert _rate(_level(trial, 1)['optimizer_fn'], K) == pytest.approx(0.03)


SHORT = ['--dataset=digits', '--layers=12', '--training_len=80it',
         '--iterations=1', '--save_summaries=false', '--test_interval=40']


def _lottery_cli(capsys, out, *flags):
  """Runs the lottery runner's command line in-process; (exit code, the
  lines it printed on stderr)."""
  try:
    command_line.run(runner.RUNNER, ['--output_dir=' + str(out)] + SHORT +
                     list(flags))
    code = 0
  except SystemExit as stop:
    code = stop.code
  return code, capsys.readouterr().err.strip().splitlines()


@pytest.mark.parametrize('flags, reason', [
    ([], '--lr_schedule=constant: its final rate is the rate of all '
     'training, so the levels would retrain exactly as --retrain=rewind_lr'),
    (['--optimizer=sgd', '--lr_schedule=cosine'],
     '--lr_schedule=cosine: its final rate is about 0, so nothing would '
     'train'),
    (['--lr_schedule=step'], '--lr_schedule=step needs --lr_drops'),
    (['--lr_schedule=step', '--lr_drops=40it', '--lr_drop_factor=1'],
     '--lr_drop_factor=1 never lowers the rate'),
], ids=['constant', 'cosine', 'step_without_drops', 'step_factor_1'])
def test_finetuning_at_a_degenerate_rate_is_refused(tmp_path, capsys, flags,
                                                    reason):
  out = tmp_path / 'out'
  out.mkdir()
  code, lines = _lottery_cli(capsys, out, '--retrain=finetune', *flags)
  assert code == 2
  assert len(lines) == 1, lines
  assert lines[0].startswith('lottery_experiment: error: ')
  assert reason in lines[0]
  assert os.listdir(out) == []


def test_finetune_lr_is_refused_without_finetuning_or_below_0(tmp_path,
                                                               capsys):
  out = tmp_path / 'out'
  for flags, message in (
      (['--finetune_lr=0.1'], '--finetune_lr=0.1 is read only with '
       '--retrain=finetune'),
      (['--retrain=finetune', '--finetune_lr=-1'],
       '--finetune_lr=-1.0 must be >= 0')):
    code, lines = _lottery_cli(capsys, out, *flags)
    assert (code, len(lines)) == (2, 1), lines
    assert message in lines[0]
  assert not out.exists()


@pytest.mark.parametrize('flags', [
    ['--lr_schedule=step', '--lr_drops=40it'],
    ['--finetune_lr=0.002'],
    ['--optimizer=sgd', '--lr_schedule=cosine', '--finetune_lr=0.01'],
], ids=['step', 'constant_with_rate', 'cosine_with_rate'])
def test_finetuning_is_accepted_with_steps_or_a_rate(flags):
  command_line.validate_flags(runner.RUNNER, ['--output_dir=/nonexistent'] +
                              SHORT + ['--retrain=finetune'] + flags)


@pytest.mark.slow
def test_a_packed_finetuned_trial_records_its_rate(tmp_path, capsys):
  out = tmp_path / 'out'
  code, _ = _lottery_cli(capsys, out, '--retrain=finetune',
                         '--finetune_lr=0.002', '--trials=1')
  assert code == 0
  level = paths.run(str(out / 'trial0'), 1, 'same_init')
  with open(paths.config(level)) as f:
    saved = json.load(f)
  assert saved['lottery']['finetune_lr'] == 0.002
  assert saved['lottery']['retrain'] == 'finetune'


def test_rewinding_weights_is_unchanged():
  trial = _trial()
  assert _level(trial, 0)['save_weights_at'] == [K]
  assert _level(trial, 1).get('optimizer_fn') is None
  reset = {'layer0': np.ones(2)}
  assert trial.start(reset, {'layer0': np.zeros(2)}) is reset


def test_rewind_schedule_is_refused_without_rewinding_weights():
  with pytest.raises(ValueError, match='--rewind_schedule=restart is read '
                     'only with'):
    experiments.LOTTERY.resolve(dict(FLAGS, retrain='rewind_lr',
                                     rewind_schedule='restart'))


@pytest.mark.slow
def test_packed_finetuning_trials_are_the_unpacked_runs(tmp_path):
  flags = dict(FLAGS, retrain='finetune', training_len='40it',
               finetune_lr=0.01)
  lottery_lib.lottery_experiment(str(tmp_path / 'packed'), iterations=1,
                                 trials=2, **flags)
  alone = str(tmp_path / 'alone')
  lottery_lib.lottery_experiment(alone, iterations=1, seed=1, **flags)
  packed_testlib.assert_same_trees(str(tmp_path / 'packed' / 'trial1'), alone)
