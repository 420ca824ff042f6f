"""The Fire runners as a user calls them: resuming after a kill, bad input."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from lottery_ticket.foundations import paths
from lottery_ticket.foundations import save_restore
from lottery_ticket.mnist_fc.runners import cli
from lottery_ticket.mnist_fc.runners import lottery_experiment as lottery_runner
from lottery_ticket.mnist_fc.runners import reinitialize as reinit_runner
from lottery_ticket.mnist_fc.runners import train as train_runner

LOTTERY = 'lottery_ticket.mnist_fc.runners.lottery_experiment'
TRAIN = 'lottery_ticket.mnist_fc.runners.train'
FLAGS = ['--dataset=digits', '--layers=40,20', '--iterations=2', '--seed=5',
         '--test_interval=100', '--save_summaries=False']


def _env():
  return dict(os.environ, LOTTERY_TICKET_INTRA_OP_THREADS='1',
              LOTTERY_TICKET_INTER_OP_THREADS='1')


def test_killed_experiment_resumes_to_the_same_result(tmp_path, run_cli):
  flags = FLAGS + ['--training_len=1500it', '--checkpoint_interval=100']
  whole = str(tmp_path / 'whole')
  result = run_cli(LOTTERY, '--output_dir=' + whole, *flags)
  assert 'weights remain' in result.stdout
  killed = str(tmp_path / 'killed')
  process = subprocess.Popen(
      [sys.executable, '-m', LOTTERY, '--output_dir=' + killed] + flags,
      env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
  # Kill it in the middle of level 1, after a checkpoint.
  marker = os.path.join(paths.checkpoints(paths.run(killed, 1, 'same_init')),
                        'checkpoint')
  deadline = time.time() + 300
  while not os.path.exists(marker) and process.poll() is None:
    assert time.time() < deadline
    time.sleep(0.05)
  process.send_signal(signal.SIGKILL)
  process.wait()
  assert not os.path.exists(paths.done_marker(paths.run(killed, 2, 'same_init')))
  run_cli(LOTTERY, '--output_dir=' + killed, *flags)
  for level in range(3):
    for what in ('initial', 'final', 'masks'):
      a = save_restore.restore_network(os.path.join(paths.run(whole, level, 'same_init'), what))
      b = save_restore.restore_network(os.path.join(paths.run(killed, level, 'same_init'), what))
      for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg='{} {} {}'.format(level, what, name))
    log_a = save_restore.read_log(paths.log(paths.run(whole, level, 'same_init'), 'test'))
    log_b = save_restore.read_log(paths.log(paths.run(killed, level, 'same_init'), 'test'))
    assert log_a == log_b


def _error(run_cli, module, *args):
  result = run_cli(module, *args, check=False)
  assert result.returncode != 0
  lines = [l for l in result.stderr.strip().splitlines() if l.strip()]
  return result, lines


@pytest.mark.parametrize('flags, message', [
    (['--dataset=imagenet'], "No such dataset: 'imagenet'"),
    (['--training_len=5minutes'], 'training_len'),
    (["--training_len=('hours',3)"], "'hours' is neither iterations nor epochs"),
    (['--prune_percent=1.5'], '--prune_percent=1.5 must be < 1'),
    (['--optimizer=lbfgs'], "No such optimizer: 'lbfgs'"),
    (['--pruning=magic'], "No such pruning: 'magic'"),
    (['--learning_rat=0.1'], '--learning_rat'),
])
def test_bad_flags_give_one_line_errors(tmp_path, capsys, flags, message):
  out = tmp_path / 'out'
  given = {f.split('=')[0] for f in flags}  # a flag is given once
  argv = ['--output_dir=' + str(out)] + [
      f for f in ('--dataset=digits', '--iterations=1', '--training_len=10it')
      if f.split('=')[0] not in given] + flags
  with pytest.raises(SystemExit) as exit_info:
    cli.run(lottery_runner.RUNNER, argv)
  assert exit_info.value.code == 2
  lines = capsys.readouterr().err.strip().splitlines()
  assert lines == ['lottery_experiment: error: ' + lines[0].split(': error: ', 1)[1]]
  assert message in lines[0]
  assert not out.exists()


def test_bad_flag_from_the_shell(tmp_path, run_cli):
  result, lines = _error(run_cli, LOTTERY, '--output_dir=' + str(tmp_path),
                         '--dataset=imagenet')
  assert result.returncode == 2
  assert lines == ["lottery_experiment: error: No such dataset: 'imagenet' "
                   '(choose from: cifar10, digits, fashion_mnist, mnist)']


def test_corrupt_dataset_file_is_named(tmp_path, capsys):
  data = tmp_path / 'mnist'
  data.mkdir()
  for name in ('train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz',
               't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'):
    (data / name).write_bytes(b'not a gzip file')
  lines = _in_process_error(capsys, train_runner.RUNNER, [
      '--output_dir=' + str(tmp_path / 'o'), '--dataset=mnist',
      '--data_location=' + str(data), '--training_len=10it'])
  assert 'ubyte.gz' in lines[0]


def test_masks_from_another_network_are_refused_without_damage(tmp_path, run_cli):
  first = tmp_path / 'first'
  run_cli(TRAIN, '--output_dir=' + str(first), '--dataset=digits',
          '--layers=8', '--training_len=20it', '--test_interval=10')
  before = sorted(os.listdir(first))
  result, lines = _error(run_cli, TRAIN, '--output_dir=' + str(tmp_path / 'second'),
                         '--dataset=digits', '--layers=16', '--training_len=20it',
                         '--masks=' + str(first / 'masks'))
  assert len(lines) == 1, result.stderr
  assert "mask 'layer0' has shape [64, 8]" in lines[0]
  assert sorted(os.listdir(first)) == before


def test_reinitialize_without_a_lottery_run_is_named(tmp_path, capsys):
  lines = _in_process_error(capsys, reinit_runner.RUNNER, [
      '--output_dir=' + str(tmp_path), '--level=2', '--mode=reinit',
      '--training_len=10it'])
  assert 'No masks at' in lines[0]
  lines = _in_process_error(capsys, reinit_runner.RUNNER, [
      '--output_dir=' + str(tmp_path), '--level=2', '--mode=shuffle'])
  assert "No such mode: 'shuffle'" in lines[0]


def _in_process_error(capsys, runner, argv):
  with pytest.raises(SystemExit) as exit_info:
    cli.run(runner, argv)
  assert exit_info.value.code == 2
  lines = capsys.readouterr().err.strip().splitlines()
  assert len(lines) == 1, lines
  return lines
