"""A run directory is its configuration: reuse, refusal, overwrite, the lock."""

import os
import subprocess
import sys

import pytest

from lottery_ticket import command_line
from lottery_ticket.foundations import paths
from lottery_ticket.foundations import save_restore
from lottery_ticket.foundations.storage import integrity
from lottery_ticket.mnist_fc import lottery_experiment
from lottery_ticket.mnist_fc import runs
from lottery_ticket.mnist_fc import sparse_train
from lottery_ticket.mnist_fc import train
from lottery_ticket.mnist_fc.runners import lottery_experiment as lottery_runner
from lottery_ticket.mnist_fc.runners import train as train_runner

import packed_testlib

TINY = dict(dataset='digits', layers=(12,), training_len='40it',
            test_interval=20, checkpoint_interval=0, save_summaries=False)


def _flags(**changes):
  flags = ['--{}={}'.format(k, ','.join(map(str, v)) if isinstance(v, tuple)
                            else v) for k, v in dict(TINY, **changes).items()]
  return flags


def _train_cli(capsys, *argv):
  """Runs the train command line in-process: (exit code, stderr lines)."""
  capsys.readouterr()
  try:
    command_line.run(train_runner.RUNNER, list(argv))
    code = 0
  except SystemExit as stop:
    code = stop.code
  err = capsys.readouterr().err
  return code, [l for l in err.splitlines() if l.strip() and ' | ' not in l]


@pytest.mark.slow
def test_a_finished_run_is_reported_and_another_configuration_refused(
    tmp_path, capsys):
  out = str(tmp_path / 'run')
  _train_cli(capsys, '--output_dir=' + out, *_flags())
  before = packed_testlib.file_digests(out)
  runs.release_all()
  code, lines = _train_cli(capsys, '--output_dir=' + out, *_flags())
  assert code == 0 and 'already finished' in lines[0]
  runs.release_all()
  code, lines = _train_cli(capsys, '--output_dir=' + out,
                           *_flags(seed=8, training_len='60it'))
  assert code == 2
  assert len(lines) == 1
  assert "seed 0 (recorded) vs 8 (given)" in lines[0]
  assert "training_len '40it' (recorded) vs '60it' (given)" in lines[0]
  assert '--overwrite' in lines[0]
  after = packed_testlib.file_digests(out)
  after.pop('.lock', None)
  before.pop('.lock', None)
  assert after == before
  # --overwrite starts over with the new configuration.
  code, _ = _train_cli(capsys, '--output_dir=' + out, '--overwrite',
                       *_flags(seed=8, training_len='60it'))
  assert code == 0
  config = integrity.read_json(paths.config(out))
  assert config['training']['seed'] == 8
  assert config['training']['training_len'] == '60it'


@pytest.mark.slow
def test_an_interrupted_trial_refuses_another_seed(tmp_path):
  trial = str(tmp_path / 'trial0')
  lottery_experiment.lottery_experiment(trial, iterations=1, seed=7, **TINY)
  # As if killed during level 1: its DONE is missing.
  os.remove(paths.done_marker(paths.run(trial, 1, 'same_init')))
  before = packed_testlib.file_digests(trial)
  with pytest.raises(runs.ConfigurationMismatch, match='seed 7 .* vs 8'):
    lottery_experiment.lottery_experiment(trial, iterations=2, seed=8, **TINY)
  with pytest.raises(runs.ConfigurationMismatch, match="pruning 'layerwise'"):
    lottery_experiment.lottery_experiment(trial, iterations=1, seed=7,
                                          pruning='random', **TINY)
  assert packed_testlib.file_digests(trial) == before
  # The same configuration resumes, and may add levels.
  lottery_experiment.lottery_experiment(trial, iterations=2, seed=7, **TINY)
  assert runs.is_finished(paths.run(trial, 2, 'same_init'))


@pytest.mark.slow
def test_sparse_run_of_another_method_is_refused(tmp_path):
  # The recorded run is of a static method (a short one to make).
  out = str(tmp_path / 'small_dense')
  sparse_train.sparse_train(out, method='small_dense', sparsity=0.9, **TINY)
  with pytest.raises(runs.ConfigurationMismatch,
                     match="method 'small_dense' .*'set'.*sparsity 0.9 .* 0.5"):
    sparse_train.sparse_train(out, method='set', sparsity=0.5, update_freq=10,
                              grad_batch_size=50, **TINY)


