"""A sweep: every line of an argfile executed by a runner, resumably.

`plan` binds each line to the directories it writes (one, or one per trial
for a packed line, `--trials=N`: see programs.py), to its record and log,
and to the earlier lines whose outputs it reads, refusing two lines that
write a same directory (every directory of every line is compared, as real
paths, so a symlink does not hide a duplicate, and a packed line collides
with the unpacked line of any of its trials); `prepare` refuses lines
whose arguments changed since they ran (or marks them to be rerun) and
checks what can be checked before anything starts (preflight.py);
`run_sweep` skips the lines already done, executes the rest with an
executor, reports progress and a summary on stderr, and returns what
happened. The caller holds the sweep's locks (sweep_lock.py) from before
`prepare` until `run_sweep` returns.

Where each line's bookkeeping lives:
  * by default, for a line writing one directory, in
    `{output directory}/.argfile_run/` (state.json and run.log), next to
    the run's own outputs; for a line writing several, in
    `{their deepest common parent}/.argfile_run/{first}+{n}/`, where first
    is the first directory relative to that parent ('/' written '_') and n
    how many more there are: for a packed lottery line that parent is its
    --output_dir (`lt/.argfile_run/trial0+4/`), so the record of a pack of
    trials and those of the unpacked lines of its trials do not mix (a
    trial rerun unpacked starts a record of its own, and its runner resumes
    its outputs). The sweep locks each of these directories;
  * with a state directory, in `{state_dir}/{key}/`, where key is a digest
    of the output directories (or, for a line without one, of its
    arguments) and a readable name, so the output directories hold nothing
    but the runner's files; the sweep locks the state directory.
"""

import hashlib
import os
import time

from lottery_ticket.argfiles import changes as changes_lib
from lottery_ticket.argfiles import lines as lines_lib
from lottery_ticket.argfiles import preflight
from lottery_ticket.argfiles.engine import programs
from lottery_ticket.argfiles.engine import progress as progress_lib
from lottery_ticket.argfiles.engine import run as run_lib
from lottery_ticket.argfiles.engine import state as state_lib
from lottery_ticket.argfiles.engine import sweep_lock
from lottery_ticket.foundations.storage import dir_lock
from lottery_ticket.mnist_fc import trials as trials_lib

# Statuses a dry run shows besides the recorded ones: a line whose
# arguments differ from those it ran with, and a line whose sweep was
# stopped or killed while it ran.
CHANGED = 'changed'
INTERRUPTED = 'interrupted'
# The option of the sweep's command line that reruns changed lines.
RERUN_CHANGED = '--rerun_changed'


class SweepError(ValueError):
  """The sweep cannot start: a line has no output directory, two share one,
  or a line changed since it ran (a check before starting that fails raises
  preflight.PreflightError)."""


def _label(output_dirs):
  """A readable name of a line's directories (see the module docstring)."""
  if len(output_dirs) == 1:
    return os.path.basename(output_dirs[0].rstrip(os.sep)) or 'root'
  parent = os.path.commonpath(output_dirs)
  first = os.path.relpath(output_dirs[0], parent)
  if first == os.curdir:
    first = os.path.basename(parent) or 'root'
  return '{}+{}'.format(first.replace(os.sep, '_'), len(output_dirs) - 1)


def _run_directory(output_dirs, argv, state_dir):
  """Where a line's record and log live (see the module docstring).

  Args:
    output_dirs: the absolute directories the line writes, or None.
    argv: the line's arguments.
    state_dir: the state directory, or None.
  """
  if state_dir is None:
    if len(output_dirs) == 1:
      return os.path.join(output_dirs[0], run_lib.BOOKKEEPING_DIR)
    return os.path.join(os.path.commonpath(output_dirs),
                        run_lib.BOOKKEEPING_DIR, _label(output_dirs))
  key = '\0'.join(output_dirs or argv)
  name = hashlib.sha256(key.encode('utf-8')).hexdigest()[:16]
  if output_dirs:
    name += '-' + _label(output_dirs)
  return os.path.join(os.path.abspath(state_dir), name)


