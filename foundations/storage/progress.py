"""Console progress of long work: where it is, how it does, time left.

Two forms, both on stderr so that stdout stays clean for results:

  Progress  log lines (`level 2 | iteration 300/3000 (10%) | test acc 0.9512
            | 3.1s elapsed, 27.9s left`), at most every few seconds. Training
            prints these: they are worth keeping in a run's log file as well
            as seeing on a terminal.
  Bar       one line redrawn in place, tqdm-style (`exact Hessian  40%
            |####      | 400/1000 [00:12<00:18, 33.1 rows/s]`), for work that
            has nothing to record (a Hessian, a benchmark, MetaInit). It draws
            only on a terminal and not when asked to be quiet, so log files
            never fill with redrawn lines.

`notice` prints a one-off line (e.g. "this will take about 20 minutes")
unless asked to be quiet. None of this needs TensorFlow.
"""

import math
import sys
import time

# Seconds between two Progress lines (module-level so tests can lower it).
DEFAULT_MIN_SECONDS = 2.0
# Seconds between two redraws of a Bar.
BAR_MIN_SECONDS = 0.2
BAR_WIDTH = 20


def format_duration(seconds):
  """'1:02:03' for an hour or more, '02:03' below; '?' when unknown."""
  if seconds is None or not math.isfinite(seconds) or seconds < 0:
    return '?'
  seconds = int(round(seconds))
  hours, rest = divmod(seconds, 3600)
  minutes, seconds = divmod(rest, 60)
  if hours:
    return '{}:{:02d}:{:02d}'.format(hours, minutes, seconds)
  return '{:02d}:{:02d}'.format(minutes, seconds)


def is_terminal(stream):
  """Whether `stream` is an interactive terminal (False when unsure)."""
  try:
    return bool(stream.isatty())
  except (AttributeError, ValueError):  # no isatty, or a closed stream
    return False


def notice(message, quiet=False, stream=None):
  """Prints a one-off line on stderr unless `quiet`."""
  if not quiet:
    print(message, file=stream or sys.stderr, flush=True)


class Progress(object):
  """Prints `label | iteration i/N (p%) | test acc a | s elapsed, s left`.

  Lines are printed at most every `min_seconds` (and always when forced),
  to stderr. A line names the iteration its metrics belong to: a caller
  that learns a metric late passes the iteration it was measured at.

  Attributes:
    last_printed: the iteration of the last line printed (None before any).
  """

  def __init__(self, label, total, start=0, min_seconds=None, stream=None):
    self.label = label
    self.total = int(total)
    self.start = int(start)
    self.min_seconds = (DEFAULT_MIN_SECONDS if min_seconds is None
                        else min_seconds)
    self.stream = stream or sys.stderr
    self.last_printed = None
    self._t0 = time.time()
    self._last = None

  def update(self, iteration, metrics=None, force=False):
    """Prints a line for `iteration` unless one was printed too recently.

    Args:
      iteration: the iteration the line (and its metrics) describe.
      metrics: optional dict label -> number (None values are left out).
      force: print even if the last line is recent.
    """
    now = time.time()
    if (not force and self._last is not None and
        now - self._last < self.min_seconds):
      return
    self._last = now
    self.last_printed = iteration
    print(self.line(iteration, metrics, now - self._t0), file=self.stream,
          flush=True)

  def line(self, iteration, metrics, elapsed):
    """The text of one line."""
    done = iteration - self.start
    parts = [self.label or 'training',
             'iteration {}/{} ({:.0f}%)'.format(
                 iteration, self.total,
                 100.0 * iteration / self.total if self.total else 100.0)]
    for key, value in (metrics or {}).items():
      if value is not None:
        parts.append('{} {:.4f}'.format(key, value))
    if done > 0:
      left = elapsed / done * max(self.total - iteration, 0)
      parts.append('{:.1f}s elapsed, {:.1f}s left'.format(elapsed, left))
    else:
      parts.append('{:.1f}s elapsed'.format(elapsed))
    return ' | '.join(parts)


class Bar(object):
  """A tqdm-style progress bar with an estimate of the time left.

    with progress.Bar(len(rows), 'exact Hessian', unit='rows') as bar:
      for block in blocks:
        ...
        bar.update(len(block))

  The bar draws on `stream` (stderr) only when it is a terminal and `quiet`
  is false; otherwise every method is a cheap no-op, so callers need no
  condition of their own.

  Attributes:
    total: the amount of work.
    done: the work done so far.
    enabled: whether the bar draws.
  """

  def __init__(self, total, label='', unit='it', quiet=False, stream=None,
               clock=time.monotonic):
    """Starts the clock.

    Args:
      total: the amount of work, in `unit`s.
      label: what is being done.
      unit: the name of one unit of work ('it', 'rows', 'steps', ...).
      quiet: never draw.
      stream: where to draw (default: sys.stderr).
      clock: a monotonic clock in seconds (tests pass a fake one).
    """
    self.total = max(0, int(total))
    self.label = label
    self.unit = unit
    self.stream = stream or sys.stderr
    self.quiet = quiet
    self.enabled = not quiet and is_terminal(self.stream)
    self.done = 0
    self._clock = clock
    self._t0 = clock()
    self._last_draw = None

  def __enter__(self):
    return self

  def __exit__(self, *unused):
    self.close()

  def update(self, count=1):
    """Adds `count` units of work done; redraws if the last draw is old."""
    self.done += count
    if not self.enabled:
      return
    now = self._clock()
    if (self.done >= self.total or self._last_draw is None or
        now - self._last_draw >= BAR_MIN_SECONDS):
      self._draw(now)

  def note(self, message):
    """Prints `message` as a line of its own above the bar (unless quiet).

    Unlike the bar, a note is printed when stderr is not a terminal too:
    it is worth having in a log.
    """
    if self.enabled:
      self.stream.write('\r\x1b[K' + message + '\n')
      self._draw(self._clock())
    else:
      notice(message, quiet=self.quiet, stream=self.stream)

  def elapsed(self):
    return self._clock() - self._t0

  def remaining(self):
    """Estimated seconds left (None while unknown)."""
    if self.done <= 0:
      return None
    return self.elapsed() / self.done * max(self.total - self.done, 0)

  def render(self):
    """The text of the bar as it stands now."""
    elapsed = self.elapsed()
    rate = self.done / elapsed if elapsed > 0 else float('nan')
    speed = ('{:.3g} {}/s'.format(rate, self.unit) if math.isfinite(rate)
             and rate > 0 else '? {}/s'.format(self.unit))
    head = '{}  '.format(self.label) if self.label else ''
    fraction = min(1.0, self.done / self.total) if self.total else 1.0
    filled = int(round(fraction * BAR_WIDTH))
    return '{}{:3.0f}% |{}{}| {}/{} [{}<{}, {}]'.format(
        head, 100 * fraction, '#' * filled, ' ' * (BAR_WIDTH - filled),
        self.done, self.total, format_duration(elapsed),
        format_duration(self.remaining()), speed)

  def _draw(self, now):
    self._last_draw = now
    self.stream.write('\r' + self.render() + '\x1b[K')  # clear the line's end
    self.stream.flush()

  def close(self):
    """Draws the final state and ends the line (if anything was drawn)."""
    if self.enabled:
      self._draw(self._clock())
      self.stream.write('\n')
      self.stream.flush()
      self.enabled = False
