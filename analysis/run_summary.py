"""The numbers a results table shows for one run.

Early stopping follows the lottery ticket paper: the early-stopping
iteration is the iteration of minimum validation loss (the first one, on a
tie); a run without a validation split uses the test loss instead. The test
accuracy at early stopping is the test record of that iteration (or the
nearest test record when the two splits were evaluated on different
schedules).
"""

import math

from lottery_ticket.foundations.storage import integrity
from lottery_ticket.foundations import paths
from lottery_ticket.mnist_fc import runs

# Columns of a per-run summary, in table order.
METRICS = ('percent_remaining', 'early_stop_iteration',
           'early_stop_test_accuracy', 'final_test_accuracy',
           'final_train_accuracy')


def early_stopping(metrics):
  """(iteration, test accuracy there, which split chose it).

  Args:
    metrics: the parsed metrics.json of a run.

  Returns:
    (iteration, accuracy, split) with split 'validate' or 'test'; NaNs and
    None when the run recorded no losses.
  """
  for split in ('validate', 'test'):
    records = [r for r in metrics.get(split) or []
               if isinstance(r.get('loss'), (int, float)) and
               math.isfinite(r['loss'])]
    if records:
      best = min(records, key=lambda r: (r['loss'], r['iteration']))
      iteration = int(best['iteration'])
      return iteration, _first(
          metrics, 'test', 'accuracy',
          lambda r: (abs(r['iteration'] - iteration), r['iteration'])), split
  return math.nan, math.nan, None


def last_value(metrics, split, key='accuracy'):
  """The latest recorded `key` of `split` (NaN when there is none)."""
  return _first(metrics, split, key, lambda r: -r['iteration'])


def _first(metrics, split, key, order):
  """`key` of the first by `order` of the records of `split` that hold it
  (NaN when none does)."""
  records = [r for r in metrics.get(split) or [] if key in r]
  return float(min(records, key=order)[key]) if records else math.nan


def summarize(run_info):
  """The table row of one run.

  Args:
    run_info: a run_discovery.RunInfo.

  Returns:
    dict with the run's identity (kind, name, key, trial, run_dir,
    finished), METRICS and 'early_stop_split'.

  Raises:
    ValueError: if metrics.json cannot be read.
  """
  metrics = read_metrics(run_info.run_dir)
  iteration, accuracy, split = early_stopping(metrics)
  return {
      'kind': run_info.kind, 'name': run_info.name, 'key': run_info.key,
      'trial': run_info.trial, 'finished': run_info.finished,
      'run_dir': run_info.run_dir,
      'percent_remaining': runs.percent_remaining(run_info.run_dir,
                                                 run_info.config),
      'early_stop_iteration': iteration, 'early_stop_test_accuracy': accuracy,
      'early_stop_split': split,
      'final_test_accuracy': last_value(metrics, 'test'),
      'final_train_accuracy': last_value(metrics, 'train'),
  }


def read_metrics(run_dir):
  """The parsed metrics.json of a run, with a one-line error if unreadable."""
  return read_object(paths.metrics(run_dir), 'a dict of splits')


def read_object(path, what):
  """The JSON object (dict) a file holds.

  Raises:
    ValueError: in one line, 'Unreadable <path>: <why>', or '<path> holds a
      list, not <what>'.
  """
  try:
    value = integrity.read_json(path)
  except (OSError, ValueError) as error:
    raise ValueError('Unreadable {}: {}'.format(path, error)) from error
  if not isinstance(value, dict):
    raise ValueError('{} holds a {}, not {}'.format(
        path, type(value).__name__, what))
  return value
