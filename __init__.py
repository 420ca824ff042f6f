"""lottery_ticket: sparse, trainable subnetworks in TensorFlow graph mode.

Subpackages: `foundations` (model-agnostic machinery), `datasets`,
`mnist_fc` (experiments on MNIST-like data, with Fire runners), `argfiles`
(batch sweeps) and `analysis` (tables, plots, Hessians, interpolation).
"""

import os

# TensorFlow's C++ start-up chatter drowns the progress lines of a run.
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')


def _import_tensorflow_quietly():
  """Imports TensorFlow with its C++ start-up log lines silenced.

  TensorFlow 2.x prints absl log lines at import (oneDNN notices, "All log
  messages before absl::InitializeLog()") that TF_CPP_MIN_LOG_LEVEL does not
  reach; they would bury a runner's one-line error messages. Set
  LOTTERY_TICKET_TF_LOGS=1 to see them.
  """
  if os.environ.get('LOTTERY_TICKET_TF_LOGS') == '1':
    return
  try:
    saved = os.dup(2)
  except OSError:
    return
  devnull = os.open(os.devnull, os.O_WRONLY)
  try:
    os.dup2(devnull, 2)
    import tensorflow  # pylint: disable=g-import-not-at-top,unused-import
  except ImportError:
    pass  # reported, with its message, by the import that needs it
  finally:
    os.dup2(saved, 2)
    os.close(saved)
    os.close(devnull)


_import_tensorflow_quietly()
