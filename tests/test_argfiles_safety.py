"""Sweeps that cannot be mixed up.

One sweep at a time on a record; runs that die with their sweep; a line
whose arguments changed never counted done; duplicates found through
symlinks; datasets and flags checked before any line starts. The sweeps run
tests/fake_runner.py (see argfiles_testlib.py).
"""

import io
import json
import os
import shutil
import socket
import subprocess
import sys
import time

from lottery_ticket.argfiles import changes
from lottery_ticket.argfiles import lines as lines_lib
from lottery_ticket.argfiles import runner
from lottery_ticket.argfiles import sweep as sweep_lib
from lottery_ticket.argfiles.engine import lifeline
from lottery_ticket.argfiles.engine import programs
from lottery_ticket.argfiles.engine import state as state_lib

import argfiles_testlib as testlib
from argfiles_testlib import in_tmp  # pylint: disable=unused-import
from argfiles_testlib import run_sweep

# Generous: a deadline only bounds how long a broken test hangs.
_DEADLINE_SECONDS = 60


def _wait_for(condition, what):
  deadline = time.time() + _DEADLINE_SECONDS
  while not condition():
    if time.time() > deadline:
      raise AssertionError('gave up waiting for ' + what)
    time.sleep(0.05)


def _start_sweep(directory, *flags):
  """A sweep of lines.txt in its own process (so it can be killed)."""
  return subprocess.Popen(
      [sys.executable, '-m', runner.__name__, testlib.FAKE_RUNNER,
       'lines.txt'] + list(flags), cwd=str(directory),
      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
      universal_newlines=True)


def _dry_run(capsys, *flags):
  capsys.readouterr()
  assert run_sweep([testlib.FAKE_RUNNER, 'lines.txt', '--dry_run'] +
                     list(flags), stream=io.StringIO()) == 0
  return {int(row.split()[0]): row.split()[1]
          for row in capsys.readouterr().out.splitlines()}


# One sweep per record; runs die with their sweep.


def test_a_second_sweep_is_refused_and_a_killed_sweeps_run_dies(in_tmp,
                                                                  capsys):
  text = ('--output_dir=out/a --seed=1 --hang_first_time=120\n'
          '--output_dir=out/b --seed=2\n')
  with open('lines.txt', 'w') as f:
    f.write(text)
  first = _start_sweep(in_tmp)
  try:
    _wait_for(lambda: testlib.count(in_tmp, 'out/a') == 1 and (
        testlib.state(in_tmp, 'out/a') or {}).get('pid'), 'line 1 to run')
    child = testlib.state(in_tmp, 'out/a')['pid']
    assert lifeline.alive(child)
    assert _dry_run(capsys) == {1: 'running', 2: 'pending'}
    code, log = testlib.sweep(in_tmp, text)
    assert code == 2, log
    assert len(log.strip().splitlines()) == 1
    assert 'line 1: ' in log and '(pid {})'.format(first.pid) in log
    assert testlib.count(in_tmp, 'out/a') == 1  # Nothing ran twice.
    first.kill()  # SIGKILL: the sweep cannot stop its run itself.
    first.wait()
  finally:
    if first.poll() is None:
      first.kill()
      first.wait()
  _wait_for(lambda: not lifeline.alive(child), 'the orphaned run to die')
  assert _dry_run(capsys) == {1: 'interrupted', 2: 'pending'}
  code, log = testlib.sweep(in_tmp, text)
  assert code == 0, log
  assert '2 lines, 0 already done, 2 to run' in log
  assert testlib.count(in_tmp, 'out/a') == 2
  state = testlib.state(in_tmp, 'out/a')
  assert state['status'] == 'done' and state['attempts'] == 2
  assert os.path.exists(str(in_tmp / 'out/a/result.json'))


def test_a_second_sweep_on_one_state_directory_is_refused(in_tmp):
  with open('lines.txt', 'w') as f:
    f.write('--output_dir=out/a --hang_first_time=120\n')
  first = _start_sweep(in_tmp, '--state_dir=records')
  try:
    _wait_for(lambda: testlib.count(in_tmp, 'out/a') == 1, 'line 1 to run')
    # Other lines, the same state directory.
    code, log = testlib.sweep(in_tmp, '--output_dir=out/z\n',
                              '--state_dir=records')
    assert code == 2 and len(log.strip().splitlines()) == 1
    assert 'the state directory: ' in log
    assert '(pid {})'.format(first.pid) in log
    assert testlib.count(in_tmp, 'out/z') == 0
  finally:
    first.kill()
    first.wait()


