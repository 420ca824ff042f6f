"""Shared fixtures: tiny datasets and a quiet TensorFlow."""

import os
import sys

import numpy as np
import pytest

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture
def tiny_dataset():
  """A 4-class problem on 20 features that a small MLP learns quickly."""
  from lottery_ticket.foundations import dataset_base
  rng = np.random.default_rng(0)
  images = rng.normal(size=(600, 20)).astype(np.float32)
  labels = (images[:, 0] > 0).astype(np.int32) + 2 * (images[:, 1] > 0)
  return dataset_base.DatasetBase(images[:500], labels[:500], images[500:],
                                  labels[500:], validate_size=50,
                                  train_order_seed=3)


@pytest.fixture
def run_cli():
  """Runs `python -m module args...`; returns the CompletedProcess."""
  import subprocess

  def run(module, *args, check=True):
    env = dict(os.environ, LOTTERY_TICKET_INTRA_OP_THREADS='1',
               LOTTERY_TICKET_INTER_OP_THREADS='1')
    result = subprocess.run([sys.executable, '-m', module] + list(args),
                            capture_output=True, text=True, env=env,
                            timeout=600)
    if check and result.returncode != 0:
      raise AssertionError('{} failed ({}):\n{}'.format(
          module, result.returncode, result.stderr[-3000:]))
    return result
  return run


@pytest.fixture(autouse=True)
def _release_run_locks():
  """Runs called in-process keep their directory locks until released."""
  yield
  if 'lottery_ticket.mnist_fc.runs' in sys.modules:
    sys.modules['lottery_ticket.mnist_fc.runs'].release_all()
