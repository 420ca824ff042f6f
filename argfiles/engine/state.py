"""The record a sweep keeps of each of its runs, so a re-run can resume.

Each run has one small JSON file:

  {"status": "done", "argv": [...], "runner": "lottery_ticket.mnist_fc...",
   "returncode": 0, "error": null, "log_path": ".../run.log",
   "start_time": 1700000000.0, "end_time": 1700000004.2, "attempts": 1,
   "pid": 4242, "host": "node7"}

with status one of pending, running, done, failed. `argv` and `runner` are
the line's exact arguments and the runner that ran them: they are what the
run's outputs were made with. A re-run of a sweep skips a run only when its
record says done *for the same arguments*; a run left 'running' (its sweep
was killed) or 'failed' runs again; a run whose line has changed since it
started is refused (see sweep.changed_lines). `pid` and `host` name the
runner process of the latest attempt. Files are replaced
atomically (save_restore.write_json: a temporary file in the same directory,
then os.replace), so a reader never sees half a record, even if the writer is
killed mid-write.
"""

import json

from lottery_ticket.foundations import save_restore

PENDING = 'pending'
RUNNING = 'running'
DONE = 'done'
FAILED = 'failed'
STATUSES = (PENDING, RUNNING, DONE, FAILED)

# The error recorded for a run stopped because its sweep was interrupted.
INTERRUPTED = 'interrupted'

_FIELDS = ('status', 'argv', 'runner', 'returncode', 'error', 'log_path',
           'start_time', 'end_time', 'attempts', 'pid', 'host')


def new_state(argv, log_path, runner=None):
  """The record of a run that has never started.

  Args:
    argv: the run's arguments (a list of str).
    log_path: where the run's output goes.
    runner: the runner that executes them (programs.Program.target).

  Returns:
    A dict with every field of a record.
  """
  return dict(dict.fromkeys(_FIELDS), status=PENDING, argv=list(argv),
              runner=runner, log_path=log_path, attempts=0)


def read_state(path):
  """Reads a run's record.

  Args:
    path: the record's file.

  Returns:
    The record as a dict, or None if the file does not exist or does not
    hold a valid record (a record that cannot be read counts as never
    written: the run executes again).
  """
  try:
    with open(path) as f:
      record = json.load(f)
  except (OSError, ValueError):
    return None
  if not isinstance(record, dict) or record.get('status') not in STATUSES:
    return None
  return record


def write_state(path, record):
  """Writes a run's record atomically, creating its directory if needed.

  Args:
    path: the record's file.
    record: a dict; its status must be one of STATUSES.

  Raises:
    ValueError: if the record's status is not one of STATUSES.
  """
  if record.get('status') not in STATUSES:
    raise ValueError('status must be one of {}, got {!r}'.format(
        ', '.join(STATUSES), record.get('status')))
  save_restore.write_json(path, {k: record.get(k) for k in _FIELDS})


def is_done(record, argv, runner=None):
  """Whether a record shows the run with these arguments finished.

  Args:
    record: a dict from read_state, or None.
    argv: the run's current arguments.
    runner: the runner that would run them; None (or a record naming none,
      as older records do) leaves runners out of the comparison.

  Returns:
    True only if the record is 'done' and was made with the same arguments
    (and runner); a changed line is a different run and executes again.
  """
  if record is None or record.get('status') != DONE:
    return False
  if list(record.get('argv') or []) != list(argv):
    return False
  recorded_runner = record.get('runner')
  return not (runner and recorded_runner and recorded_runner != runner)


def was_started(record):
  """Whether a record's run ever started a runner process.

  A run that failed without starting (its input failed) wrote nothing, so
  its arguments may change freely.
  """
  return record is not None and int(record.get('attempts') or 0) > 0
