"""A sweep that kills itself (SIGKILL) at a chosen point, for resume tests.

  python tests/killed_sweep.py POINT RUNNER ARGFILE [sweep flags...]

runs `python -m lottery_ticket.argfiles.runner RUNNER ARGFILE ...` in this
process and sends itself SIGKILL, as `kill -9` would, at POINT:

  locked          once the sweep holds its locks, before it reads a record;
  before_write:N  just before the N-th record write (state.write_state);
  after_write:N   just after it;
  mid_write:N     inside the N-th write, once the new record is complete in
                  its temporary file but before it replaces the old one.

A sequential sweep writes each line's record three times: 'running' before
its runner starts, again with the runner's pid, then 'done' or 'failed'
once the runner has exited; so before_write:3 is the moment a line has
finished and its record does not say so yet. Without a kill at POINT (the
sweep wrote fewer records) it exits with the sweep's own code.
"""

import contextlib
import os
import signal
import sys

from lottery_ticket import command_line
from lottery_ticket.argfiles import runner
from lottery_ticket.argfiles import sweep as sweep_lib
from lottery_ticket.argfiles.engine import state as state_lib


def _die():
  sys.stdout.flush()
  sys.stderr.flush()
  os.kill(os.getpid(), signal.SIGKILL)


def _kill_at_lock(locks):
  """sweep.locks, the kill following the taking of the locks."""

  @contextlib.contextmanager
  def killing_locks(runs):
    with locks(runs):
      _die()
      yield
  return killing_locks


def _kill_at_write(when, number):
  """state.write_state, with the kill before, inside or after call number."""
  write_state = state_lib.write_state
  calls = []

  def killing_write_state(path, record):
    calls.append(path)
    if len(calls) != number:
      return write_state(path, record)
    if when == 'before_write':
      _die()
    if when == 'mid_write':
      replace = os.replace

      def die_instead(source, destination):
        del source, destination  # The temporary file stays, complete.
        os.replace = replace
        _die()
      os.replace = die_instead
    write_state(path, record)
    _die()
  return killing_write_state


def main(argv):
  point = argv[0]
  if point == 'locked':
    sweep_lib.locks = _kill_at_lock(sweep_lib.locks)
  else:
    when, number = point.split(':')
    state_lib.write_state = _kill_at_write(when, int(number))
  command_line.run(runner.RUNNER, argv[1:])


if __name__ == '__main__':
  main(sys.argv[1:])
