"""Metrics over training, read from runs and averaged over trials.

A curve is a metric of one split against the iteration. The trials of a
group are aligned on the union of their iterations; at each iteration the
mean, minimum and maximum are over the trials that recorded it.
"""

import dataclasses

import numpy as np

from lottery_ticket.analysis import run_summary

# Names under which sparse-training runs may record the gradient norm, most
# specific first; any other key mentioning both 'grad' and 'norm' also counts.
GRAD_NORM_KEYS = ('grad_norm', 'gradient_norm', 'grad_norm_masked',
                  'masked_grad_norm', 'gradient_flow')


@dataclasses.dataclass
class Curve(object):
  """A metric over training, averaged over trials.

  Attributes:
    iterations: sorted int array.
    mean, low, high: float arrays (mean, minimum, maximum over trials).
    trials: how many runs contributed.
  """
  iterations: np.ndarray
  mean: np.ndarray
  low: np.ndarray
  high: np.ndarray
  trials: int


def series(metrics, split, key):
  """(iterations, values) of `key` in `split` of one run's metrics."""
  records = [r for r in metrics.get(split) or []
             if isinstance(r.get(key), (int, float))]
  records.sort(key=lambda r: r['iteration'])
  return (np.array([r['iteration'] for r in records], dtype=np.int64),
          np.array([r[key] for r in records], dtype=np.float64))


def grad_norm_key(metrics):
  """The key of the gradient norm in a run's 'extra' records, or None."""
  keys = {k for record in metrics.get('extra') or []
          for k, v in record.items() if isinstance(v, (int, float))}
  loose = sorted(k for k in keys if 'grad' in k.lower() and 'norm' in k.lower())
  return next((k for k in GRAD_NORM_KEYS if k in keys),
              loose[0] if loose else None)


def average(run_series):
  """Averages per-run (iterations, values) pairs into a Curve, or None."""
  run_series = [(i, v) for i, v in run_series if i.size]
  if not run_series:
    return None
  iterations = np.unique(np.concatenate([i for i, _ in run_series]))
  table = np.full((len(run_series), iterations.size), np.nan)
  for row, (its, values) in enumerate(run_series):
    table[row, np.searchsorted(iterations, its)] = values
  with np.errstate(invalid='ignore'):
    return Curve(iterations=iterations, mean=np.nanmean(table, axis=0),
                 low=np.nanmin(table, axis=0), high=np.nanmax(table, axis=0),
                 trials=len(run_series))


def group_curve(run_dirs, split, key):
  """The Curve of `key` in `split` over the trials in run_dirs, or None."""
  return average([series(run_summary.read_metrics(d), split, key)
                  for d in run_dirs])


def group_grad_norm(run_dirs):
  """(key, Curve) of the gradient norm over the trials, or (None, None).

  The key is the first trial's that records one; every trial recording one
  is read under it."""
  metrics = [run_summary.read_metrics(d) for d in run_dirs]
  keys = [grad_norm_key(m) for m in metrics]
  chosen = next((k for k in keys if k is not None), None)
  curve = average([series(m, 'extra', chosen)
                   for m, key in zip(metrics, keys) if key is not None])
  return (chosen, curve) if curve is not None else (None, None)