def test_without_children_tied_to_the_sweep_a_live_run_blocks_a_rerun(
    in_tmp, monkeypatch):
  # Where the kernel cannot kill runs with their sweep (not Linux), a
  # re-run finds a run still alive through the pid its record keeps.
  monkeypatch.setattr(lifeline, 'CHILDREN_DIE_WITH_PARENT', False)
  text = '--output_dir=out/a --seed=1\n'
  survivor = subprocess.Popen([sys.executable, '-c',
                               'import time; time.sleep(120)'])
  try:
    record = state_lib.new_state(['--output_dir=out/a', '--seed=1'], 'log',
                                 testlib.FAKE_RUNNER)
    record.update(status=state_lib.RUNNING, attempts=1, pid=survivor.pid,
                  host=socket.gethostname(), start_time=time.time())
    state_lib.write_state(str(in_tmp / 'out/a/.argfile_run/state.json'),
                          record)
    code, log = testlib.sweep(in_tmp, text)
    assert code == 2 and len(log.strip().splitlines()) == 1
    assert ("line 1's runner from an earlier sweep is still running "
            '(pid {})'.format(survivor.pid)) in log
    assert testlib.count(in_tmp, 'out/a') == 0
  finally:
    survivor.kill()
    survivor.wait()
  assert not lifeline.alive(survivor.pid) and not lifeline.alive(None)
  code, log = testlib.sweep(in_tmp, text)
  assert code == 0, log


# A line is its arguments.


def test_a_changed_line_is_refused_until_rerun_explicitly(in_tmp, capsys):
  text = ('--output_dir=out/a --seed=1 --setting=300it\n'
          '--output_dir=out/b --seed=2 --setting=300it\n'
          '--output_dir=out/c --seed=3 --setting=300it\n')
  code, log = testlib.sweep(in_tmp, text)
  assert code == 0, log
  changed = ('--output_dir=out/a --seed=1 --setting=600it\n'
             '--output_dir=out/b --seed=2 --setting=600it\n'
             '--output_dir=out/c --seed=3 --setting=300it\n')
  code, log = testlib.sweep(in_tmp, changed)
  assert code == 2 and len(log.strip().splitlines()) == 1, log
  assert ('lines 1-2 changed since they ran: --setting 300it -> 600it; give '
          '--rerun_changed to rerun them from scratch') in log
  assert [testlib.count(in_tmp, d) for d in ('out/a', 'out/b', 'out/c')
          ] == [1, 1, 1]
  assert testlib.state(in_tmp, 'out/a')['argv'][-1] == '--setting=300it'
  assert _dry_run(capsys) == {1: 'changed', 2: 'changed', 3: 'done'}
  # Explicitly: those lines run again, their runner told to overwrite.
  code, log = testlib.sweep(in_tmp, changed, '--rerun_changed')
  assert code == 0, log
  assert 'rerunning changed lines 1-2 from scratch (--overwrite)' in log
  assert [testlib.count(in_tmp, d) for d in ('out/a', 'out/b', 'out/c')
          ] == [2, 2, 1]
  with open(str(in_tmp / 'out/a/result.json')) as f:
    result = json.load(f)
  assert result['setting'] == '600it' and result['overwrite'] is True
  state = testlib.state(in_tmp, 'out/a')
  assert state['argv'] == lines_lib.split_line(changed.splitlines()[0])
  assert state['runner'] == testlib.FAKE_RUNNER
  code, log = testlib.sweep(in_tmp, changed)
  assert code == 0 and '3 lines, 3 already done, 0 to run' in log


def test_lines_changed_each_their_own_way_and_a_changed_runner(in_tmp):
  text = '--output_dir=out/a --seed=1\n--output_dir=out/b --seed=2\n'
  assert testlib.sweep(in_tmp, text)[0] == 0
  code, log = testlib.sweep(in_tmp, '--output_dir=out/a --seed=5\n'
                            '--output_dir=out/b --seed=2 --fail\n')
  assert code == 2
  assert 'lines 1-2 changed since they ran; line 1: --seed 1 -> 5;' in log
  other = str(in_tmp / 'other_runner.py')
  shutil.copy(testlib.FAKE_RUNNER, other)
  with open('lines.txt', 'w') as f:
    f.write(text)  # The lines as they ran, with another runner.
  stream = io.StringIO()
  assert run_sweep([other, 'lines.txt'], stream=stream) == 2
  assert 'lines 1-2 changed since they ran: runner {} -> {};'.format(
      testlib.FAKE_RUNNER, other) in stream.getvalue()
  assert run_sweep([other, 'lines.txt', '--rerun_changed'],
                     stream=io.StringIO()) == 0
  assert [testlib.count(in_tmp, d) for d in ('out/a', 'out/b')] == [2, 2]
  assert testlib.state(in_tmp, 'out/a')['runner'] == other


def test_the_runners_own_refusal_is_in_the_summary(in_tmp):
  # Records elsewhere, so the sweep cannot see that the line changed; the
  # runner refuses the directory of another configuration itself.
  assert testlib.sweep(in_tmp, '--output_dir=out/a --seed=1\n',
                       '--state_dir=first')[0] == 0
  code, log = testlib.sweep(in_tmp, '--output_dir=out/a --seed=7\n',
                            '--state_dir=second')
  assert code == 1
  assert ('  error: fake_runner: error: {} holds a run of another '
          'configuration: seed 1 (recorded) vs 7 (given)'.format(
              os.path.join('out', 'a'))) in log


