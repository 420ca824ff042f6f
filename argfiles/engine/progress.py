"""Progress of a whole sweep on stderr, and the summary at its end.

Each start and end of a run is printed as a line:

  [sweep] line 3 started; log: /results/lt/trial2/.argfile_run/run.log
  [sweep] line 3 done in 0:00:41 | 5/8 done, 2 running, 1 failed, 0 left | about 0:00:37 to go

In a terminal a status line under them is redrawn every second while runs
execute, so the minutes before the first run ends are not silent:

  [sweep] 5/8 done, 2 running, 1 failed, 0 left | about 0:00:37 to go | line 7 0:00:12, line 8 0:00:03

It is not drawn when stderr is not a terminal: a log file gets the events
only.

The time left says 'estimating' until a run has ended. Then, from the mean
duration m of the runs that ended (the finished ones, if any finished):
each running run needs m minus its elapsed time, each waiting run m, and
the waiting runs take the slots (parallelism) in turn as they free up; the
estimate is when the last slot frees. So it is never less than the longest
remainder of a running run (idle slots do not speed up one slow run), and
a waiting run that can start now counts whole. A run already past m has an
unknown remainder: the estimate then says 'at least', or, if nothing else
is left, that the time left is unknown. It never says 0 while work remains.
"""

import datetime
import heapq
import math
import shutil
import sys
import time

from lottery_ticket.argfiles.engine import state as state_lib
from lottery_ticket.foundations.storage import progress as console

_PREFIX = '[sweep] '
# Seconds between redraws of the status line in a terminal.
_REDRAW_SECONDS = 1.0
# Running lines named on the status line.
_SHOWN_RUNNING = 3
# Characters of a failure's error shown in its event line.
_SHOWN_ERROR = 100
# Moves to the start of the line and clears it.
_CLEAR = '\r\x1b[K'


def format_seconds(seconds):
  """Seconds as H:MM:SS, rounded to whole seconds."""
  return str(datetime.timedelta(seconds=int(round(max(0.0, seconds)))))


def _format_left(seconds):
  """Time left as H:MM:SS, rounded up, at least one second."""
  return str(datetime.timedelta(seconds=max(1, int(math.ceil(seconds)))))


class Notice(object):
  """A one-line notice shown in a terminal while work runs, then erased.

  For the seconds before a sweep's first event (importing the runner,
  checking lines): a terminal shows what is happening; a log file gets
  nothing, so a refusal stays one line. Progress draws its status line so.
  """

  def __init__(self, stream=None, live=None):
    """Args: stream: where to draw; None means sys.stderr.
    live: whether to draw; None means only if the stream is a terminal."""
    self.stream = stream or sys.stderr
    self.live = console.is_terminal(self.stream) if live is None else live
    self._shown = False

  def show(self, text):
    """Draws text (cut to the terminal's width) in place of the last."""
    if self.live:
      width = shutil.get_terminal_size().columns
      self.stream.write(_CLEAR + (_PREFIX + text)[:max(20, width - 1)])
      self.stream.flush()
      self._shown = True

  def clear(self):
    """Erases what show drew, if anything."""
    if self._shown:
      self.stream.write(_CLEAR)
      self.stream.flush()
      self._shown = False


