"""Ctrl-C or SIGTERM at any moment of a runner's command line: one line,
exit 130 or 143.

SIGTERM is what batch schedulers and container runtimes send; it stops a
runner exactly as Ctrl-C (SIGINT) does, through one mechanism, and only its
word and exit status (128 + the signal's number) differ.

Python turns SIGINT into a KeyboardInterrupt wherever the program is, and
SIGTERM into nothing: the process dies without a word. While a runner
starts (importing TensorFlow takes seconds) a KeyboardInterrupt is a
traceback, and during TensorFlow's import stderr even points at /dev/null
(_quiet_tensorflow). So a runner's command line takes both signals over
from its first import (`install`, called when the package is imported by
`python -m lottery_ticket.mnist_fc.runners.X` or by `lottery-ticket X`):
either prints one line on the stderr the command started with and exits at
once; nothing has been written yet. While the runner runs (command_line.py
`run`), either is a KeyboardInterrupt again (SIGTERM's the subclass
`Terminated`), which the runner turns into the same line after releasing
its locks; the run is resumable as after Ctrl-C. Once it is done, either
exits at once again. A process that inherited an ignored signal keeps
ignoring it, and code that imports the package (tests, notebooks, a sweep)
is left alone.
"""

import os
import signal
import sys

RUNNERS = 'lottery_ticket.mnist_fc.runners.'
SIGNALS = (signal.SIGINT, signal.SIGTERM)
_STATE = {'name': None, 'line': None, 'stderr': None}


class Terminated(KeyboardInterrupt):
  """SIGTERM while a runner runs: it stops as on Ctrl-C (see the module)."""


def signal_of(interrupt):
  """The signal behind a KeyboardInterrupt: SIGTERM for Terminated."""
  return signal.SIGTERM if isinstance(interrupt, Terminated) else signal.SIGINT


def exit_status(signum):
  """The exit status that names the signal: 130 for SIGINT, 143 for SIGTERM."""
  return 128 + int(signum)


def message(name, signum=signal.SIGINT):
  """The one line of a runner stopped by `signum`."""
  what = ('interrupted' if signum == signal.SIGINT else
          'terminated ({})'.format(signal.Signals(signum).name))
  return ('{}: {}; what was saved (finished runs and levels, the latest '
          'checkpoint) is kept: run the same command again to '
          'resume'.format(name, what))


def _exit_at_once(signum, frame):
  del frame
  line = _STATE['line'] or message(_STATE['name'], signum)
  try:
    # In a terminal, over whatever notice the line was showing.
    erase = '\r\x1b[K' if os.isatty(_STATE['stderr']) else ''
    os.write(_STATE['stderr'], (erase + line + '\n').encode())
  except OSError:
    pass
  os._exit(exit_status(signum))  # pylint: disable=protected-access


def _raise_terminated(signum, frame):
  del signum, frame
  raise Terminated()


# While a runner runs, each signal raises (see interrupt_raises).
_RAISING = {signal.SIGINT: signal.default_int_handler,
            signal.SIGTERM: _raise_terminated}


def command_module():
  """The module `python -m` is about to run, or None."""
  argv = list(getattr(sys, 'orig_argv', ()))
  if sys.argv[:1] != ['-m'] or '-m' not in argv[:-1]:
    return None
  return argv[argv.index('-m') + 1]


def install(name, line=None):
  """Ctrl-C and SIGTERM from now on: one line and exit 130 or 143, at once.

  Args:
    name: the program, for the runners' line (`message`).
    line: the line to print instead, whichever the signal (the sweep's
      says no line started).
  """
  if _STATE['stderr'] is None:
    _STATE['stderr'] = os.dup(2)  # the terminal's, whatever fd 2 becomes
  _STATE['name'], _STATE['line'] = name, line
  for signum in SIGNALS:
    if signal.getsignal(signum) is not signal.SIG_IGN:
      signal.signal(signum, _exit_at_once)


def installed():
  """Whether Ctrl-C still exits at once (see install)."""
  return signal.getsignal(signal.SIGINT) is _exit_at_once


def install_for_runner_module(module):
  """`install` if `module` (a `python -m` module) is a runner's."""
  if module and module.startswith(RUNNERS):
    install(module[len(RUNNERS):])


def interrupt_raises():
  """While a runner runs: Ctrl-C is a KeyboardInterrupt, SIGTERM a
  Terminated (caught by it)."""
  for signum in SIGNALS:
    if signal.getsignal(signum) is _exit_at_once:
      signal.signal(signum, _RAISING[signum])


def interrupt_exits():
  """After a runner ran (or while it stops): either signal exits at once."""
  if _STATE['stderr'] is None:
    return
  for signum in SIGNALS:
    if signal.getsignal(signum) is _RAISING[signum]:
      signal.signal(signum, _exit_at_once)
