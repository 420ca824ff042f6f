r"""Runs a runner CLI once per flag line: a resumable batch sweep.

  python -m lottery_ticket.argfiles.runner RUNNER ARGFILE \
      [--executor=sequential|local|ray] [--parallelism=N] [--address=ADDR] \
      [--state_dir=DIR] [--cpus_per_run=T] [--memory_per_run_gb=G] \
      [--rerun_changed] [--dry_run] [-- GENERATOR FLAGS...]

RUNNER is a command of the library, by name or module (run as `python -m
MODULE line...`), or a .py path (run as `python RUNNER line...`). ARGFILE
is a text file of flag lines, a generator module (e.g.
lottery_ticket.argfiles.lottery_experiment_argfile) or a script printing
lines; arguments after `--` go to the generator.

Every line runs in its own process, its output appended to
`{output dir}/.argfile_run/run.log` and its status kept in `state.json`
beside it (a packed line's, `--trials=N`, in
`{output dir}/.argfile_run/{first trial}+{more}/`; see sweep.py), or under
--state_dir. Running the same command again skips the
lines done, and runs the failed and unfinished ones; a line whose arguments
changed since it ran is refused unless --rerun_changed. One sweep at a time
may use those records (a second is refused, naming the first's pid), and
the runs die with their sweep. Before any line starts (and before anything
is written), every line is checked: flags only, each once, with a value;
the datasets the lines name; the runner's own check of its flags (see
preflight.py). A refused line is named by its line number.
Progress goes to stderr; the exit code is 0 only if every line is done, 1
if any failed, 2 if the sweep was refused before starting.

Examples:
  python -m lottery_ticket.argfiles.runner \
      lottery_ticket.mnist_fc.runners.lottery_experiment \
      lottery_ticket.argfiles.lottery_experiment_argfile \
      --executor=local -- --output_dir=results/lottery --trials=4
  python -m lottery_ticket.argfiles.runner my_runner.py sweep.txt \
      --executor=ray --address=auto
"""

import signal
import sys

from lottery_ticket import _interrupts

_NAME = 'argfiles.runner'


if __name__ == '__main__':
  # Before the imports below (numpy, then the runner's TensorFlow in sweep):
  # until the sweep takes its locks nothing is written and no run started,
  # so Ctrl-C just ends the program in one line. A KeyboardInterrupt would
  # not do: raised inside numpy's or TensorFlow's import it comes out as an
  # ImportError with a long story.
  _interrupts.install(_NAME, line='{}: interrupted before any line started; '
                      'nothing was written'.format(_NAME))

# pylint: disable=g-import-not-at-top,wrong-import-position
from lottery_ticket import command_line
from lottery_ticket.argfiles import lines as lines_lib
from lottery_ticket.argfiles import preflight
from lottery_ticket.argfiles import sweep as sweep_lib
from lottery_ticket.argfiles.engine import executors
from lottery_ticket.argfiles.engine import programs
from lottery_ticket.argfiles.engine import progress as progress_lib
from lottery_ticket.argfiles.engine import state as state_lib
from lottery_ticket.foundations import hparams
# pylint: enable=g-import-not-at-top,wrong-import-position


S = hparams.Setting


def _interrupt_once(signum, frame):
  """Raises KeyboardInterrupt for the first Ctrl-C and ignores the next.

  The first stops the runs in flight and records them (executors.py); a
  second, pressed while that happens, would cut it short and end the
  program with a traceback instead of its one line.
  """
  del signum, frame  # Unused.
  signal.signal(signal.SIGINT, signal.SIG_IGN)
  raise KeyboardInterrupt()


