"""The Fire runners as a user calls them: bad input."""

import os

import pytest

from lottery_ticket import command_line
from lottery_ticket.mnist_fc import runs
from lottery_ticket.mnist_fc.runners import lottery_experiment as lottery_runner
from lottery_ticket.mnist_fc.runners import reinitialize as reinit_runner
from lottery_ticket.mnist_fc.runners import train as train_runner

LOTTERY = 'lottery_ticket.mnist_fc.runners.lottery_experiment'
FLAGS = ['--dataset=digits', '--layers=40,20', '--iterations=2', '--seed=5',
         '--test_interval=100', '--save_summaries=False']


def _error(run_cli, module, *args):
  result = run_cli(module, *args, check=False)
  assert result.returncode != 0
  lines = [l for l in result.stderr.strip().splitlines() if l.strip()]
  return result, lines


@pytest.mark.parametrize('flags, message', [
    (['--dataset=imagenet'], "No such dataset: 'imagenet'"),
    (['--training_len=5minutes'], 'training_len'),
    (["--training_len=('hours',3)"], """"('hours',3)" is not like 500it"""),
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
    command_line.run(lottery_runner.RUNNER, argv)
  assert exit_info.value.code == 2
  lines = capsys.readouterr().err.strip().splitlines()
  assert lines == ['lottery_experiment: error: ' + lines[0].split(': error: ', 1)[1]]
  assert message in lines[0]
  assert not out.exists()


@pytest.mark.slow
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


@pytest.mark.slow
def test_masks_from_another_network_are_refused_without_damage(tmp_path,
                                                               capsys):
  first = tmp_path / 'first'
  command_line.run(train_runner.RUNNER, ['--output_dir=' + str(first),
                                '--dataset=digits', '--layers=8',
                                '--training_len=20it', '--test_interval=10'])
  runs.release_all()  # as the first command's process exit would
  before = sorted(os.listdir(first))
  capsys.readouterr()
  lines = _in_process_error(capsys, train_runner.RUNNER, [
      '--output_dir=' + str(tmp_path / 'second'), '--dataset=digits',
      '--layers=16', '--training_len=20it', '--masks=' + str(first / 'masks')])
  assert "mask 'layer0' has shape [64, 8]" in lines[0]
  assert sorted(os.listdir(first)) == before


def test_reinitialize_without_a_lottery_run_is_named(tmp_path, capsys):
  lines = _in_process_error(capsys, reinit_runner.RUNNER, [
      '--output_dir=' + str(tmp_path), '--level=2', '--mode=reinit',
      '--training_len=10it'])
  assert 'is not a finished level (no DONE file)' in lines[0]
  lines = _in_process_error(capsys, reinit_runner.RUNNER, [
      '--output_dir=' + str(tmp_path), '--level=2', '--mode=shuffle'])
  assert "No such mode: 'shuffle'" in lines[0]


def _in_process_error(capsys, runner, argv):
  with pytest.raises(SystemExit) as exit_info:
    command_line.run(runner, argv)
  assert exit_info.value.code == 2
  lines = capsys.readouterr().err.strip().splitlines()
  assert len(lines) == 1, lines
  return lines
