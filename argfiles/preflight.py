"""What a sweep checks once, before it starts any line.

Fifty lines that each start TensorFlow only to fail the same way cost
minutes to say one thing, and a bad line 40 should not wait for lines 1-39
to run for an hour. So before the first line runs (and before anything is
written), a sweep checks every line as far as it can without training
anything, and stops at the first problem with one line naming the line(s):

  * every line is flags only, each once and with a value (check_lines,
    lines.line_problem), before anything is imported;
  * every dataset a line names (--dataset, at --data_location or its
    default location) has its files, so a missing download is reported
    once, with the command that fetches it; this needs neither the runner
    nor the records, so it comes first, before the runner is imported,
    and covers every line;
  * no two lines write nested directories, unless the inner reads the
    outer (check_nesting);
  * no runner from an earlier sweep is still alive (only where children
    cannot be tied to their sweep, see lifeline.py);
  * the runner accepts every line's flags, if it defines validate_flags
    (see programs.py): the very check the runner makes of its own command
    line, so a line refused here is one the runner would refuse. Every
    line is checked before the sweep plans where lines write (which needs
    their flags: a line without --output_dir is named here, not met as a
    TypeError later); lines rerun with --overwrite are checked again with
    it, once the records say which (check).
"""

import importlib.util
import os
import socket

from lottery_ticket.argfiles import changes as changes_lib
from lottery_ticket.argfiles import lines as lines_lib
from lottery_ticket.argfiles.engine import lifeline
from lottery_ticket.argfiles.engine import state as state_lib


class PreflightError(ValueError):
  """A line of the sweep cannot succeed, found before anything started."""


def check(program, runs):
  """The checks that need the runner or the records, on the runs about to
  execute (check_datasets comes before).

  Args:
    program: the programs.Program running them.
    runs: the run.Run about to execute; the flags of those whose runner
      gets more arguments than their line (--overwrite) are checked again.

  Raises:
    PreflightError: for the first problem found, in one line.
    programs.ProgramError: if the runner's validate_flags cannot be
      imported.
  """
  check_no_live_runners(runs)
  check_flags(program, [run.line._replace(argv=run.argv) for run in runs
                        if run.argv != run.line.argv])


def check_no_live_runners(runs):
  """Refuses to start a line whose runner from an earlier sweep still runs
  (unless children die with their sweep, lifeline.CHILDREN_DIE_WITH_PARENT:
  then there is nothing to check).

  Args:
    runs: the run.Run about to execute.

  Raises:
    PreflightError: naming the line and the pid still running.
  """
  if lifeline.CHILDREN_DIE_WITH_PARENT:
    return
  host = socket.gethostname()
  for run in runs:
    record = run.read_state()
    if (record and record.get('status') == state_lib.RUNNING and
        record.get('host') == host and lifeline.alive(record.get('pid'))):
      raise PreflightError(
          "line {}'s runner from an earlier sweep is still running (pid {}); "
          'wait for it to end or stop it, then run the sweep again'.format(
              run.line.number, record['pid']))


def check_nesting(runs):
  """Refuses two lines whose output directories nest, one inside the other,
  unless the inner line reads the outer (a control of a lottery level
  inside its trial: it starts only once that line is done).

  Otherwise each would take the other's directory for part of its own run:
  run one after the other, the outer run's --overwrite would remove the
  inner; run together, one fails on the other's lock. (Two lines writing
  one directory are refused by sweep.plan.)

  Args:
    runs: the run.Run of the sweep.

  Raises:
    PreflightError: naming both lines and both directories.
  """
  writers = {os.path.realpath(d): run for run in runs
             for d in run.output_dirs or ()}
  for inner_dir, inner in sorted(writers.items()):
    outer_dir = os.path.dirname(inner_dir)
    while outer_dir != os.path.dirname(outer_dir):
      outer = writers.get(outer_dir)
      if (outer is not None and outer is not inner and
          outer.line.number not in inner.depends_on):
        raise PreflightError(
            'lines {} and {} write nested directories, {} inside {}: give '
            'each line a directory of its own'.format(
                *sorted((outer.line.number, inner.line.number)), inner_dir,
                outer_dir))
      outer_dir = os.path.dirname(outer_dir)


