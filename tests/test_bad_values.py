"""Values that parse but cannot be honoured are refused before anything is
written: one line naming the flag and the value, exit 2, no output directory
(issue 15). Ctrl-C while a runner starts is one line and exit 130."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from lottery_ticket import command_line
from lottery_ticket.foundations import save_restore
from lottery_ticket.mnist_fc import config as config_lib
from lottery_ticket.mnist_fc import settings
from lottery_ticket.mnist_fc.runners import lottery_experiment
from lottery_ticket.mnist_fc.runners import reinitialize
from lottery_ticket.mnist_fc.runners import sparse_train
from lottery_ticket.mnist_fc.runners import train

RUNNERS = {'lottery_experiment': lottery_experiment.RUNNER,
           'train': train.RUNNER, 'reinitialize': reinitialize.RUNNER,
           'sparse_train': sparse_train.RUNNER}
SHORT = ['--dataset=digits', '--training_len=20it', '--layers=16']


def _refused(capsys, runner, argv):
  """Runs `runner` in-process; returns its one error line (exit 2)."""
  with pytest.raises(SystemExit) as stop:
    command_line.run(RUNNERS[runner], argv)
  assert stop.value.code == 2
  lines = capsys.readouterr().err.strip().splitlines()
  assert len(lines) == 1, lines
  assert lines[0].startswith(runner + ': error: '), lines
  return lines[0]


def _masks(path, layers):
  shapes = {'layer0': (64, 16), 'layer1': (16, 10)}
  save_restore.save_network(str(path), {n: np.ones(shapes[n], np.float32)
                                        for n in layers})
  return str(path)


def _config_without(path, section):
  config = config_lib.resolve(settings.BASE + (settings.LOTTERY,),
                              {'dataset': 'digits'})
  saved = config_lib.record(config, 'lottery')
  del saved[section]
  path.write_text(json.dumps(saved))
  return str(path)


CASES = [
    # Contradictory settings.
    ('sparse_train', ['--method=prune', '--sparsity=0.9',
                      '--initial_sparsity=0.95'],
     '--initial_sparsity=0.95 is above the final --sparsity=0.9'),
    # Values beyond what the code can honour.
    ('train', ['--seed=4294967296'], '--seed=4294967296 must be <= 2147482'),
    ('train', ['--train_order_seed=-1'], '--train_order_seed=-1 must be >= 0'),
    ('lottery_experiment', ['--prune_percent=1.0'],
     '--prune_percent=1.0 must be < 1'),
    ('lottery_experiment', ['--prune_percent_output=1'],
     '--prune_percent_output=1.0 must be < 1'),
    ('lottery_experiment', ['--prune_percent=-0.1'],
     '--prune_percent=-0.1 must be >= 0'),
    ('sparse_train', ['--method=rigl', '--sparsity=0.5',
                      '--grow_batch_size=100000'],
     '--grow_batch_size=100000 is larger than the'),
    ('sparse_train', ['--trials=100000'], '--trials=100000 must be <= 64'),
    ('lottery_experiment', ['--seed=2147481', '--trials=3'],
     '--seed=2147481 --trials=3 reaches seed 2147483'),
    ('reinitialize', ['--level=500'], '--level=500 must be <= 499'),
    ('train', ['--training_len=2.5ep'], "'2.5ep' is not a whole number"),
    ('train', ['--training_len=100.5it'], "'100.5it' is not a whole number"),
    ('train', ['--training_len=(epochs,2.5)'],
     "'(epochs,2.5)' is not like 500it"),
    # Flags the chosen mode ignores.
    ('reinitialize', ['--level=0', '--distribution=/nonexistent'],
     '--distribution=/nonexistent is read by --mode=reuse or reuse_sign, not '
     '--mode=reinit'),
    ('lottery_experiment', ['--rewind_schedule=restart'],
     '--rewind_schedule=restart is read only with --rewind_iteration'),
    ('sparse_train', ['--metainit_steps=5'],
     '--metainit_steps=5 is read only with --init_method=metainit'),
    ('sparse_train', ['--method=snip', '--sparsity=0.5',
                      '--prune_scope=local'],
     "No such prune_scope: 'local' (choose from: global, layer)"),
    ('sparse_train', ['--method=rigl', '--sparsity=0.5',
                      '--prune_scope=global'],
     '--prune_scope=global is read only with --method=snip, grasp'),
    ('lottery_experiment', ['--iterations=1000'],
     '--iterations=1000 must be < 1000'),
    ('train', ['--optimizer=adam', '--momentum=0.5'],
     '--momentum=0.5 is read only with --optimizer=momentum or rmsprop'),
    ('train', ['--masks=/tmp', '--combine=intersection'],
     '--combine=intersection combines several --masks'),
    # Loose parsing.
    ('train', ['foo'], "'foo' is not a flag"),
    ('lottery_experiment', ['--iterations=0', 'foo'],
     "'foo' is not a flag"),
    ('train', ['--layers=16,,8'], "--layers='16,,8' is not a list without"),
    ('train', ['--seed=1', '--seed=2'],
     '--seed is given twice (--seed=1 and --seed=2)'),
    ('reinitialize', [], 'reinitialize needs --level'),
]


@pytest.mark.parametrize('runner, flags, message', CASES,
                         ids=[' '.join(c[1]) for c in CASES])
def test_refused_before_anything_is_written(tmp_path, capsys, runner, flags,
                                            message):
  out = tmp_path / 'out'
  given = {f.split('=')[0] for f in flags}  # each flag once
  short = [f for f in SHORT if f.split('=')[0] not in given]
  line = _refused(capsys, runner, ['--output_dir=' + str(out)] + (
      [] if runner == 'reinitialize' else short) + flags)
  assert message in line
  assert not out.exists()


def test_masks_must_cover_every_layer_and_list_no_empty_entry(tmp_path,
                                                              capsys):
  out = tmp_path / 'out'
  part = _masks(tmp_path / 'part', ['layer0'])
  whole = _masks(tmp_path / 'whole', ['layer0', 'layer1'])
  line = _refused(capsys, 'train', ['--output_dir=' + str(out), '--masks=' +
                                    part] + SHORT)
  assert '--masks={} has no mask for layer layer1'.format(part) in line
  line = _refused(capsys, 'train', ['--output_dir=' + str(out), '--masks={},,{}'
                                    .format(whole, whole)] + SHORT)
  assert '--masks={},,{} has an empty entry'.format(whole, whole) in line
  assert not out.exists()


def test_a_config_missing_a_section_is_named(tmp_path, capsys):
  out = tmp_path / 'out'
  path = _config_without(tmp_path / 'config.json', 'lottery')
  line = _refused(capsys, 'lottery_experiment', ['--output_dir=' + str(out),
                                                 '--config=' + path])
  assert "--config={} has no 'lottery' section".format(path) in line
  assert not out.exists()


def test_output_dir_must_be_given_and_not_empty(tmp_path, capsys,
                                                monkeypatch):
  monkeypatch.chdir(tmp_path)
  assert 'train needs --output_dir' in _refused(capsys, 'train', SHORT)
  assert '--output_dir has an empty value' in _refused(capsys, 'train',
                                             ['--output_dir='] + SHORT)
  assert '--output_dir needs a value' in _refused(capsys, 'train',
                                                  ['--output_dir'] + SHORT)
  assert not os.listdir(tmp_path)


def test_a_refused_value_leaves_an_existing_directory_as_it_was(tmp_path,
                                                                capsys):
  out = tmp_path / 'out'
  out.mkdir()
  (out / 'notes.txt').write_text('mine')
  _refused(capsys, 'train', ['--output_dir=' + str(out), '--seed=-1'] + SHORT)
  assert os.listdir(out) == ['notes.txt']
  assert (out / 'notes.txt').read_text() == 'mine'


def test_ctrl_c_while_starting_is_one_line_and_exit_130(tmp_path):
  out = tmp_path / 'run'
  process = subprocess.Popen(
      [sys.executable, '-m', 'lottery_ticket.mnist_fc.runners.train',
       '--output_dir=' + str(out)] + SHORT,
      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
      # A shell running this suite in the background ignores SIGINT, and its
      # children would inherit that: give the runner the terminal's default.
      preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
  time.sleep(1.0)  # TensorFlow is still being imported (about 4 s)
  process.send_signal(signal.SIGINT)
  _, err = process.communicate(timeout=60)
  assert process.returncode == 130, err
  assert err.strip().splitlines() == [
      'train: interrupted; what was saved (finished runs and levels, the '
      'latest checkpoint) is kept: run the same command again to resume']
  assert not out.exists()


# Issue 25, case 7: accepted before, contradictory or ignored. Each is
# refused by the command line itself (the runner module's __main__ block), in
# one line, exit 2, and the output directory, made empty beforehand, stays
# empty.
IGNORED_OR_CONTRADICTORY = [
    ('train', ['--conv_padding=VALID'],
     '--conv_padding=VALID is read only with --network=conv2, conv4, conv6, '
     'lenet5'),
    ('lottery_experiment', ['--prune_percent_conv=0.3'],
     '--prune_percent_conv=0.3 is read only with a network with conv layers '
     '(not fc)'),
    ('train', ['--warmup_steps=1000', '--training_len=50it'],
     '--warmup_steps=1000 is longer than training (--training_len=50it: 50 '
     'iterations)'),
    ('lottery_experiment', ['--prune_percent=0', '--prune_percent_output=0',
                            '--iterations=2'],
     '--prune_percent=0.0 --prune_percent_output=0.0 prune nothing: the 2 '
     'levels of --iterations=2 would all train the dense network'),
]


@pytest.mark.parametrize('runner, flags, message', IGNORED_OR_CONTRADICTORY,
                         ids=[' '.join(c[1]) for c in IGNORED_OR_CONTRADICTORY])
def test_ignored_or_contradictory_flags_are_refused_by_the_cli(
    tmp_path, run_main, capsys, runner, flags, message):
  out = tmp_path / 'out'
  out.mkdir()
  given = {f.split('=')[0] for f in flags}
  short = [f for f in SHORT if f.split('=')[0] not in given]
  code = run_main('lottery_ticket.mnist_fc.runners.' + runner,
                  '--output_dir=' + str(out), *short, *flags)
  err = capsys.readouterr().err
  assert code == 2, err
  assert err.strip().splitlines() == ['{}: error: {}'.format(runner, message)]
  assert os.listdir(out) == []


def test_levels_prune_nothing_only_when_every_pruned_rate_is_0():
  lottery = settings.BASE + (settings.LOTTERY,)

  def check(iterations, **flags):
    config = config_lib.resolve(lottery, dict(dataset='digits', **flags))
    config_lib.check_across(config, iterations=iterations)

  check(0, prune_percent=0, prune_percent_output=0)  # level 0 alone: fine
  check(2, prune_percent=0, prune_percent_output=0.1)  # the output layer
  # The conv net's conv layers still prune at --prune_percent_conv ...
  check(2, network='lenet5', prune_percent=0, prune_percent_output=0)
  # ... unless that rate is 0 too.
  with pytest.raises(ValueError, match='--prune_percent=0.0 '
                     '--prune_percent_conv=0.0 --prune_percent_output=0.0 '
                     'prune nothing'):
    check(2, network='lenet5', prune_percent=0, prune_percent_output=0,
          prune_percent_conv=0)
  # An ignored layer does not count: a VGG's fc is never pruned.
  with pytest.raises(ValueError, match='--prune_percent_conv=0.0 '
                     '--prune_ignore=fc prune nothing'):
    check(1, network='vgg11', prune_percent_conv=0)
