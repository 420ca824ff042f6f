"""End to end: generated lines executed by the real MNIST runners.

A two-trial lottery sweep on the offline digits dataset (tiny runs) through
the local executor, resumed once; and the reinitialisation lines planned
against the real reinitialize runner. Skipped where the runners are absent.
"""

import importlib.util
import io
import os

import pytest

from lottery_ticket.argfiles import lines as lines_lib
from lottery_ticket.argfiles import programs
from lottery_ticket.argfiles import reinitialize_argfile
from lottery_ticket.argfiles import runner
from lottery_ticket.argfiles import sparse_train_argfile
from lottery_ticket.argfiles import sweep as sweep_lib

RUNNERS = 'lottery_ticket.mnist_fc.runners.'


def _have(module):
  try:
    return importlib.util.find_spec(module) is not None
  except ImportError:
    return False


@pytest.mark.skipif(not _have(RUNNERS + 'lottery_experiment'),
                    reason='the lottery_experiment runner is not there yet')
def test_lottery_sweep_of_the_real_runner(tmp_path, monkeypatch):
  monkeypatch.chdir(tmp_path)
  command = [RUNNERS + 'lottery_experiment',
             'lottery_ticket.argfiles.lottery_experiment_argfile',
             '--executor=local', '--parallelism=2', '--',
             '--output_dir=lt', '--trials=2', '--iterations=1',
             '--dataset=digits', '--training_len=30it']
  stream = io.StringIO()
  assert runner.main(command, stream=stream) == 0, stream.getvalue()
  for trial in (1, 2):
    for level in (0, 1):
      assert os.path.exists(os.path.join('lt', 'trial{}'.format(trial),
                                         str(level), 'same_init', 'DONE'))
    log = os.path.join('lt', 'trial{}'.format(trial), '.argfile_run',
                       'run.log')
    with open(log) as f:
      assert 'same_init' in f.read()
  stream = io.StringIO()
  assert runner.main(command, stream=stream) == 0
  assert '2 lines, 2 already done, 0 to run' in stream.getvalue()


@pytest.mark.skipif(not _have(RUNNERS + 'reinitialize'),
                    reason='the reinitialize runner is not there yet')
def test_reinitialize_lines_map_to_distinct_run_directories(tmp_path):
  program = programs.Program(RUNNERS + 'reinitialize')
  text = '\n'.join(reinitialize_argfile.make_lines(
      str(tmp_path), trials=2, iterations=2))
  runs = sweep_lib.plan(program, lines_lib.parse_text(text))
  assert len(runs) == 2 * 3 * 3
  assert runs[0].output_dir == os.path.join(str(tmp_path), 'trial1', '0',
                                            'reinit')
  assert runs[-1].output_dir == os.path.join(str(tmp_path), 'trial2', '2',
                                             'reuse_sign')


@pytest.mark.skipif(not _have('lottery_ticket.mnist_fc.sparse_config'),
                    reason='the sparse_train configuration is not there yet')
def test_sparse_methods_are_the_runners():
  from lottery_ticket.mnist_fc import sparse_config  # Starts TensorFlow.
  assert set(sparse_train_argfile.ALL_METHODS) == set(sparse_config.METHODS)
  assert set(sparse_train_argfile.NEEDS_MASK) == set(
      sparse_config.NEEDS_MASK_FROM)
