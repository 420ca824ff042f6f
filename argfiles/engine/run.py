"""One run of a sweep: a flag line executed by the runner in its own process.

A Run knows its command, where its output goes and where its record (see
state.py) lives. Executing it (`Run.execute`, or `Run.start` then
`Run.finish` for callers juggling several processes) writes the record
as 'running', starts the runner with its standard output and error appended
to the run's log, and on exit writes 'done' or 'failed' with the return
code and the last line of the log, which for a Python runner is the
exception that ended it. The runner process is tied to this one (see
lifeline.py): if the sweep dies, so do its runs.

Runs hold only plain data (and the picklable Program) until started, so a
Ray worker can execute one.
"""

import collections
import datetime
import os
import shlex
import signal
import socket
import subprocess
import time

from lottery_ticket.argfiles.engine import lifeline
from lottery_ticket.argfiles.engine import state as state_lib
from lottery_ticket.foundations import paths
from lottery_ticket.foundations import save_restore

# The directory, inside a run's output directory, holding its record and log.
BOOKKEEPING_DIR = paths.SWEEP_RECORDS
STATE_FILE = 'state.json'
LOG_FILE = 'run.log'

# Every attempt's output in the log starts after a line with this prefix.
_LOG_HEADER = '# argfiles: '
# How much of the end of a log is read to find its last line.
_LOG_TAIL_BYTES = 16384
# How long a process may take to exit after SIGTERM before it gets SIGKILL.
_TERMINATE_GRACE_SECONDS = 5.0
# The flag that asks a runner to replace outputs made with other arguments.
OVERWRITE_FLAG = '--overwrite'


class RunResult(collections.namedtuple(
    'RunResult', ['number', 'text', 'status', 'returncode', 'error',
                  'log_path', 'duration'])):
  """How one run ended.

  Attributes:
    number, text: the line's number and text.
    status: state.DONE or state.FAILED.
    returncode: the process's exit code (negative: killed by that signal), or
      None if it never started.
    error: None, or a one-line description of the failure.
    log_path: the run's log.
    duration: wall time in seconds.
  """


def last_log_line(log_path):
  """The last non-blank line the latest attempt wrote to a log.

  Args:
    log_path: the log file.

  Returns:
    The line stripped of surrounding space, or None if the latest attempt
    wrote nothing (or the log cannot be read).
  """
  try:
    with open(log_path, 'rb') as f:
      f.seek(0, os.SEEK_END)
      f.seek(max(0, f.tell() - _LOG_TAIL_BYTES))
      tail = f.read().decode('utf-8', errors='replace')
  except OSError:
    return None
  for row in reversed(tail.splitlines()):
    if row.startswith(_LOG_HEADER):
      return None
    if row.strip():
      return row.strip()
  return None


def describe_exit(returncode):
  """A short description of a failed exit code.

  Args:
    returncode: a non-zero exit code; negative means killed by a signal.

  Returns:
    A str such as 'exit code 1' or 'killed by SIGKILL'.
  """
  if returncode < 0:
    try:
      return 'killed by ' + signal.Signals(-returncode).name
    except ValueError:
      return 'killed by signal {}'.format(-returncode)
  return 'exit code {}'.format(returncode)


