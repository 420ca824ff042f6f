"""A runner's failures are one line naming what and where (exit 2): a full
disk (after which the run resumes) and a diverging run (no DONE)."""

import errno
import os

import pytest

from lottery_ticket import command_line
from lottery_ticket.foundations import paths
from lottery_ticket.foundations import save_restore
from lottery_ticket.mnist_fc.runners import train as train_runner

FLAGS = ['--dataset=digits', '--training_len=120it', '--test_interval=40',
         '--checkpoint_interval=40', '--layers=16']


def _run(argv, capsys):
  with pytest.raises(SystemExit) as stop:
    command_line.run(train_runner.RUNNER, argv)
  lines = capsys.readouterr().err.strip().splitlines()
  errors = [l for l in lines if not l.startswith('train |')]  # not progress
  return stop.value.code, errors


class _FullDiskForCheckpoints(object):
  """open() reporting a full disk for the first file written in checkpoints/."""

  def __init__(self):
    self.failed = False

  def __call__(self, file, mode='r', *args, **kwargs):
    real = open(file, mode, *args, **kwargs)
    if 'w' in mode and not self.failed and isinstance(file, int):
      target = os.readlink('/proc/self/fd/{}'.format(file))
      if os.path.basename(os.path.dirname(target)) == 'checkpoints':
        self.failed = True
        real.close()
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    return real


@pytest.mark.slow
def test_a_full_disk_is_one_line_and_the_run_resumes(tmp_path, capsys,
                                                     monkeypatch):
  out = str(tmp_path / 'run')
  monkeypatch.setattr(save_restore, 'open', _FullDiskForCheckpoints(),
                      raising=False)
  code, err = _run(['--output_dir=' + out] + FLAGS, capsys)
  assert code == 2
  assert len(err) == 1
  assert err[0].startswith('train: error: cannot write {}'.format(
      os.path.join(paths.checkpoints(out), 'records-40.json')))
  assert err[0].endswith('No space left on device; free some space and run '
                         'the same command again to resume')
  assert not os.path.exists(paths.done_marker(out))
  monkeypatch.undo()  # space freed
  command_line.run(train_runner.RUNNER, ['--output_dir=' + out] + FLAGS)
  assert os.path.exists(paths.done_marker(out))
  leftovers = [name for root, dirs, files in os.walk(out)
               for name in dirs + files if name.startswith('.tmp-')]
  assert not leftovers


def test_a_diverging_run_is_one_line_naming_the_iteration(tmp_path, capsys):
  out = str(tmp_path / 'diverged')
  # The default 300-100 network: a narrow one may merely die (all ReLUs off)
  # rather than overflow.
  code, err = _run(['--output_dir=' + out, '--optimizer=sgd',
                    '--learning_rate=1e6'] + FLAGS[:-1], capsys)
  assert code == 2
  assert len(err) == 1
  assert err[0].startswith('train: error: training diverged: the training '
                           'loss is not finite (NaN or infinite) at iteration ')
  assert 'learning rate is probably too high' in err[0]
  assert not os.path.exists(paths.done_marker(out))
