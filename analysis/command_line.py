"""Running an analysis function as a Fire command line.

The functions return their results for use from Python; on the command line
they report by printing, so the returned value is dropped rather than echoed
by Fire. Bad input, and a missing optional dependency, end in one line on
stderr and exit status 2 (see lottery_ticket.command_line.run).
"""

import functools

from lottery_ticket import command_line


def run(function, name):
  """Runs `function` as the Fire CLI `name`, discarding its return value."""

  @functools.wraps(function)
  def command(*args, **kwargs):
    try:
      function(*args, **kwargs)
    except ImportError as error:  # matplotlib missing: say so in one line
      raise ValueError(str(error)) from error

  command_line.run(command, name=name)