def test_a_line_that_never_started_may_change(in_tmp):
  text = ('--output_dir=out/p --fail\n'
          '--output_dir=out/l --needs=out/p\n')
  assert testlib.sweep(in_tmp, text)[0] == 1
  assert testlib.state(in_tmp, 'out/l')['attempts'] == 0
  code, log = testlib.sweep(in_tmp, text.replace('out/p\n', 'out/p --seed=4\n'))
  assert code == 1 and 'changed' not in log


def test_differences_name_each_flag_and_its_two_values():
  assert changes.differences(['--a=1', '--b', '--c=x'],
                             ['--c=y', '--a=1', '--d=2']) == [
                                 ('--c', 'x', 'y'), ('--d', None, '2'),
                                 ('--b', '(bare flag)', None)]
  assert changes.differences(['--a=1', 'x'], ['x', '--a=1']) == [
      ('arguments', '--a=1 x', 'x --a=1')]
  assert changes.differences(['--a=1'], ['--a=1'], 'r1', 'r2') == [
      ('runner', 'r1', 'r2')]
  assert changes.differences(['--a=1'], ['--a=1'], None, 'r2') == []
  assert changes.format_differences([('--d', None, '2')]) == (
      '--d (unset) -> 2')
  assert changes.format_numbers([7, 1, 2, 3, 9, 10]) == '1-3, 7, 9-10'


# Duplicates through symlinks.


def test_duplicates_and_inputs_are_found_through_symlinks(in_tmp):
  os.makedirs('real')
  os.symlink('real', 'alias')
  code, log = testlib.sweep(in_tmp, '--output_dir=real/a\n'
                            '--output_dir=alias/a/\n')
  assert code == 2 and len(log.strip().splitlines()) == 1
  assert 'lines 1 and 2 both write {}'.format(
      os.path.realpath('real/a')) in log
  assert not os.path.exists('real/a')  # Nothing started, nothing left.
  program = programs.Program(testlib.FAKE_RUNNER)
  runs = sweep_lib.plan(program, lines_lib.parse_text(
      '--output_dir=real/p\n--output_dir=real/l --needs=alias/p\n'))
  assert runs[1].depends_on == (1,)


# Checks before any line starts.


def test_a_missing_dataset_stops_the_sweep_before_any_line(in_tmp,
                                                             monkeypatch):
  text = ('--output_dir=out/a --dataset=mnist --data_location=nowhere\n'
          '--output_dir=out/b --dataset=digits\n'
          '--output_dir=out/c --dataset=mnist --data_location=nowhere\n')
  code, log = testlib.sweep(in_tmp, text)
  assert code == 2 and len(log.strip().splitlines()) == 1, log
  nowhere = str(in_tmp / 'nowhere')
  assert ('lines 1, 3: {}: no such file (and 3 more of its 4 files); '
          'download mnist with: python -m '
          'lottery_ticket.mnist_fc.runners.download_data --dataset=mnist '
          '--location={}'.format(os.path.join(nowhere,
                                              'train-images-idx3-ubyte.gz'),
                                 nowhere)) in log
  assert not os.path.exists('out')  # Nothing started, nothing left.
  # The default location, as the library finds it.
  monkeypatch.setenv('LOTTERY_TICKET_CIFAR10', str(in_tmp / 'cifar'))
  code, log = testlib.sweep(in_tmp, '--output_dir=out/d --dataset=cifar10\n')
  assert code == 2
  assert 'line 1: {}: no such file (and 5 more of its 6 files)'.format(
      str(in_tmp / 'cifar' / 'data_batch_1.bin')) in log
  code, log = testlib.sweep(in_tmp, '--output_dir=out/e --dataset=imagenet\n')
  assert code == 2 and "line 1: No such dataset: 'imagenet'" in log
  # Only the files' presence is checked: the runs check their contents.
  os.makedirs('nowhere')
  for name in ('train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz',
               't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'):
    open(os.path.join('nowhere', name), 'w').close()
  code, log = testlib.sweep(in_tmp, text)
  assert code == 0, log


def test_flags_the_runner_refuses_stop_the_sweep_before_any_line(in_tmp):
  text = ('--output_dir=out/a --seed=1\n'
          '--output_dir=out/b --seed=2 --bogus=1\n'
          '--output_dir=out/c --seed=x\n')
  code, log = testlib.sweep(in_tmp, text)
  assert code == 2 and len(log.strip().splitlines()) == 1, log
  assert 'line 2: unknown flag --bogus (known: ' in log
  assert log.rstrip().endswith('(line 3 is refused too)')
  assert not os.path.exists('out')
  plain = in_tmp / 'plain.py'
  plain.write_text('print("a runner without checks")\n')
  assert programs.Program(str(plain)).validate(['--anything']) is None
