"""Named write boundaries, and a switch that stops the process at one.

Every write a run makes (a file renamed into place, a directory of arrays, a
checkpoint's variables, its hashes, its index, a removal) passes a boundary
named `'{kind} {path}'`, e.g. `'file runs/x/0/same_init/config.json'` or
`'checkpoint runs/x/0/same_init/checkpoints/model-300'`. The state on disk
at each boundary must be one a re-run of the same command can finish from.

To test that, as SQLite's crash tests do, the switch

  LOTTERY_TICKET_KILL_AT=PATTERN[@N]   (or  #K)

kills the process with SIGKILL (no clean-up, no `finally`) at the N-th
boundary (default the first) whose name matches the fnmatch PATTERN, or at
the K-th boundary of the process. In-process, `observe` hands each boundary
to a callable instead (tests snapshot the output directory there: what a
kill at that boundary leaves behind, without paying a process per kill).
"""

import contextlib
import fnmatch
import os
import signal

ENV = 'LOTTERY_TICKET_KILL_AT'

_observers = []
_passed = {'count': 0, 'matched': 0}


def boundary(kind, path):
  """Marks that a write of `kind` at `path` is complete (see module doc)."""
  name = '{} {}'.format(kind, path)
  _passed['count'] += 1
  for observer in list(_observers):
    observer(name)
  switch = os.environ.get(ENV)
  if switch and _matches(switch, name):
    os.kill(os.getpid(), signal.SIGKILL)


def _matches(switch, name):
  if switch.startswith('#'):
    return _passed['count'] == int(switch[1:])
  pattern, _, occurrence = switch.partition('@')
  if not fnmatch.fnmatchcase(name, pattern):
    return False
  _passed['matched'] += 1
  return _passed['matched'] == int(occurrence or 1)


@contextlib.contextmanager
def observe(callback):
  """Calls callback(name) at every boundary passed inside the block."""
  _observers.append(callback)
  try:
    yield
  finally:
    _observers.remove(callback)
