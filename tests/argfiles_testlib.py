"""What the sweep tests share: the fake runner, a sweep in-process, its
records and counts."""

import contextlib
import io
import os

from fire import parser as fire_parser
import pytest

from lottery_ticket import command_line
from lottery_ticket.argfiles import runner
from lottery_ticket.argfiles.engine import resources
from lottery_ticket.argfiles.engine import state as state_lib

FAKE_RUNNER = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                           'fake_runner.py')


def parse_argv(argv):
  """{flag: value} of a line's flags, values read as Fire reads them (for
  tests of generated lines).

  Raises:
    ValueError: for a command line command_line.flag_problem refuses.
  """
  return {name: fire_parser.DefaultParseValue('true' if value is None
                                              else value)
          for name, value in command_line.flag_items(argv)}


def run_sweep(argv, stream=None):
  """The sweep command (`lottery-ticket sweep argv...`) in this process.

  Returns:
    Its exit status; what it wrote to stderr is in `stream`.
  """
  with contextlib.redirect_stderr(stream or io.StringIO()):
    try:
      command_line.run(runner.RUNNER, argv)
    except SystemExit as stop:
      return 0 if stop.code is None else stop.code
  return 0


def sweep(directory, text, *flags):
  """Runs the runner CLI in-process in `directory` on lines `text`.

  Returns:
    The exit code and what the runner wrote to stderr.
  """
  os.makedirs(str(directory), exist_ok=True)
  os.chdir(str(directory))
  with open('lines.txt', 'w') as f:
    f.write(text)
  stream = io.StringIO()
  code = run_sweep([FAKE_RUNNER, 'lines.txt'] + list(flags), stream)
  return code, stream.getvalue()


def count(directory, output_dir):
  """How many times the fake runner ran for an output directory."""
  path = os.path.join(str(directory), output_dir, 'count.txt')
  if not os.path.exists(path):
    return 0
  with open(path) as f:
    return int(f.read())


def state(directory, output_dir):
  """The sweep's record of the line writing output_dir (default layout)."""
  return state_lib.read_state(os.path.join(
      str(directory), output_dir, '.argfile_run', 'state.json'))


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
  """Runs the test in a fresh directory, with no thread limits inherited."""
  monkeypatch.chdir(tmp_path)
  for name in resources.thread_environment(1):
    monkeypatch.delenv(name, raising=False)
  return tmp_path
