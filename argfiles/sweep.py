"""A sweep: every line of an argfile executed by a runner, resumably.

`plan` binds each line to the directory it writes, to its record and log,
and to the earlier lines whose outputs it reads, refusing two lines that
write the same directory; `run_sweep` skips the
lines already done, executes the rest with an executor, reports progress and
a summary on stderr, and returns what happened.

Where each line's bookkeeping lives:
  * by default in `{output directory}/.argfile_run/` (state.json and
    run.log), next to the run's own outputs;
  * with a state directory, in `{state_dir}/{key}/`, where key is a digest
    of the output directory (or, for a line without one, of its
    arguments), so the output directories hold nothing but the runner's
    files.
"""

import collections
import hashlib
import os
import time

from lottery_ticket.argfiles import lines as lines_lib
from lottery_ticket.argfiles import progress as progress_lib
from lottery_ticket.argfiles import run as run_lib
from lottery_ticket.argfiles import state as state_lib

SweepResult = collections.namedtuple(
    'SweepResult', ['runs', 'results', 'already_done', 'elapsed'])
SweepResult.__doc__ = """What a sweep did.

Attributes:
  runs: every run.Run of the sweep, in line order.
  results: the run.RunResult of each run executed now.
  already_done: how many lines were skipped as done before.
  elapsed: wall time in seconds.
"""


class SweepError(ValueError):
  """The sweep cannot start: a line has no output directory, or two share
  one."""


def _digest(text):
  return hashlib.sha256(text.encode('utf-8')).hexdigest()[:16]


def _run_directory(output_dir, argv, state_dir):
  """Where a line's record and log live (see the module docstring)."""
  if state_dir is None:
    return os.path.join(output_dir, run_lib.BOOKKEEPING_DIR)
  key = output_dir if output_dir is not None else '\0'.join(argv)
  name = _digest(key)
  if output_dir is not None:
    name += '-' + (os.path.basename(output_dir.rstrip(os.sep)) or 'root')
  return os.path.join(os.path.abspath(state_dir), name)


def _dependencies(line, flags, writers, cwd):
  """The earlier lines whose output directory this line names in a flag.

  Raises:
    SweepError: if it names the output directory of a later line.
  """
  depends_on = set()
  for value in flags.values():
    if not isinstance(value, str) or not value:
      continue
    other = writers.get(os.path.normpath(os.path.join(cwd, value)))
    if other is None or other.number == line.number:
      continue
    if other.number > line.number:
      raise SweepError(
          'line {} reads {}, the output of line {}, which comes after it; '
          'put line {} first: {!r}'.format(line.number, value, other.number,
                                            other.number, line.text))
    depends_on.add(other.number)
  return sorted(depends_on)


def plan(program, lines, state_dir=None, cwd=None):
  """Binds every line to its output directory, record, log and inputs.

  A line depends on an earlier line when one of its flag values, as a path,
  is that line's output directory; it then starts only after that line is
  done (see schedule.py).

  Args:
    program: the programs.Program that runs the lines.
    lines: a list of lines.Line.
    state_dir: a directory for every line's record and log, or None to keep
      them in each line's output directory.
    cwd: the directory relative paths in lines are relative to; None means
      the current directory.

  Returns:
    A list of run.Run, one per line.

  Raises:
    SweepError: if two lines write the same output directory, a line reads
      the output of a later line, or a line has no output directory and no
      state_dir is given.
    programs.ProgramError: if the runner's output_directory function fails.
  """
  cwd = os.path.abspath(cwd or os.getcwd())
  flags = [lines_lib.line_flags(line.argv) for line in lines]
  output_dirs = []
  writers = {}
  for line, line_flags in zip(lines, flags):
    output_dir = program.output_directory(line_flags)
    if output_dir is not None:
      output_dir = os.path.normpath(os.path.join(cwd, output_dir))
      if output_dir in writers:
        other = writers[output_dir]
        raise SweepError(
            'lines {} and {} both write {}: {!r} and {!r}'.format(
                other.number, line.number, output_dir, other.text, line.text))
      writers[output_dir] = line
    elif state_dir is None:
      raise SweepError(
          'line {} has no --output_dir (and {} defines no output_directory) '
          'so its record has no home; give a state directory: {!r}'.format(
              line.number, program.target, line.text))
    output_dirs.append(output_dir)
  runs = []
  for line, line_flags, output_dir in zip(lines, flags, output_dirs):
    runs.append(run_lib.Run(
        line, program, output_dir,
        _run_directory(output_dir, line.argv, state_dir), cwd=cwd,
        depends_on=_dependencies(line, line_flags, writers, cwd)))
  return runs


def statuses(runs):
  """The recorded status of every run, for a dry run or a report.

  Args:
    runs: a list of run.Run.

  Returns:
    A list of (run, status) pairs; status is 'done' only if done with the
    run's current arguments, else the recorded status, or 'pending'.
  """
  pairs = []
  for run in runs:
    record = run.read_state()
    if state_lib.is_done(record, run.line.argv):
      status = state_lib.DONE
    elif record is None or record.get('status') == state_lib.DONE:
      status = state_lib.PENDING  # Never run, or done with other arguments.
    else:
      status = record['status']
    pairs.append((run, status))
  return pairs


def run_sweep(runs, executor, stream=None):
  """Executes the runs not yet done and reports on the whole sweep.

  Args:
    runs: the list of run.Run from plan.
    executor: an executors.Executor.
    stream: where progress and the summary go; None means sys.stderr.

  Returns:
    A SweepResult. Failed lines do not raise: see its results.
  """
  begin = time.time()
  todo = [run for run in runs if not run.is_done()]
  already_done = len(runs) - len(todo)
  allocation = executor.allocate(len(todo)) if todo else None
  progress = progress_lib.Progress(
      len(runs), already_done,
      allocation.parallelism if allocation else 1, stream=stream)
  progress.say('{} lines, {} already done, {} to run{}'.format(
      len(runs), already_done, len(todo),
      ' with the ' + executor.describe(len(todo)) if todo else ''))
  results = executor.run(todo, progress) if todo else []
  elapsed = time.time() - begin
  for row in progress_lib.summary(results, len(runs), already_done, elapsed):
    progress.say(row)
  return SweepResult(runs, results, already_done, elapsed)
