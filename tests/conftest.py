"""Shared fixtures: tiny datasets and a quiet TensorFlow."""

import os
import sys

import numpy as np
import pytest

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
if os.environ.get('PYTEST_XDIST_WORKER'):
  # Workers share the cores, as a sweep's workers do: one thread per op each
  # (a network's numbers do not depend on it).
  os.environ.setdefault('LOTTERY_TICKET_INTRA_OP_THREADS', '1')

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
  """Under pytest-xdist, the slow tests first, shared between the workers.

  xdist's default (load) scheduling hands each worker a first batch of
  consecutive tests, then the rest in ever smaller batches as they free up.
  Collected in file order, the slow tests (write boundaries last of all)
  came at the end, where one worker could be left with a long test while
  the other had nothing to do. Here each worker's first batch starts with
  its share of the slow tests (round robin), and the quick ones fill the
  tail. Only the order changes: every test still runs, once. Outside
  xdist, or if the batch does not fit, the order is left alone.
  """
  workerinput = getattr(config, 'workerinput', None)
  if not workerinput or workerinput.get('workercount', 1) < 2:
    return
  workers = workerinput['workercount']
  slow = [item for item in items if item.get_closest_marker('slow')]
  quick = [item for item in items if not item.get_closest_marker('slow')]
  batch = max(len(items) // workers // 4, 2)  # xdist's first batch per worker
  if not slow or len(items) < batch * workers:
    return
  ordered = []
  for worker in range(workers):
    share = slow[worker::workers]
    if len(share) > batch:
      return
    ordered += share + quick[:batch - len(share)]
    quick = quick[batch - len(share):]
  items[:] = ordered + quick


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


@pytest.fixture
def run_main(monkeypatch):
  """Runs a module's `__main__` block in this process (as `python -m module
  args...` would, without paying a process and TensorFlow's import); returns
  its exit status. Read what it printed with capsys."""
  import runpy
  import warnings

  def run(module, *args):
    monkeypatch.setattr(sys, 'argv', [module] + list(args))
    with warnings.catch_warnings():  # the module was imported already
      warnings.simplefilter('ignore', RuntimeWarning)
      try:
        runpy.run_module(module, run_name='__main__')
      except SystemExit as stop:
        return 0 if stop.code is None else stop.code
    return 0
  return run


@pytest.fixture(autouse=True)
def _release_run_locks():
  """Runs called in-process keep their directory locks until released."""
  yield
  if 'lottery_ticket.mnist_fc.runs' in sys.modules:
    sys.modules['lottery_ticket.mnist_fc.runs'].release_all()