class Progress(Notice):
  """Counts of a sweep's runs, reported as they change.

  Attributes:
    total: the number of lines in the sweep.
    done: lines done, including those done before this invocation.
    failed: lines that failed in this invocation.
    left: lines not yet started.
  """

  def __init__(self, total, already_done, parallelism, stream=None,
               clock=time.time, live=None):
    """Starts counting.

    Args:
      total: the number of lines in the sweep.
      already_done: how many were done by earlier invocations (skipped).
      parallelism: how many runs execute at once.
      stream: where to print; None means sys.stderr.
      clock: a function returning the time in seconds (for tests).
      live: whether to redraw a status line (see the module docstring);
        None means only if the stream is a terminal.
    """
    super(Progress, self).__init__(stream, live)
    self.total = total
    self.done = already_done
    self.failed = 0
    self.left = total - already_done
    self.parallelism = max(1, parallelism)
    self._clock = clock
    self._started = {}  # Line number -> start time of the running runs.
    self._durations = {state_lib.DONE: [], state_lib.FAILED: []}
    self._last_draw = None

  def started(self, run):
    """Counts a run that has started, and says where its log is.

    Args:
      run: the run.Run.
    """
    self.left -= 1
    self._started[run.line.number] = self._clock()
    self.say('line {} started; log: {}'.format(run.line.number, run.log_path))

  def finished(self, result):
    """Counts a run that has ended (or was given up without starting) and
    prints the event with the progress counts.

    Args:
      result: its run.RunResult.
    """
    if self._started.pop(result.number, None) is None:
      self.left -= 1  # Never started: its input failed.
    if result.returncode is not None:
      self._durations[result.status].append(result.duration)
    if result.status == state_lib.DONE:
      self.done += 1
      event = 'line {} done in {}'.format(result.number,
                                          format_seconds(result.duration))
    else:
      self.failed += 1
      error = result.error or ''
      if len(error) > _SHOWN_ERROR:
        error = error[:_SHOWN_ERROR - 3] + '...'
      event = 'line {} failed: {}'.format(result.number, error)
    self.say('{} | {}'.format(event, self.line()))

  def time_left(self):
    """The estimated time left, as text (see the module docstring).

    Returns:
      A str: 'estimating time left', 'about H:MM:SS to go', 'at least
      H:MM:SS to go' or 'time left unknown: ...'; '' when no work remains.
    """
    if self.left <= 0 and not self._started:
      return ''
    # The mean duration of the finished runs (else the failed).
    durations = (self._durations[state_lib.DONE] or
                 self._durations[state_lib.FAILED])
    if not durations:
      return 'estimating time left'
    mean = sum(durations) / len(durations)
    now = self._clock()
    remainders = {number: mean - (now - start)
                  for number, start in self._started.items()}
    overdue = sorted(n for n, r in remainders.items() if r <= 0)
    # When each slot frees: after its running run, or now if idle.
    slots = [max(0.0, r) for r in remainders.values()]
    slots += [0.0] * max(0, self.parallelism - len(slots))
    heapq.heapify(slots)
    for _ in range(max(0, self.left)):
      heapq.heappush(slots, heapq.heappop(slots) + mean)
    seconds = max(slots)
    if overdue and seconds < 1.0:
      return ('time left unknown: line {} has run longer than the mean of '
              '{}'.format(overdue[0], format_seconds(mean)))
    return '{} {} to go'.format('at least' if overdue else 'about',
                                _format_left(seconds))

  def line(self):
    """The progress counts and time left as one line (no prefix)."""
    text = '{}/{} done, {} running, {} failed, {} left'.format(
        self.done, self.total, len(self._started), self.failed, self.left)
    left = self.time_left()
    return text + (' | ' + left if left else '')

  def _status(self):
    """The status line: counts, time left, the running lines' times."""
    now = self._clock()
    running = sorted(self._started.items())
    shown = ', '.join('line {} {}'.format(number, format_seconds(now - start))
                      for number, start in running[:_SHOWN_RUNNING])
    if len(running) > _SHOWN_RUNNING:
      shown += ', {} more'.format(len(running) - _SHOWN_RUNNING)
    return self.line() + (' | ' + shown if shown else '')

  def tick(self):
    """Redraws the status line in a terminal, at most once a second."""
    now = self._clock()
    if self.live and (self._last_draw is None or
                      now - self._last_draw >= _REDRAW_SECONDS):
      self._last_draw = now
      self.show(self._status())

  def clear(self):
    """Erases the status line (redrawn on the next tick): before a line of
    output, and once no run is executing."""
    if self._shown:
      self._last_draw = None  # Redraw on the next tick.
    super(Progress, self).clear()

  def say(self, text):
    """Prints a line of sweep output (above the status line, if any)."""
    self.clear()
    self.stream.write(_PREFIX + text + '\n')
    self.stream.flush()


def summary(results, total, already_done, elapsed):
  """The lines printed when a sweep ends.

  Args:
    results: the run.RunResult of every run executed in this invocation.
    total: the number of lines in the sweep.
    already_done: how many lines earlier invocations had finished.
    elapsed: the invocation's wall time in seconds.

  Returns:
    A list of str (for Progress.say): the counts, then for each failure its
    line, its one-line error and its log.
  """
  failures = sorted((r for r in results if r.status != state_lib.DONE),
                    key=lambda r: r.number)
  rows = ['finished in {}: {} of {} lines done ({} in this run, {} before), '
          '{} failed'.format(format_seconds(elapsed),
                             already_done + len(results) - len(failures),
                             total, len(results) - len(failures),
                             already_done, len(failures))]
  for failure in failures:
    rows.append('FAILED line {}: {}'.format(failure.number, failure.text))
    rows.append('  error: {}'.format(failure.error))
    rows.append('  log:   {}'.format(failure.log_path))
  return rows
