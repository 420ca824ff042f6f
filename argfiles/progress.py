"""Progress of a whole sweep on stderr, and the summary at its end.

While a sweep runs, a line like

  [sweep] 5/8 done, 2 running, 1 failed, 0 left | about 0:00:07 to go

is printed when it starts and each time a run ends. The time left is the
mean duration of the runs that have ended so far, applied to the runs still
waiting and to what remains of the running ones, divided by the number of
runs executing at once.
"""

import datetime
import sys
import time

from lottery_ticket.argfiles import state as state_lib

_PREFIX = '[sweep] '


def format_seconds(seconds):
  """Seconds as H:MM:SS, rounded to whole seconds."""
  return str(datetime.timedelta(seconds=int(round(max(0.0, seconds)))))


class Progress(object):
  """Counts of a sweep's runs, reported as they change.

  Attributes:
    total: the number of lines in the sweep.
    done: lines done, including those done before this invocation.
    failed: lines that failed in this invocation.
    running: lines executing now.
    left: lines not yet started.
  """

  def __init__(self, total, already_done, parallelism, stream=None,
               clock=time.time):
    """Starts counting.

    Args:
      total: the number of lines in the sweep.
      already_done: how many were done by earlier invocations (skipped).
      parallelism: how many runs execute at once.
      stream: where to print; None means sys.stderr at print time.
      clock: a function returning the time in seconds (for tests).
    """
    self.total = total
    self.done = already_done
    self.failed = 0
    self.left = total - already_done
    self.parallelism = max(1, parallelism)
    self._stream = stream
    self._clock = clock
    self._started = {}  # Line number -> start time of the running runs.
    self._durations = []

  @property
  def running(self):
    return len(self._started)

  def started(self, run):
    """Counts a run that has started.

    Args:
      run: the run.Run.
    """
    self.left -= 1
    self._started[run.line.number] = self._clock()

  def finished(self, result):
    """Counts a run that has ended and prints the progress line.

    Args:
      result: its run.RunResult.
    """
    self._started.pop(result.number, None)
    self._durations.append(result.duration)
    if result.status == state_lib.DONE:
      self.done += 1
    else:
      self.failed += 1
    self.report()

  def seconds_left(self):
    """The estimated seconds until the sweep ends, or None before any data.

    Returns:
      A float, or None if no run has ended yet (nothing to estimate from)
      or the sweep is over.
    """
    if not self._durations or (self.left == 0 and not self._started):
      return None
    mean = sum(self._durations) / len(self._durations)
    now = self._clock()
    work = self.left * mean + sum(
        max(0.0, mean - (now - start)) for start in self._started.values())
    return work / self.parallelism

  def line(self):
    """The progress counts as one line (without prefix or newline)."""
    text = '{}/{} done, {} running, {} failed, {} left'.format(
        self.done, self.total, self.running, self.failed, self.left)
    seconds = self.seconds_left()
    if seconds is not None:
      text += ' | about {} to go'.format(format_seconds(seconds))
    return text

  def say(self, text):
    """Prints a line of sweep output to the progress stream."""
    stream = self._stream or sys.stderr
    stream.write(_PREFIX + text + '\n')
    stream.flush()

  def report(self):
    """Prints the progress line."""
    self.say(self.line())


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
