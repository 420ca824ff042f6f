"""End to end: generated lines executed by the real MNIST runners.

A two-trial lottery sweep on the offline digits dataset (tiny runs) through
the local executor, resumed once, refused with a changed training length
and then rerun with it; the runner's own flag checks stopping a sweep before
any line; and the reinitialisation lines planned against the real
reinitialize runner.
"""

import io
import json
import os

import pytest

from lottery_ticket.argfiles import lines as lines_lib
from lottery_ticket.argfiles import reinitialize_argfile
from lottery_ticket.argfiles import sweep as sweep_lib
from lottery_ticket.argfiles.engine import programs

from argfiles_testlib import run_sweep

RUNNERS = 'lottery_ticket.mnist_fc.runners.'


@pytest.mark.slow
def test_lottery_sweep_of_the_real_runner(tmp_path, monkeypatch):
  monkeypatch.chdir(tmp_path)
  command = [RUNNERS + 'lottery_experiment',
             'lottery_ticket.argfiles.lottery_experiment_argfile',
             '--executor=local', '--parallelism=2', '--',
             '--output_dir=lt', '--trials=2', '--iterations=1',
             '--dataset=digits', '--training_len=30it']
  stream = io.StringIO()
  assert run_sweep(command, stream=stream) == 0, stream.getvalue()
  for trial in (0, 1):
    for level in (0, 1):
      assert os.path.exists(os.path.join('lt', 'trial{}'.format(trial),
                                         str(level), 'same_init', 'DONE'))
    log = os.path.join('lt', 'trial{}'.format(trial), '.argfile_run',
                       'run.log')
    with open(log) as f:
      assert 'same_init' in f.read()
  stream = io.StringIO()
  assert run_sweep(command, stream=stream) == 0
  assert '2 lines, 2 already done, 0 to run' in stream.getvalue()
  # Another training length is another run: refused, never counted done...
  longer = command[:-1] + ['--training_len=40it']
  stream = io.StringIO()
  assert run_sweep(longer, stream=stream) == 2
  assert ('lines 1-2 changed since they ran: --training_len 30it -> 40it'
          in stream.getvalue())
  # ... until rerun explicitly, which the runner does from scratch.
  stream = io.StringIO()
  cut = longer.index('--')
  rerun = longer[:cut] + ['--rerun_changed'] + longer[cut:]
  assert run_sweep(rerun, stream=stream) == 0, stream.getvalue()
  for trial in (0, 1):
    for level in (0, 1):
      with open(os.path.join('lt', 'trial{}'.format(trial), str(level),
                             'same_init', 'config.json')) as f:
        assert json.load(f)['training']['training_len'] == '40it'


def test_the_real_runners_checks_stop_a_sweep_before_any_line(tmp_path,
                                                              monkeypatch):
  monkeypatch.chdir(tmp_path)
  with open('lines.txt', 'w') as f:
    f.write('--output_dir=a --dataset=digits --training_len=30it\n'
            '--output_dir=b --dataset=digits --learning_rate=fast\n')
  stream = io.StringIO()
  assert run_sweep([RUNNERS + 'lottery_experiment', 'lines.txt'],
                     stream=stream) == 2
  assert len(stream.getvalue().strip().splitlines()) == 1
  assert 'line 2: ' in stream.getvalue() and 'fast' in stream.getvalue()
  assert not os.path.exists('a') and not os.path.exists('b')


def test_reinitialize_lines_map_to_distinct_run_directories(tmp_path):
  program = programs.Program(RUNNERS + 'reinitialize')
  text = '\n'.join(reinitialize_argfile.make_lines(
      str(tmp_path), trials=2, iterations=2))
  runs = sweep_lib.plan(program, lines_lib.parse_text(text))
  assert len(runs) == 2 * 3 * 3
  assert runs[0].output_dirs == [os.path.join(str(tmp_path), 'trial0', '0',
                                              'reinit')]
  assert runs[-1].output_dirs == [os.path.join(str(tmp_path), 'trial1', '2',
                                               'reuse_sign')]


def test_the_real_runners_bad_lines_are_named_before_anything_is_written(
    tmp_path, monkeypatch):
  monkeypatch.chdir(tmp_path)
  good = '--output_dir=a --dataset=digits --training_len=30it\n'
  for bad, says in (
      ('--dataset=digits --training_len=30it', 'needs --output_dir'),
      ('garbage', "'garbage' is not a flag"),
      ('--output_dir=b --dataset=digits --bogus=1', 'does not take --bogus'),
      ('--output_dir=b --dataset=digits extra', "'extra' is not a flag"),
      ('--output_dir=b --seed=1 --seed=2', '--seed is given twice'),
      ('--output_dir=b --seed=', '--seed has an empty value'),
      ('--output_dir=b --trials=x', "--trials='x' is not an integer"),
      ('--output_dir=b --iterations=-1', '--iterations=-1 must be >= 0')):
    with open('lines.txt', 'w') as f:
      f.write(good + bad + '\n')
    stream = io.StringIO()
    assert run_sweep([RUNNERS + 'lottery_experiment', 'lines.txt'],
                       stream=stream) == 2, bad
    message = stream.getvalue()
    assert len(message.strip().splitlines()) == 1, message
    assert 'line 2: ' in message and says in message, message
    assert os.listdir('.') == ['lines.txt']