@pytest.mark.parametrize('name', ['/', '', '.', '..', '../../x', '/abs/path',
                                  'a/b'])
def test_experiment_names_stay_inside(tmp_path, name):
  with pytest.raises(ValueError, match='must be a plain name'):
    lottery_experiment.lottery_experiment(str(tmp_path / 't'), iterations=1,
                                          experiment_name=name, **TINY)
  assert not (tmp_path / 't').exists()


def test_bad_input_writes_nothing(tmp_path, capsys):
  out = tmp_path / 'out'
  for flags in (['--learning_rate=fast'], ['--checkpoint_interval=abc'],
                ['--batch_size=100000'], ['--layers=0'], ['--layers=1.5'],
                ['--permute_labels=maybe'], ['--test_interval=0']):
    with pytest.raises(SystemExit) as stop:
      command_line.run(lottery_runner.RUNNER, ['--output_dir=' + str(out),
                                      '--dataset=digits'] + flags)
    err = capsys.readouterr().err
    assert stop.value.code == 2, (flags, err)
    assert len(err.strip().splitlines()) == 1, err
    assert not out.exists(), flags


def test_a_second_writer_is_refused_by_pid(tmp_path, capsys):
  out = str(tmp_path / 'busy')
  holder = subprocess.Popen(
      [sys.executable, '-c',
       'import sys, time\n'
       'from lottery_ticket.foundations.storage import dir_lock\n'
       'dir_lock.DirectoryLock(sys.argv[1]).acquire()\n'
       'print("held", flush=True)\n'
       'time.sleep(120)\n', out], stdout=subprocess.PIPE, text=True)
  try:
    assert holder.stdout.readline().strip() == 'held'
    # The holder is another process; the refused runner may be this one.
    with pytest.raises(SystemExit) as stop:
      command_line.run(train_runner.RUNNER, ['--output_dir=' + out] + _flags())
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert 'in use by another process (pid {})'.format(holder.pid) in err
    assert sorted(os.listdir(out)) == ['.lock']
  finally:
    holder.kill()
    holder.wait()


def test_library_calls_to_one_directory_share_a_lock(tmp_path):
  out = str(tmp_path / 'lib')
  train.train(out, **TINY)
  train.train(out, **TINY)  # the same process may come back to it
  assert runs.is_finished(out)


@pytest.mark.slow
def test_overwrite_keeps_the_lock_and_a_sweeps_records(tmp_path):
  out = str(tmp_path / 'run')
  train.train(out, **TINY)
  records = os.path.join(out, paths.SWEEP_RECORDS)
  os.makedirs(records)
  with open(os.path.join(records, 'run.log'), 'w') as f:
    f.write('log')
  train.train(out, overwrite=True, **dict(TINY, seed=3))
  assert os.path.exists(os.path.join(records, 'run.log'))
  assert integrity.read_json(paths.config(out))['training']['seed'] == 3


@pytest.mark.slow
def test_an_unfinished_run_of_earlier_numerics_is_not_resumed(tmp_path,
                                                               capsys):
  out = str(tmp_path / 'run')
  _train_cli(capsys, '--output_dir=' + out, *_flags(checkpoint_interval=20))
  runs.release_all()
  # As the trainer before batched layers left a killed run: no DONE, and a
  # config.json without a numerics version (version 1).
  os.remove(paths.done_marker(out))
  saved = integrity.read_json(paths.config(out))
  assert saved['details'].pop('numerics') == 2
  save_restore.write_json(paths.config(out), saved)
  before = packed_testlib.file_digests(out)
  code, lines = _train_cli(capsys, '--output_dir=' + out,
                           *_flags(checkpoint_interval=20))
  assert code == 2 and len(lines) == 1, lines
  assert 'numerics version 1 (this version is 2)' in lines[0]
  assert '--overwrite' in lines[0]
  assert packed_testlib.file_digests(out) == before  # nothing written
  runs.release_all()
  code, _ = _train_cli(capsys, '--output_dir=' + out, '--overwrite',
                       *_flags(checkpoint_interval=20))
  assert code == 0 and runs.is_finished(out)
