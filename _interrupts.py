"""Ctrl-C at any moment of a runner's command line: one line, exit 130.

Python turns SIGINT into a KeyboardInterrupt wherever the program is. While
a runner starts (importing TensorFlow takes seconds) that is a traceback,
and during TensorFlow's import stderr even points at /dev/null
(_quiet_tensorflow). So a runner's command line takes SIGINT over from its
first import (`install`, called when the package is imported by `python -m
lottery_ticket.mnist_fc.runners.X` or by `lottery-ticket X`): Ctrl-C prints
one line on the stderr the command started with and exits 130 at once;
nothing has been written yet. While the runner runs (command_line.py
`run`), Ctrl-C is a KeyboardInterrupt again, which the runner turns into the
same line after releasing its locks; once it is done, Ctrl-C exits at once
again. A process that inherited an ignored SIGINT keeps ignoring it, and
code that imports the package (tests, notebooks, a sweep) is left alone.
"""

import os
import signal
import sys

RUNNERS = 'lottery_ticket.mnist_fc.runners.'
_STATE = {'line': None, 'stderr': None}


def message(name):
  """The one line of an interrupted runner."""
  return ('{}: interrupted; what was saved (finished runs and levels, the '
          'latest checkpoint) is kept: run the same command again to '
          'resume'.format(name))


def _exit_at_once(signum, frame):
  del signum, frame
  try:
    # In a terminal, over whatever notice the line was showing.
    erase = '\r\x1b[K' if os.isatty(_STATE['stderr']) else ''
    os.write(_STATE['stderr'], (erase + _STATE['line'] + '\n').encode())
  except OSError:
    pass
  os._exit(130)  # pylint: disable=protected-access


def command_module():
  """The module `python -m` is about to run, or None."""
  argv = list(getattr(sys, 'orig_argv', ()))
  if sys.argv[:1] != ['-m'] or '-m' not in argv[:-1]:
    return None
  return argv[argv.index('-m') + 1]


def install(name, line=None):
  """Ctrl-C from now on: one line and exit 130, at once.

  Args:
    name: the program, for the runners' line (`message`).
    line: the line to print instead (the sweep's says no line started).
  """
  if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    return
  if _STATE['stderr'] is None:
    _STATE['stderr'] = os.dup(2)  # the terminal's, whatever fd 2 becomes
  _STATE['line'] = line or message(name)
  signal.signal(signal.SIGINT, _exit_at_once)


def installed():
  """Whether Ctrl-C still exits at once (see install)."""
  return signal.getsignal(signal.SIGINT) is _exit_at_once


def install_for_runner_module(module):
  """`install` if `module` (a `python -m` module) is a runner's."""
  if module and module.startswith(RUNNERS):
    install(module[len(RUNNERS):])


def interrupt_raises():
  """While a runner runs: Ctrl-C is a KeyboardInterrupt (caught by it)."""
  if installed():
    signal.signal(signal.SIGINT, signal.default_int_handler)


def interrupt_exits():
  """After a runner ran (or while it stops): Ctrl-C exits at once."""
  if (_STATE['stderr'] is not None and
      signal.getsignal(signal.SIGINT) is signal.default_int_handler):
    signal.signal(signal.SIGINT, _exit_at_once)