def _dependencies(line, writers, cwd):
  """The earlier lines whose output directories this line names in a flag:
  a value itself or, for a line with --trials, the trial directories of the
  base it names (mnist_fc/trials.py: trial t of a packed line reads
  {base}/trial{t}).

  Raises:
    SweepError: if it names an output directory of a later line.
  """
  flags = lines_lib.line_flags(line.argv)
  depends_on = set()
  for value in flags.values():
    if not isinstance(value, str) or not value:
      continue
    named = [value]
    if 'trials' in flags:
      try:
        named += trials_lib.output_directories(value, flags['trials'],
                                               flags.get('seed', 0))
      except (TypeError, ValueError):
        pass  # A bad --trials: the runner's own check names it.
    for path in named:
      other = writers.get(os.path.realpath(os.path.join(cwd, path)))
      if other is None or other.number == line.number:
        continue
      if other.number > line.number:
        raise SweepError(
            'line {} reads {}, the output of line {}, which comes after it; '
            'put line {} first: {!r}'.format(line.number, path, other.number,
                                              other.number, line.text))
      depends_on.add(other.number)
  return tuple(sorted(depends_on))


def plan(program, lines, state_dir=None, cwd=None):
  """Binds every line to its output directories, record, log and inputs.

  A line depends on an earlier line when one of its flag values, as a path,
  is a directory that line writes, or, in a line with --trials, the base
  of such a directory's trial (`{value}/trial{t}` for the line's trials);
  it then starts only after that line is done (see schedule.py).
  Directories are compared as real paths (os.path.realpath: symlinks
  resolved), so two names of one directory are one directory.

  Args:
    program: the programs.Program that runs the lines.
    lines: a list of lines.Line.
    state_dir: a directory for every line's record and log, or None to keep
      them beside each line's outputs (see the module docstring).
    cwd: the directory relative paths in lines are relative to; None means
      the current directory.

  Returns:
    A list of run.Run, one per line.

  Raises:
    SweepError: in one line, if two lines write a same directory (naming
      both lines), a line reads the output of a later line, or a line has
      no output directory and no state_dir is given.
    programs.ProgramError: naming the line, if the runner's
      output_directories function fails on it.
  """
  cwd = os.path.abspath(cwd or os.getcwd())
  lock_dir = os.path.abspath(state_dir) if state_dir is not None else None
  runs = []
  writers = {}
  for line in lines:
    try:
      output_dirs = program.output_directories(
          lines_lib.line_flags(line.argv))
    except programs.ProgramError as e:
      raise programs.ProgramError('line {}: {}'.format(line.number, e)) from e
    if output_dirs is None and state_dir is None:
      raise SweepError(
          'line {} has no --output_dir (and {} defines no output_directories)'
          ' so its record has no home; give a state directory: {!r}'.format(
              line.number, program.target, line.text))
    output_dirs = output_dirs and [os.path.normpath(os.path.join(cwd, d))
                                   for d in output_dirs]
    for real in map(os.path.realpath, output_dirs or ()):
      other = writers.get(real)
      if other is not None and other.number == line.number:
        raise SweepError('line {} writes {} twice: {!r}'.format(
            line.number, real, line.text))
      if other is not None:
        raise SweepError('lines {} and {} both write {}: {!r} and {!r}'.format(
            other.number, line.number, real, other.text, line.text))
      writers[real] = line
    runs.append(run_lib.Run(line, program, output_dirs,
                            _run_directory(output_dirs, line.argv, state_dir),
                            cwd=cwd, lock_dir=lock_dir))
  for run in runs:
    run.depends_on = _dependencies(run.line, writers, cwd)
  homes = {}
  for run in runs:
    other = homes.setdefault(os.path.realpath(run.run_dir), run)
    if other is not run:
      raise SweepError('lines {} and {} would keep their records in one '
                       'directory, {}; give a state directory: {!r} and '
                       '{!r}'.format(other.line.number, run.line.number,
                                     run.run_dir, other.line.text,
                                     run.line.text))
  return runs


def locks(runs):
  """The locks a sweep takes before it reads or writes any record.

  Args:
    runs: the runs from plan.

  Returns:
    A context manager (sweep_lock.sweep_locks) holding the lock of each
    distinct run.lock_dir.
  """
  labels = {}
  for run in runs:
    labels.setdefault(run.lock_dir, 'line {}'.format(run.line.number))
  if len(labels) == 1 and runs[0].lock_dir != runs[0].run_dir:
    labels = {runs[0].lock_dir: 'the state directory'}
  return sweep_lock.sweep_locks([run.lock_dir for run in runs], labels)


