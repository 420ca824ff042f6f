"""Shared fixtures: tiny datasets and a quiet TensorFlow."""

import os
import sys

import numpy as np
import pytest

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
# Tests train a few steps per graph, so TensorFlow's graph optimizer costs
# more than it saves: off (foundations/training/session.py), but where a test asks
# for it (production_graphs below).
os.environ.setdefault('LOTTERY_TICKET_GRAPH_OPTIMIZER', '0')
if os.environ.get('PYTEST_XDIST_WORKER'):
  # Workers share the cores, as a sweep's workers do: one thread per op each
  # (a network's numbers do not depend on it).
  os.environ.setdefault('LOTTERY_TICKET_INTRA_OP_THREADS', '1')

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture
def production_graphs(monkeypatch):
  """Sessions with TensorFlow's graph optimizer on, as runs have them."""
  monkeypatch.setenv('LOTTERY_TICKET_GRAPH_OPTIMIZER', '1')


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
  """`-n N` schedules as xdist's loadgroup, not load (see below)."""
  if config.getvalue('dist') != 'load':
    return None  # a --dist chosen on the command line is kept
  from xdist.scheduler import LoadGroupScheduling  # pylint: disable=g-import-not-at-top
  return LoadGroupScheduling(config, log)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):
  """Tells each worker whether tests are scheduled by group."""
  node.workerinput['lottery_ticket_groups'] = (
      node.config.getvalue('dist') in ('load', 'loadgroup'))


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
  """Under pytest-xdist, tests sharing a module's fixture run on one worker.

  With `-n N`, tests are scheduled as xdist's loadgroup does (see
  pytest_xdist_make_scheduler): each test goes to whichever worker frees up
  first, and the tests of one xdist_group to the same worker. The tests of a
  module using one of its module-scoped fixtures (an expensive run read by
  several tests) make one group, so that the run is made once, not once on
  each worker. Then the order: the slow tests first, the quick ones filling
  the tail, so that no worker is left with a long test while the other has
  nothing to do (xdist moves groups ahead of single tests). Only the order
  and the worker change: every test still runs, once.
  """
  workerinput = getattr(config, 'workerinput', None)
  if not workerinput or not workerinput.get('lottery_ticket_groups'):
    return
  config.option.loadgroup = True  # xdist then names each test's group
  for item in items:
    info = getattr(item, '_fixtureinfo', None)
    module = item.nodeid.split('::')[0]
    if info is None or item.get_closest_marker('xdist_group'):
      continue
    if any(fixture.scope != 'function' and fixture.baseid == module
           for name in item.fixturenames
           for fixture in info.name2fixturedefs.get(name, ())[-1:]):
      item.add_marker(pytest.mark.xdist_group(module))
  slow = [item for item in items if item.get_closest_marker('slow')]
  quick = [item for item in items if not item.get_closest_marker('slow')]
  items[:] = slow + quick


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