def missing_dataset(name, location=None):
  """What is missing for a dataset, or None if its files are there.

  Checks only that the files exist (not their contents, which the run
  verifies): enough to catch a dataset never downloaded or a mistyped
  location without starting a runner.

  Args:
    name: a dataset name as a line gives it.
    location: the line's --data_location, or None for the default.

  Returns:
    None, or a one-line description of the problem with its remedy.
  """
  from lottery_ticket.datasets import dataset_cifar10  # pylint: disable=g-import-not-at-top
  from lottery_ticket.datasets import download  # pylint: disable=g-import-not-at-top
  from lottery_ticket.datasets import idx_image_dataset  # pylint: disable=g-import-not-at-top
  from lottery_ticket.datasets import registry  # pylint: disable=g-import-not-at-top
  if name not in registry.NAMES:
    return 'No such dataset: {!r} (choose from: {})'.format(
        name, ', '.join(sorted(registry.NAMES)))
  if name == 'digits':
    if importlib.util.find_spec('sklearn') is None:
      return 'the digits dataset needs scikit-learn: pip install scikit-learn'
    return None
  path = location or registry.default_location(name)
  if name == 'cifar10':
    directory = dataset_cifar10.batch_directory(path)
    wanted = dataset_cifar10.TRAIN_BATCHES + (dataset_cifar10.TEST_BATCH,)
  elif path.endswith('.npz') or os.path.isfile(path):
    directory, wanted = os.path.dirname(path), (os.path.basename(path),)
  else:
    directory, wanted = path, idx_image_dataset.FILE_NAMES
  return download.missing_files([os.path.join(directory, f) for f in wanted],
                                name, location)


def check_datasets(lines):
  """Checks, once per dataset and location, the datasets lines name.

  Lines without --dataset are not checked: which dataset they use is the
  runner's business (a default, or a saved configuration).

  Args:
    lines: the sweep's lines.Line (relative locations are relative to the
      current directory).

  Raises:
    PreflightError: naming the lines that need a missing dataset.
  """
  users = {}
  for line in lines:
    flags = lines_lib.line_flags(line.argv)
    name = flags.get('dataset')
    if not isinstance(name, str):
      continue
    location = flags.get('data_location')
    location = (os.path.join(os.getcwd(), location)
                if isinstance(location, str) and location else None)
    users.setdefault((name, location), []).append(line.number)
  for (name, location), numbers in users.items():
    problem = missing_dataset(name, location)
    if problem:
      raise PreflightError('{} {}: {}'.format(
          'line' if len(numbers) == 1 else 'lines',
          changes_lib.format_numbers(numbers), problem))


def _refuse(refused):
  """Raises one PreflightError for (line number, problem or None) pairs:
  the first problem, and how many other lines are refused."""
  refused = [(number, error) for number, error in refused if error is not None]
  if not refused:
    return
  number, error = refused[0]
  others = ''
  if len(refused) == 2:
    others = ' (line {} is refused too)'.format(refused[1][0])
  elif len(refused) > 2:
    others = ' (lines {} are refused too)'.format(changes_lib.format_numbers(
        n for n, _ in refused[1:]))
  raise PreflightError('line {}: {}{}'.format(number, error, others))


def check_lines(lines):
  """Checks that every line is flags only, each once and with a value.

  Needs neither the runner nor the records, so it comes first (see
  lines.line_problem for why a sweep asks this of every runner's lines).

  Args:
    lines: the sweep's lines.Line.

  Raises:
    PreflightError: naming the first line refused and its problem, and how
      many other lines are refused.
  """
  _refuse([(line.number, lines_lib.line_problem(line.argv))
           for line in lines])


def check_flags(program, lines):
  """Runs the runner's validate_flags on every line, if it defines one.

  Args:
    program: the programs.Program.
    lines: the lines.Line to check, each with the arguments its runner will
      get.

  Raises:
    PreflightError: naming the first line refused and its error, and how
      many other lines are refused.
    programs.ProgramError: if the runner's validate_flags cannot be
      imported.
  """
  _refuse([(line.number, program.validate(line.argv)) for line in lines])