def sweep(runner, argfile, executor, parallelism, address, state_dir,
          cpus_per_run, memory_per_run_gb, rerun_changed, dry_run,
          generator_args, stream=None):
  """Runs `runner` once per line of `argfile` (the defaults are RUNNER's).

  Args:
    runner, argfile, executor, ...: as RUNNER's settings say;
      generator_args are the words after the command line's '--'.
    stream: where progress goes; None means sys.stderr.

  Returns:
    The exit status: 0 if every line is done, 1 if any failed, 130 if
    interrupted (the runs in flight stopped and recorded).

  Raises:
    ValueError: for bad input or a sweep refused before starting.
    OSError: for a directory the sweep cannot create or write (the runs
      in flight were stopped: executors.py).
  """
  stream = stream or sys.stderr
  notice = progress_lib.Notice(stream)
  try:
    executor = executors.make_executor(
        executor, address=address, parallelism=parallelism,
        cpus_per_run=cpus_per_run, memory_per_run_gb=memory_per_run_gb)
    program = programs.Program(runner)
    lines = lines_lib.load_lines(argfile, list(generator_args))
    if not lines:
      raise ValueError('argfile {} holds no lines'.format(argfile))
    preflight.check_lines(lines)
    # Checking flags and finding output directories imports the runner (this
    # library's without TensorFlow; a script's may take seconds): say so.
    notice.show('checking {} lines for {} before starting any'.format(
        len(lines), program.target))
    if not dry_run:
      preflight.check_datasets(lines)
      preflight.check_flags(program, lines)
    runs = sweep_lib.plan(program, lines, state_dir=state_dir)
    preflight.check_nesting(runs)
    # The end of start-up: from here on Ctrl-C raises KeyboardInterrupt
    # (once), so that sweep can stop the runs in flight and release its
    # locks (only the start-up handler of the program is replaced, not that
    # of a caller of sweep).
    if _interrupts.installed():
      signal.signal(signal.SIGINT, _interrupt_once)
    if dry_run:
      notice.clear()
      for run, status in sweep_lib.statuses(runs):
        print('{:>4} {:<11} {}'.format(run.line.number, status,
                                       run.line.text), flush=True)
      return 0
    # SIGTERM stops the sweep as Ctrl-C does (Python's handler of SIGINT
    # raises KeyboardInterrupt whatever the signal).
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
      with sweep_lib.locks(runs):
        todo = sweep_lib.prepare(program, runs, rerun_changed=rerun_changed)
        notice.clear()
        results = sweep_lib.run_sweep(runs, todo, executor, stream=stream)
    finally:
      signal.signal(signal.SIGTERM, previous)
  except KeyboardInterrupt:
    notice.clear()
    stream.write('{}: interrupted; runs in flight were stopped and will run '
                 'again next time\n'.format(_NAME))
    return 130
  finally:
    notice.clear()  # An error's one line starts a line of its own.
  return int(any(r.status != state_lib.DONE for r in results))


RUNNER = command_line.Runner(
    name=_NAME, function=sweep, summary=__doc__.split('\n', 1)[0],
    epilog=__doc__.split('\n', 1)[1].strip(), concerns=(),
    positional=('runner', 'argfile'), rest='generator_args',
    handles_interrupts=True, returns_status=True,
    arguments=(
        S('runner', 'str', None, 'runner module or .py path (required)',
          derived='required'),
        S('argfile', 'str', None, 'text file of lines, generator module or '
          'script (required); arguments after -- go to the generator',
          derived='required'),
        S('executor', 'str', 'sequential', 'sequential, local or ray'),
        S('parallelism', 'int', None, 'runs at once', derived='local: '
          'min(cores, memory / 2 GiB, lines); ray: cluster CPUs / '
          'cpus_per_run'),
        S('address', 'str', None, "Ray cluster address, e.g. 'auto' or "
          "'10.0.0.1:6379'", derived='a local Ray instance'),
        S('state_dir', 'str', None, 'keep records and logs here, not in the '
          'output directories', derived='beside each run'),
        S('cpus_per_run', 'int', None, 'threads (Ray: CPUs) per run',
          derived='local: cores / parallelism; ray: 1; sequential: the '
          'library default'),
        S('memory_per_run_gb', 'float', None, 'memory per run in GiB',
          derived='local: 2, for the default parallelism; ray: declared '
          'only if given'),
        S(sweep_lib.RERUN_CHANGED[2:], 'bool', False, 'rerun from scratch '
          'the lines whose arguments changed since they ran (their runner '
          'gets --overwrite); without it such lines are refused'),
        S('dry_run', 'bool', False, 'list the lines and their status '
          '(pending, running, done, failed, interrupted, changed), run '
          'nothing'),
    ))


if __name__ == '__main__':
  command_line.run(RUNNER)
