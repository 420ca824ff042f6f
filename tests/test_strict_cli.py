"""Every argument is read and checked before a command runs (issue 25: 1, 8, 9).

A bad flag used to be found by Fire after the run had trained to DONE; a
sweep ran a module that is no command of the library, and two lines whose
output directories nest. Each is refused now in one line, exit 2, with
nothing written. The subprocess tests run the command lines as a user does;
the in-process ones cover every runner and every form cheaply.
"""

import json
import os
import subprocess
import sys

import pytest

from lottery_ticket import command_line
from lottery_ticket.foundations import hparams
from lottery_ticket.mnist_fc import config as config_lib
from lottery_ticket.mnist_fc.runners import lottery_experiment
from lottery_ticket.mnist_fc.runners import reinitialize
from lottery_ticket.mnist_fc.runners import sparse_train
from lottery_ticket.mnist_fc.runners import train

RUNNERS = {'train': train, 'lottery_experiment': lottery_experiment,
           'sparse_train': sparse_train, 'reinitialize': reinitialize}
# What each runner needs besides the flag under test.
NEEDS = {'reinitialize': ['--level=1']}
FAST = ['--dataset=digits', '--training_len=50it']


def _cli(tmp_path, *argv):
  """Runs `lottery-ticket argv` in tmp_path; (exit code, stderr lines)."""
  result = subprocess.run(
      [sys.executable, '-m', 'lottery_ticket.cli_main'] + list(argv),
      cwd=str(tmp_path), capture_output=True, text=True, timeout=300,
      env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
  return result.returncode, result.stderr.strip().splitlines()


def _refused(tmp_path, argv, *named):
  """Asserts argv exits 2 with one line naming `named`, writing nothing."""
  before = sorted(os.listdir(str(tmp_path)))
  code, lines = _cli(tmp_path, *argv)
  assert code == 2, lines
  assert len(lines) == 1, lines
  for word in named:
    assert word in lines[0], lines
  assert sorted(os.listdir(str(tmp_path))) == before
  return lines[0]


@pytest.mark.parametrize('runner', sorted(RUNNERS))
def test_a_flag_without_a_name_is_refused_before_training(tmp_path, runner):
  line = _refused(tmp_path, [runner, '--=5', '--output_dir=out'] +
                  NEEDS.get(runner, []) + FAST, "'--=5'")
  assert line.startswith(runner + ': error:'), line


@pytest.mark.parametrize('bad, named', [
    ('--=', "'--='"), ('--=abc', "'--=abc'"),
    ('--seed=0x10', "--seed='0x10'"), ('--seed=1e3', "--seed='1e3'"),
    ('--masks=', '--masks has an empty value'),
])
def test_bad_values_of_train_are_refused_before_anything_is_written(
    tmp_path, bad, named):
  _refused(tmp_path, ['train', bad, '--output_dir=out'] + FAST, named)


@pytest.mark.parametrize('runner', sorted(RUNNERS))
@pytest.mark.parametrize('bad, named', [
    (['--=5'], "'--=5'"), (['--='], "'--='"), (['--=abc'], "'--=abc'"),
    (['--seed=0x10'], "--seed='0x10'"), (['--seed=1e3'], "--seed='1e3'"),
    (['--seed=5.0'], "--seed='5.0'"), (['--layers=[300,0x1]'], "'0x1'"),
    (['stray'], "'stray'"), (['--', '--seed=1'], "lone '--'"),
    (['--seed=1', '--seed=2'], 'twice'), (['--seed'], '--seed needs a value'),
    (['--config='], '--config has an empty value'),
])
def test_every_runner_reads_every_argument_in_one_place(runner, bad, named):
  argv = ['--output_dir=/nonexistent/out'] + NEEDS.get(runner, []) + bad
  with pytest.raises(ValueError) as error:
    command_line.read_command_line(RUNNERS[runner].RUNNER, argv)
  assert named in str(error.value) and '\n' not in str(error.value)


def test_the_forms_accepted_are_said_in_help_and_read_as_said():
  values = command_line.read_command_line(
      train.RUNNER, ['--output_dir', 'o', '--seed', '5', '--layers=[300,100]',
                     '--overwrite', '--masks=m', '--learning_rate=1e-3'])
  # Every own argument not given is its Setting's default (stated once).
  assert values == {'output_dir': 'o', 'seed': 5, 'layers': (300, 100),
                    'overwrite': True, 'masks': 'm', 'learning_rate': 1e-3,
                    'combine': 'union', 'presets': '', 'config': ''}
  assert command_line.read_command_line(
      train.RUNNER, ['--output_dir=o', '--layers=300,100', '--seed=+3',
                     '--overwrite=false'])['layers'] == (300, 100)
  assert command_line.FORMS in train.RUNNER.help()
  with open(os.path.join(os.path.dirname(command_line.__file__),
                         'README.md')) as f:
    readme = f.read()
  for form in ('`--name value`', '`[300,100]`', 'decimal', '`0x10`'):
    assert form in readme


def test_an_int_setting_takes_decimal_digits_only():
  seed = hparams.Setting('seed', 'int', 0, '')
  assert [seed.parse(t) for t in ('16', ' 7 ', '-3', '+4', 12)] == [
      16, 7, -3, 4, 12]
  for text in ('0x10', '1e3', '5.0', '0b1', '1_000', '', 'five'):
    with pytest.raises(ValueError, match='decimal digits'):
      seed.parse(text)


def test_a_plain_function_is_read_by_the_kinds_of_its_defaults():

  def command(path, plot=True, points=3, scale=1.0, ks=(0,), name=None):
    del path, plot, points, scale, ks, name  # Only the reading is tested.

  runner = command_line.command(command, 'command')
  assert command_line.read_command_line(runner, [
      '--path=p', '--plot=no', '--points=7', '--scale=.5', '--ks=0,500',
      '--name=3']) == {'path': 'p', 'plot': False, 'points': 7, 'scale': 0.5,
                       'ks': (0, 500), 'name': '3'}
  for bad, named in ((['--points=0x7'], "'0x7'"), (['--other=1'],
                                                    'does not take --other'),
                     ([], 'needs --path')):
    with pytest.raises(ValueError, match=named):
      command_line.read_command_line(runner, ['--path=p'] * (not not bad) +
                                     bad)


def test_an_analysis_command_refuses_a_nameless_flag(tmp_path):
  _refused(tmp_path, ['results', '--experiment_dir=x', '--output_dir=out',
                      '--=5'], "'--=5'")


def _argfile(tmp_path, *lines):
  path = tmp_path / 'args.txt'
  path.write_text(''.join(line + '\n' for line in lines))
  return path.name


@pytest.mark.parametrize('runner', ['json.tool', 'this'])
def test_a_sweep_refuses_a_runner_that_is_no_command(tmp_path, runner):
  args = _argfile(tmp_path, '--output_dir=a ' + ' '.join(FAST))
  _refused(tmp_path, ['sweep', runner, args], repr(runner),
           'no command of the library')


def test_a_sweep_refuses_lines_whose_directories_nest(tmp_path):
  args = _argfile(tmp_path, '--output_dir=n ' + ' '.join(FAST),
                  '--output_dir=n/inner ' + ' '.join(FAST))
  _refused(tmp_path, ['sweep', 'train', args], 'lines 1 and 2',
           os.path.join(str(tmp_path), 'n', 'inner'),
           'inside ' + os.path.join(str(tmp_path), 'n'))


def test_a_state_dir_that_cannot_be_made_is_one_clean_line(tmp_path):
  args = _argfile(tmp_path, '--output_dir=a ' + ' '.join(FAST))
  line = _refused(tmp_path, ['sweep', 'train', args, '--state_dir=/proc/x'],
                  '/proc/x')
  assert 'Errno' not in line, line


def test_a_truncated_config_names_its_path_and_reason_once(tmp_path):
  path = tmp_path / 'config.json'
  path.write_text(json.dumps({'format': 2, 'data': {'dataset': 'digits'}})[:9])
  with pytest.raises(ValueError) as error:
    config_lib.load_json(str(path))
  message = str(error.value)
  assert message.count(str(path)) == 1, message
  assert message.count('is not valid JSON') == 1, message


def test_a_line_inside_a_line_it_reads_is_no_nesting(tmp_path):
  from lottery_ticket.argfiles import preflight  # pylint: disable=g-import-not-at-top

  class Run(object):

    def __init__(self, number, output_dir, depends_on=()):
      self.line = type('Line', (), {'number': number})
      self.output_dirs, self.depends_on = [str(tmp_path / output_dir)], depends_on

  # A control of a level inside the trial it reads runs after it: allowed.
  preflight.check_nesting([Run(1, 't0'), Run(2, 't0/1/reinit', (1,)),
                           Run(3, 't1')])
  # Two independent lines, however far apart in the sorted order: refused.
  with pytest.raises(preflight.PreflightError, match='lines 1 and 3 write '
                     'nested directories'):
    preflight.check_nesting([Run(1, 'x'), Run(2, 'x/a', (1,)),
                             Run(3, 'x/b/c')])
