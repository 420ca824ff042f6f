"""A sweep killed or interrupted at any moment: no traceback, no harm.

A sweep interrupted (Ctrl-C) while it starts up (reading its lines,
importing the runner, which for the real runners means TensorFlow) ends in
one line, exit 130, having written nothing.

A sweep killed at any moment finishes when run again, as if never killed.

Each sweep here is killed with SIGKILL (tests/killed_sweep.py) at one
point: holding its locks before reading a record, just before, inside or
just after a record write, with a line's runner not yet started, running,
or finished without its record saying so. Run again, every sweep finishes
(exit 0) and leaves what an uninterrupted sweep leaves: each run's outputs
byte for byte, every record done with the line's arguments, and in the
bookkeeping directories the same files (no temporary file of a torn record
write). The killed sweeps run side by side to keep the test short.
"""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

import argfiles_testlib as testlib
from argfiles_testlib import in_tmp  # pylint: disable=unused-import

KILLED_SWEEP = os.path.join(os.path.dirname(testlib.FAKE_RUNNER),
                            'killed_sweep.py')
# An unpacked line, then a packed one (its record in p/.argfile_run/trial0+1).
LINES = ('--output_dir=out/a --seed=1 --sleep=0\n'
         '--output_dir=out/p --trials=2 --seed=0 --sleep=0\n')
# A sequential sweep writes 3 records per line: running (then the runner
# starts: a kill soon after takes it down, see lifeline.py), its pid, the
# end. So: nothing recorded; line 1 recorded running but not started;
# running; finished but recorded running; recorded done (mid_write: the
# new record complete beside the old); line 2 likewise; all done.
SEQUENTIAL_POINTS = (
    'locked', 'after_write:1', 'after_write:2', 'before_write:3',
    'mid_write:3', 'after_write:3', 'before_write:6', 'mid_write:6',
    'after_write:6')
# Two lines in flight at once: one ends while the other runs.
LOCAL_POINTS = ('before_write:4', 'mid_write:5')
LOCAL = ('--executor=local', '--parallelism=2')
# Files whose content differs between attempts by design: how many times a
# line ran, the logs of its attempts, the pid holding a lock.
_VARYING = ('count.txt', 'run.log', '.lock')


def _bookkeeping(path):
  """What a record says that must not depend on kills: status, arguments."""
  with open(path) as f:
    record = json.load(f)
  return record['status'], record['argv']


def _left(directory):
  """Every file under out/, by relative path: its content, or for a record
  its status and arguments, or for a file that varies by design None."""
  found = {}
  root = os.path.join(str(directory), 'out')
  for parent, _, names in os.walk(root):
    for name in names:
      path = os.path.join(parent, name)
      if name in _VARYING:
        value = None
      elif name == 'state.json':
        value = _bookkeeping(path)
      else:
        with open(path, 'rb') as f:
          value = f.read()
      found[os.path.relpath(path, root)] = value
  return found


def _kill_sweeps(directory, points, flags):
  """Starts a killed sweep per point side by side; returns their dirs."""
  started = []
  for point in points:
    where = directory / point.replace(':', '_')
    where.mkdir()
    (where / 'lines.txt').write_text(LINES)
    started.append((point, where, subprocess.Popen(
        [sys.executable, KILLED_SWEEP, point, testlib.FAKE_RUNNER,
         'lines.txt'] + list(flags), cwd=str(where),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        universal_newlines=True)))
  for point, _, process in started:
    _, errors = process.communicate(timeout=120)
    assert process.returncode == -9, (point, errors)  # Killed at the point.
  return [(point, where) for point, where, _ in started]


def _uninterrupted(directory, flags):
  """What a sweep never killed leaves (the reference)."""
  code, log = testlib.sweep(directory, LINES, *flags)
  assert code == 0, log
  left = _left(directory)
  assert sorted(path for path in left if path.endswith('state.json')) == [
      'a/.argfile_run/state.json', 'p/.argfile_run/trial0+1/state.json']
  assert all(left[d + '/result.json'] for d in ('a', 'p/trial0', 'p/trial1'))
  return left


@pytest.mark.slow
def test_a_sweep_killed_anywhere_finishes_as_if_never_killed(in_tmp):
  killed = (
      [(p, w, ()) for p, w in _kill_sweeps(in_tmp, SEQUENTIAL_POINTS, ())] +
      [(p, w, LOCAL) for p, w in _kill_sweeps(in_tmp, LOCAL_POINTS, LOCAL)])
  expected = {(): _uninterrupted(in_tmp / 'sequential', ()),
              LOCAL: _uninterrupted(in_tmp / 'local', LOCAL)}
  for point, where, flags in killed:
    code, log = testlib.sweep(where, LINES, *flags)
    assert code == 0, (point, log)
    assert _left(where) == expected[flags], point
  # Killed after line 1's runner ended but before its record said so, the
  # sweep ran it again; its outputs are the same (above).
  assert testlib.count(in_tmp / 'before_write_3', 'out/a') == 2
  assert testlib.count(in_tmp / 'after_write_3', 'out/a') == 1


# Starting up, each stops until interrupted: a script printing the lines,
# and a runner whose import (where TensorFlow would load) takes a while.
_SLOW_LINES = """import pathlib, time
pathlib.Path('started').touch()
time.sleep(60)
print('--output_dir=out/a')
"""
_SLOW_RUNNER = """import pathlib, time
pathlib.Path('started').touch()
time.sleep(60)

def validate_flags(argv):
  pass
"""


def _interrupt_when_started(where, runner_path, argfile):
  """Starts a sweep as from a terminal; Ctrl-C once it signals 'started'.

  Returns:
    Its exit code and its standard error.
  """
  process = subprocess.Popen(
      [sys.executable, '-m', 'lottery_ticket.argfiles.runner', runner_path,
       argfile], cwd=str(where), stdout=subprocess.DEVNULL,
      stderr=subprocess.PIPE, universal_newlines=True,
      start_new_session=True,  # Its own process group, as a terminal's job.
      preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
  deadline = time.time() + 60
  while not (where / 'started').exists() and time.time() < deadline:
    time.sleep(0.02)
  os.killpg(process.pid, signal.SIGINT)  # What Ctrl-C sends.
  _, errors = process.communicate(timeout=60)
  return process.returncode, errors


def test_ctrl_c_while_a_sweep_starts_ends_in_one_line(in_tmp):
  (in_tmp / 'lines.py').write_text(_SLOW_LINES)
  (in_tmp / 'lines.txt').write_text('--output_dir=out/a\n')
  (in_tmp / 'runner.py').write_text(_SLOW_RUNNER)
  for runner_path, argfile in ((testlib.FAKE_RUNNER, 'lines.py'),
                               ('runner.py', 'lines.txt')):
    code, errors = _interrupt_when_started(in_tmp, runner_path, argfile)
    assert code == 130, errors
    assert errors == ('argfiles.runner: interrupted before any line started; '
                      'nothing was written\n')
    assert sorted(os.listdir(str(in_tmp))) == [
        'lines.py', 'lines.txt', 'runner.py', 'started']
    (in_tmp / 'started').unlink()