def bookkeeping(runs):
  """Where the sweep keeps its records and logs, in one line."""
  if runs and runs[0].lock_dir != runs[0].run_dir:
    return ('records and logs: {}/<digest>-<name>/ (state.json, run.log), '
            'one directory per line'.format(runs[0].lock_dir))
  packed = any(run.output_dirs and len(run.output_dirs) > 1 for run in runs)
  return ("records and logs: each line's {}/ (state.json, run.log) in its "
          'output directory{}'.format(
              run_lib.BOOKKEEPING_DIR,
              " (a packed line's in {}/<first>+<more>/ in the directory "
              'holding its trials)'.format(run_lib.BOOKKEEPING_DIR)
              if packed else ''))


def prepare(program, runs, rerun_changed=False):
  """Decides what to run and checks it can start; run it under the locks.

  Lines done with their current arguments are skipped. A line that ran
  with other arguments (changes.py) is refused, or with rerun_changed
  marked to be rerun with run.OVERWRITE_FLAG. Then the lines to run are
  checked before any starts (preflight.py).

  Args:
    program: the programs.Program running the lines.
    runs: the runs from plan.
    rerun_changed: rerun changed lines from scratch instead of refusing
      (RERUN_CHANGED asks for that, named in the refusal).

  Returns:
    The list of run.Run to execute, in line order.

  Raises:
    SweepError: in one line, for changed lines (without rerun_changed).
    preflight.PreflightError: in one line, for a failed check.
    programs.ProgramError: if the runner's validate_flags cannot be
      imported.
  """
  changed = changes_lib.changed_lines(runs)
  if changed and not rerun_changed:
    plural = len(changed) > 1
    raise SweepError(
        '{}; give {} to rerun {} from scratch ({} {} and replace{} what the '
        'old arguments made)'.format(
            changes_lib.describe(changed), RERUN_CHANGED,
            'them' if plural else 'it',
            'their runners get' if plural else 'its runner gets',
            run_lib.OVERWRITE_FLAG, '' if plural else 's'))
  for change in changed:
    change.run.overwrite = True
  todo = [run for run in runs if not run.is_done()]
  preflight.check(program, todo)
  return todo


def statuses(runs):
  """The recorded status of every run, for a dry run or a report.

  Args:
    runs: a list of run.Run.

  Returns:
    A list of (run, status) pairs; status is one of
      'done': done with the run's current arguments;
      CHANGED: it ran with other arguments (a sweep refuses it);
      'running': running in a sweep that holds its lock now;
      INTERRUPTED: stopped, or left running, by a sweep that ended;
      'failed', 'pending': as recorded ('pending' also when never run).
  """
  changed = {c.run.line.number for c in changes_lib.changed_lines(runs)}
  return [(run, _status(run, changed)) for run in runs]


def _status(run, changed):
  """The status of one run for statuses; changed: the changed lines."""
  record = run.read_state() or {}
  if run.is_done():
    return state_lib.DONE
  if run.line.number in changed:
    return CHANGED
  if record.get('status') == state_lib.RUNNING:
    held = dir_lock.holder(run.lock_dir) is not None
    return state_lib.RUNNING if held else INTERRUPTED
  if record.get('status') == state_lib.FAILED:
    return (INTERRUPTED if record.get('error') == state_lib.INTERRUPTED
            else state_lib.FAILED)
  return state_lib.PENDING


def run_sweep(runs, todo, executor, stream=None):
  """Executes the runs not yet done and reports on the whole sweep.

  Args:
    runs: the list of run.Run from plan.
    todo: the runs to execute, from prepare.
    executor: an executors.Executor.
    stream: where progress and the summary go; None means sys.stderr (a
      status line is redrawn if it is a terminal, see progress.py).

  Returns:
    The run.RunResult of each run executed now. Failed lines do not raise.
  """
  begin = time.time()
  already_done = len(runs) - len(todo)
  allocation = executor.allocate(len(todo)) if todo else None
  progress = progress_lib.Progress(
      len(runs), already_done,
      allocation.parallelism if allocation else 1, stream=stream)
  progress.say('{} lines, {} already done, {} to run{}'.format(
      len(runs), already_done, len(todo),
      ' with the ' + executor.describe(len(todo)) if todo else ''))
  rerun = [run.line.number for run in todo if run.overwrite]
  if rerun:
    progress.say('rerunning changed line{} {} from scratch ({})'.format(
        's' if len(rerun) > 1 else '', changes_lib.format_numbers(rerun),
        run_lib.OVERWRITE_FLAG))
  if todo:
    progress.say(bookkeeping(runs))
  try:
    results = executor.run(todo, progress) if todo else []
  finally:
    progress.clear()
  elapsed = time.time() - begin
  for row in progress_lib.summary(results, len(runs), already_done, elapsed):
    progress.say(row)
  return results
