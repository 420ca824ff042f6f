"""What every Fire runner shares: one-line errors and a results summary."""

import os
import sys

import fire
import numpy as np

from lottery_ticket.foundations import paths
from lottery_ticket.foundations import save_restore


def run(function, name, argv=None):
  """Runs `function` as a Fire CLI; bad input exits 2 with one line.

  Args:
    function: the library function whose signature is the command line.
    name: the program name used in messages.
    argv: the arguments (default: sys.argv[1:]).

  Errors that come from the user's input (ValueError, including dataset
  errors, and file-system errors) print `name: error: message` instead of a
  traceback.
  """
  try:
    fire.Fire(function, command=argv, name=name)
  except (ValueError, OSError) as error:
    message = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
    print('{}: error: {}'.format(name, message), file=sys.stderr)
    sys.exit(2)


def describe_run(run_dir):
  """One line: weights remaining, final test accuracy, where it is."""
  masks = save_restore.restore_network(paths.masks(run_dir))
  total = sum(m.size for m in masks.values())
  alive = sum(float(np.sum(m)) for m in masks.values())
  metrics = save_restore.read_json(paths.metrics(run_dir))
  test = metrics.get('test') or [{}]
  accuracy = test[-1].get('accuracy', float('nan'))
  return '{:6.2f}% of weights remain | final test accuracy {:.4f} | {}'.format(
      100.0 * alive / total, accuracy, run_dir)


def print_summary(run_dirs):
  for run_dir in run_dirs:
    if os.path.exists(paths.done_marker(run_dir)):
      print(describe_run(run_dir))