class Run(object):
  """A flag line bound to a runner, an output directory and a record.

  Attributes:
    line: the lines.Line.
    program: the programs.Program that executes it.
    output_dirs: the absolute directories the run writes (one, or one per
      trial of a packed line), or None if unknown.
    run_dir: the absolute directory of its record and log.
    cwd: the directory the runner starts in (relative paths in the line are
      relative to it).
    depends_on: the numbers of the earlier lines whose output directories
      this line reads (see schedule.py).
    lock_dir: the directory whose lock (foundations.dir_lock) a sweep
      holds while it may write this run's record: run_dir, or the state
      directory holding it.
    overwrite: whether the runner is told to replace the outputs it finds
      (OVERWRITE_FLAG), for a line that changed since it last ran.
  """

  def __init__(self, line, program, output_dirs, run_dir, cwd=None,
               lock_dir=None):
    self.line = line
    self.program = program
    self.output_dirs = list(output_dirs) if output_dirs else None
    self.run_dir = run_dir
    self.cwd = cwd or os.getcwd()
    self.depends_on = ()  # Set by sweep.plan, which knows every line.
    self.lock_dir = lock_dir or run_dir
    self.overwrite = False

  @property
  def argv(self):
    """The arguments the runner gets: the line's, plus OVERWRITE_FLAG when
    asked for (the record keeps the line's own)."""
    argv = list(self.line.argv)
    if self.overwrite and OVERWRITE_FLAG not in argv:
      argv.append(OVERWRITE_FLAG)
    return argv

  @property
  def runner(self):
    """The name of the runner, as records keep it."""
    return self.program.target if self.program is not None else None

  @property
  def state_path(self):
    return os.path.join(self.run_dir, STATE_FILE)

  @property
  def log_path(self):
    return os.path.join(self.run_dir, LOG_FILE)

  def read_state(self):
    """The run's record, or None if it has none."""
    return state_lib.read_state(self.state_path)

  def is_done(self):
    """Whether the record shows this line already done."""
    return state_lib.is_done(self.read_state(), self.line.argv, self.runner)

  def remove_torn_writes(self):
    """Removes the temporary files of record writes a killed sweep left.

    A record is replaced atomically (state.write_state): killed mid-write,
    the sweep leaves the old record intact and a temporary file beside it,
    which nothing else would ever remove. Only this run's own directory is
    cleaned, not its subdirectories (the records of a packed line's may lie
    there), and only while the sweep holds its lock, so no writer of this
    record is at work.
    """
    try:
      names = os.listdir(self.run_dir)
    except OSError:
      return
    for name in names:
      if name.startswith(save_restore.TEMP_PREFIX):
        try:
          os.remove(os.path.join(self.run_dir, name))
        except OSError:
          pass  # Gone already, or a directory: not a torn write of ours.

  def _new_record(self, status, attempts):
    """A fresh record of this run with `status`, started now, counting
    `attempts` more than the last record did (after removing torn writes).
    """
    self.remove_torn_writes()
    previous = self.read_state() or {}
    record = state_lib.new_state(self.line.argv, self.log_path, self.runner)
    record.update(status=status, start_time=time.time(),
                  attempts=int(previous.get('attempts') or 0) + attempts)
    return record

  def record_end(self, record, status, returncode=None, error=None):
    """Writes `record` as ended now with `status`, and returns the
    RunResult saying so (its duration counted from the record's start)."""
    record = dict(record, status=status, returncode=returncode, error=error,
                  end_time=time.time())
    state_lib.write_state(self.state_path, record)
    return RunResult(self.line.number, self.line.text, status, returncode,
                     error, self.log_path,
                     record['end_time'] - record['start_time'])

  def fail_unstarted(self, error):
    """Records that the run failed without starting, e.g. for lack of input.

    Args:
      error: the one-line reason.

    Returns:
      A RunResult with status failed and no return code.
    """
    return self.record_end(self._new_record(state_lib.FAILED, attempts=0),
                           state_lib.FAILED, error=error)

  def start(self, extra_env=None):
    """Records the run as running and starts its process.

    Args:
      extra_env: environment variables to set for the process on top of
        this process's environment (e.g. thread counts).

    Returns:
      None once the process runs (as `process`; call finish, or stop, once
      it has exited); or, if the log cannot be opened or the process cannot
      start (also for a failure between fork and exec), a failed RunResult,
      the record saying so too.
    """
    record = self._new_record(state_lib.RUNNING, attempts=1)
    record['host'] = socket.gethostname()
    state_lib.write_state(self.state_path, record)
    command = self.program.command(self.argv)
    self._log_file = None
    try:
      self._log_file = open(self.log_path, 'a')
      self._log_file.write('{}attempt {} at {}: {}\n'.format(
          _LOG_HEADER, record['attempts'],
          datetime.datetime.now().isoformat(timespec='seconds'),
          shlex.join(command)))
      self._log_file.flush()
      self.process = subprocess.Popen(
          command, stdin=subprocess.DEVNULL, stdout=self._log_file,
          stderr=subprocess.STDOUT, env=dict(os.environ, **(extra_env or {})),
          cwd=self.cwd if os.path.isdir(self.cwd) else None,
          preexec_fn=lifeline.preexec_function())
    except (OSError, subprocess.SubprocessError) as e:
      if self._log_file is not None:
        self._log_file.close()
      return self.record_end(record, state_lib.FAILED,
                             error='cannot start: {}'.format(e))
    self._record = dict(record, pid=self.process.pid)
    state_lib.write_state(self.state_path, self._record)
    return None

  def finish(self, returncode, error=None):
    """Closes the log of the started process and records how the run ended.

    Args:
      returncode: the process's return code, or None if it did not exit on
        its own.
      error: a description of the failure to record instead of the log's
        last line.

    Returns:
      A RunResult.
    """
    self._log_file.close()
    status = (state_lib.DONE if returncode == 0 and error is None
              else state_lib.FAILED)
    if status == state_lib.FAILED and error is None:
      error = last_log_line(self.log_path) or describe_exit(returncode)
    return self.record_end(self._record, status, returncode, error)

  def stop(self, reason):
    """Ends the started process early (SIGTERM, then SIGKILL) and records a
    failure.

    Args:
      reason: the error to record, e.g. 'interrupted'.

    Returns:
      A RunResult with status failed.
    """
    if self.process.poll() is None:
      self.process.terminate()
      try:
        self.process.wait(timeout=_TERMINATE_GRACE_SECONDS)
      except subprocess.TimeoutExpired:
        self.process.kill()
        self.process.wait()
    return self.finish(self.process.returncode, error=reason)

  def execute(self, extra_env=None):
    """Runs the line to completion in a child process.

    Args:
      extra_env: environment variables to set for the process.

    Returns:
      A RunResult.

    Raises:
      KeyboardInterrupt: (and any other interruption) after stopping the
        process and recording the run as failed.
    """
    failed = self.start(extra_env)
    if failed is not None:
      return failed
    try:
      returncode = self.process.wait()
    except BaseException:
      self.stop(state_lib.INTERRUPTED)
      raise
    return self.finish(returncode)
