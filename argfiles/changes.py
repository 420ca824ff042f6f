"""A line is its arguments: finding lines that changed since they ran.

A run's record keeps the exact arguments (and runner) its outputs were made
with. If the line that writes the same output directory now reads
differently, say with another --training_len, the outputs on disk are not
the line's: counting it done would report results the line never asked
for, and resuming it would mix the two. So a sweep finds such lines before
it starts anything and refuses them, naming each changed flag with its old
and new value, unless asked to rerun them from scratch (their runner is
then given run.OVERWRITE_FLAG).

A line whose earlier attempt never started a runner process (it was held
back because its input failed) wrote nothing, so it may change freely.
"""

import collections
import itertools
import shlex

from lottery_ticket.argfiles import lines as lines_lib
from lottery_ticket.argfiles.engine import state as state_lib


class Change(collections.namedtuple('Change', ['run', 'differences'])):
  """A line whose arguments differ from those it last ran with.

  Attributes:
    run: the run.Run.
    differences: a list of (what, recorded value, current value): what is a
      flag ('--seed'), 'runner' or 'arguments'; a value is a str, or None
      where the flag is absent.
  """


_UNSET = '(unset)'


def differences(recorded_argv, argv, recorded_runner=None, runner=None):
  """How a line's arguments (and runner) differ from the recorded ones.

  Args:
    recorded_argv: the arguments a record was made with.
    argv: the line's arguments now.
    recorded_runner: the runner the record names, or None (old records
      have none; then runners are not compared).
    runner: the runner now.

  Returns:
    A list of (what, recorded value, current value), empty if nothing
    differs: one entry per flag whose value differs (in order of
    appearance), 'runner' if the runner changed, and 'arguments' (the two
    whole lines) if only their order or their non-flag words changed.
  """
  found = []
  if recorded_runner and runner and recorded_runner != runner:
    found.append(('runner', recorded_runner, runner))
  before = lines_lib.line_flags(recorded_argv)
  after = lines_lib.line_flags(argv)
  for name in list(after) + [n for n in before if n not in after]:
    if before.get(name) != after.get(name):
      found.append(('--' + name, _value(before.get(name)),
                    _value(after.get(name))))
  if not found and list(recorded_argv) != list(argv):
    found.append(('arguments', shlex.join(recorded_argv), shlex.join(argv)))
  return found


def _value(value):
  """A flag value as line_flags gives it, for a message."""
  if value is True:
    return '(bare flag)'
  return value


def changed_lines(runs):
  """The runs whose line differs from what their record says they ran.

  Args:
    runs: a list of run.Run.

  Returns:
    A list of Change, in line order; runs never started are left out.
  """
  found = []
  for run in runs:
    record = run.read_state()
    if not state_lib.was_started(record):
      continue
    these = differences(record.get('argv') or [], run.line.argv,
                        record.get('runner'), run.runner)
    if these:
      found.append(Change(run, these))
  return found


def format_numbers(numbers):
  """Line numbers as a short list with ranges: [1, 2, 3, 7] -> '1-3, 7'."""
  # Numbers in one run of consecutive numbers share number - position.
  runs = [[n for _, n in group] for _, group in itertools.groupby(
      enumerate(sorted(set(numbers))), lambda pair: pair[1] - pair[0])]
  return ', '.join(str(run[0]) if len(run) == 1 else
                   '{}-{}'.format(run[0], run[-1]) for run in runs)


def format_differences(found):
  """('--seed', '1', '2'), ... as '--seed 1 -> 2, ...'."""
  return ', '.join('{} {} -> {}'.format(
      what, _UNSET if old is None else old, _UNSET if new is None else new)
                   for what, old, new in found)


def describe(changes):
  """The changed lines in one line: which, and what changed in them.

  Args:
    changes: a non-empty list of Change.

  Returns:
    A str such as 'line 2 changed since it ran: --training_len 300it ->
    600it' or, for lines that differ alike, 'lines 1-3 changed since they
    ran: ...'; lines that differ each their own way are counted and the
    first is shown.
  """
  numbers = format_numbers(c.run.line.number for c in changes)
  first = changes[0]
  found = format_differences(first.differences)
  if len(changes) == 1:
    return 'line {} changed since it ran: {}'.format(numbers, found)
  if all(c.differences == first.differences for c in changes):
    return 'lines {} changed since they ran: {}'.format(numbers, found)
  return 'lines {} changed since they ran; line {}: {}'.format(
      numbers, first.run.line.number, found)
