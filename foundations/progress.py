"""Console progress of long work: where it is, how it does, time left."""

import sys
import time


class Progress(object):
  """Prints `label | iteration i/N (p%) | test acc a | s elapsed, s left`.

  Lines are printed at most every `min_seconds` (and always at the end), to
  stderr, so stdout stays clean for results.
  """

  def __init__(self, label, total, start=0, min_seconds=2.0, stream=None):
    self.label = label
    self.total = int(total)
    self.start = int(start)
    self.min_seconds = min_seconds
    self.stream = stream or sys.stderr
    self._t0 = time.time()
    self._last = 0.0

  def update(self, iteration, metrics=None, force=False):
    now = time.time()
    if not force and now - self._last < self.min_seconds:
      return
    self._last = now
    elapsed = now - self._t0
    done = iteration - self.start
    left = elapsed / done * (self.total - iteration) if done > 0 else float('nan')
    parts = ['{}'.format(self.label) if self.label else 'training',
             'iteration {}/{} ({:.0f}%)'.format(
                 iteration, self.total,
                 100.0 * iteration / self.total if self.total else 100.0)]
    for key, value in (metrics or {}).items():
      if value is not None:
        parts.append('{} {:.4f}'.format(key, value))
    parts.append('{:.1f}s elapsed, {:.1f}s left'.format(elapsed, left))
    print(' | '.join(parts), file=self.stream, flush=True)
