"""A run directory owns its files and nothing else, and damage is named.

A copied run resumes from its own files and leaves the original alone; a
run inside a locked experiment is refused; no write or delete goes through
a symbolic link leaving the output directory; a file changed after it was
written is named in one line and never kept.
"""

import fnmatch
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

import packed_testlib as lib
from lottery_ticket import command_line
from lottery_ticket.foundations.storage import faults
from lottery_ticket.foundations import paths
from lottery_ticket.mnist_fc import runs
from lottery_ticket.mnist_fc.runners import lottery_experiment
from lottery_ticket.mnist_fc.runners import reinitialize
from lottery_ticket.mnist_fc.runners import sparse_train
from lottery_ticket.mnist_fc.runners import train

SHORT = ['--dataset=digits', '--layers=12', '--training_len=40it',
         '--test_interval=20', '--checkpoint_interval=20',
         '--save_summaries=false']
LOTTERY = SHORT + ['--iterations=1']


class _Stopped(BaseException):
  """Stands for a kill at a boundary, inside the test's process."""


def _run(runner, out, flags=LOTTERY):
  command_line.run(runner.RUNNER, ['--output_dir=' + str(out)] + flags)


def _refused(runner, out, capsys, flags=LOTTERY):
  """Runs expecting exit 2; returns the one line of error."""
  capsys.readouterr()
  with pytest.raises(SystemExit) as stop:
    _run(runner, out, flags)
  assert stop.value.code == 2
  errors = [l for l in capsys.readouterr().err.splitlines() if ' | ' not in l]
  assert len(errors) == 1, errors
  return errors[0]


def _stop_at(pattern, runner, out, flags=LOTTERY):
  """Runs until the first boundary matching `pattern`, and stops there."""
  def stop(name):
    if fnmatch.fnmatchcase(name, pattern):
      raise _Stopped(name)
  with faults.observe(stop), pytest.raises(_Stopped):
    _run(runner, out, flags)
  runs.release_all()


@pytest.fixture(scope='module')
def whole(tmp_path_factory):
  """An uninterrupted lottery experiment."""
  out = tmp_path_factory.mktemp('whole') / 'run'
  _run(lottery_experiment, out)
  runs.release_all()
  return out


def test_a_copied_run_resumes_without_touching_the_original(tmp_path, whole):
  original = tmp_path / 'original'
  _stop_at('checkpoint */1/same_init/checkpoints/model-20', lottery_experiment,
           original)
  # Its index once named checkpoints by absolute path: a copy must not
  # read or prune the original's through it.
  index = os.path.join(paths.checkpoints(original / '1' / 'same_init'),
                       'checkpoint')
  with open(index, 'w') as f:
    f.write('model_checkpoint_path: "{0}/model-20"\n'
            'all_model_checkpoint_paths: "{0}/model-20"\n'.format(
                os.path.dirname(index)))
  before = lib.tree_bytes(original)
  copy = tmp_path / 'copy'
  shutil.copytree(original, copy, symlinks=True)
  _run(lottery_experiment, copy)
  assert lib.tree_bytes(original) == before
  assert lib.tree_bytes(copy) == lib.tree_bytes(whole)


HOLD = ('import sys, time\n'
        'from lottery_ticket.foundations.storage import dir_lock\n'
        'dir_lock.DirectoryLock(sys.argv[1], subtree=True).acquire()\n'
        'print("held", flush=True)\n'
        'time.sleep(60)\n')


@pytest.fixture
def holder():
  """Starts a process holding a run lock on a directory."""
  processes = []

  def hold(directory):
    process = subprocess.Popen([sys.executable, '-c', HOLD, str(directory)],
                               stdout=subprocess.PIPE, text=True)
    processes.append(process)
    assert process.stdout.readline().strip() == 'held'
    return process.pid
  yield hold
  for process in processes:
    process.kill()
    process.wait()


def test_a_run_inside_a_locked_experiment_is_refused(tmp_path, holder,
                                                     capsys):
  experiment = tmp_path / 'experiment'
  pid = holder(experiment)
  inside = experiment / '0' / 'same_init'
  line = _refused(train, inside, capsys, SHORT + ['--overwrite'])
  assert line == ('train: error: {} is inside {}, which is in use by another '
                  'process (pid {}); wait for it to finish or stop it'.format(
                      inside, experiment, pid))
  assert not inside.exists()


def test_an_experiment_around_a_running_run_is_refused(tmp_path, holder,
                                                       capsys, whole):
  experiment = tmp_path / 'experiment'
  shutil.copytree(whole, experiment)
  os.remove(paths.done_marker(experiment / '1' / 'same_init'))
  before = lib.tree_bytes(experiment)
  pid = holder(experiment / '1' / 'same_init')
  line = _refused(lottery_experiment, experiment, capsys)
  assert line == ('lottery_experiment: error: {} holds {}, which is in use '
                  'by another process (pid {}); wait for it to finish or stop '
                  'it'.format(experiment, experiment / '1' / 'same_init', pid))
  assert lib.tree_bytes(experiment) == before


def _outside_run(tmp_path, whole):
  """A finished run outside the output directory, and its bytes."""
  outside = tmp_path / 'outside'
  shutil.copytree(whole / '0', outside)
  return outside, lib.tree_bytes(outside)


@pytest.mark.parametrize('link', ['0', '0/same_init/checkpoints',
                                  '0/same_init/final'])
def test_links_leaving_the_output_directory_are_refused(tmp_path, whole,
                                                        capsys, link):
  outside, before = _outside_run(tmp_path, whole)
  out = tmp_path / 'run'
  shutil.copytree(whole, out)
  target = outside / os.path.relpath(link, '0') if link != '0' else outside
  if (out / link).exists():
    shutil.rmtree(out / link)
  os.symlink(target, out / link)
  line = _refused(lottery_experiment, out, capsys, LOTTERY + ['--overwrite',
                                                              '--seed=3'])
  assert line == ('lottery_experiment: error: {} is a symbolic link to {}, '
                  'outside {}; refusing to write or delete through it'.format(
                      out / link, target, out))
  assert lib.tree_bytes(outside) == before


def test_a_linked_trial_of_a_pack_is_refused(tmp_path, whole, capsys):
  outside, before = _outside_run(tmp_path, whole)
  base = tmp_path / 'pack'
  base.mkdir()
  os.symlink(outside, base / 'trial1')
  line = _refused(lottery_experiment, base, capsys, LOTTERY + ['--trials=2'])
  assert 'trial1 is a symbolic link to {}'.format(outside) in line
  assert lib.tree_bytes(outside) == before
  assert not (base / 'trial0').exists()


def test_a_linked_lock_file_is_never_written(tmp_path, capsys):
  out = tmp_path / 'run'
  out.mkdir()
  for target in (tmp_path / 'precious.txt', out / 'inside.txt'):
    target.write_text('keep me')
    os.symlink(target, out / '.lock')
    line = _refused(train, out, capsys, SHORT)
    if target.parent == tmp_path:  # found by the walk, before any write
      assert line.startswith('train: error: {} is a symbolic link to {}, '
                             'outside {}'.format(out / '.lock', target, out))
    else:  # the lock file is never opened through a link
      assert line == ('train: error: {} is a symbolic link; refusing to '
                      'write through it'.format(out / '.lock'))
    assert target.read_text() == 'keep me'
    os.remove(out / '.lock')


def _nan_into(path):
  array = np.load(path)
  np.save(path, np.full_like(array, np.nan))


def test_a_damaged_array_of_an_unfinished_level_restarts_it(tmp_path, whole,
                                                            capsys):
  out = tmp_path / 'run'
  _stop_at('file */1/same_init/checkpoints/hashes-40.json', lottery_experiment,
           out)
  damaged = paths.initial(out / '1' / 'same_init') + '/layer0.npy'
  _nan_into(damaged)
  capsys.readouterr()
  _run(lottery_experiment, out)
  err = capsys.readouterr().err
  assert ('{} differs from what was recorded when it was written: checkpoint '
          '40 cannot be used'.format(damaged)) in err
  assert 'training restarts from its beginning' in err
  assert lib.tree_bytes(out) == lib.tree_bytes(whole)


@pytest.mark.slow
def test_a_damaged_start_of_a_sparse_run_is_made_again(tmp_path, capsys):
  flags = SHORT + ['--method=rigl', '--sparsity=0.5', '--update_freq=10',
                   '--grad_batch_size=100', '--grow_batch_size=100']
  whole = tmp_path / 'whole'
  _run(sparse_train, whole, flags)
  out = tmp_path / 'run'
  _stop_at('file */checkpoints/hashes-40.json', sparse_train, out, flags)
  damaged = os.path.join(paths.initial_masks(out), 'layer1.npy')
  mask = np.load(damaged)
  np.save(damaged, 1 - mask)  # another, finite, mask: only a hash sees it
  capsys.readouterr()
  _run(sparse_train, out, flags)
  err = capsys.readouterr().err
  assert ("{} differs from what was recorded when it was written: the run's "
          "start is made again".format(damaged)) in err
  assert lib.tree_bytes(out) == lib.tree_bytes(whole)


def test_a_truncated_checkpoint_falls_back_to_the_previous(tmp_path, whole,
                                                           capsys):
  out = tmp_path / 'run'
  _stop_at('file */1/same_init/checkpoints/hashes-40.json', lottery_experiment,
           out)
  checkpoints = paths.checkpoints(out / '1' / 'same_init')
  data = [n for n in os.listdir(checkpoints)
          if n.startswith('model-40.data')][0]
  with open(os.path.join(checkpoints, data), 'r+b') as f:
    f.truncate(10)
  capsys.readouterr()
  _run(lottery_experiment, out)
  err = capsys.readouterr().err
  assert '{} differs'.format(os.path.join(checkpoints, data)) in err
  assert 'resumed at iteration 20 of 40' in err
  assert lib.tree_bytes(out) == lib.tree_bytes(whole)


def test_a_damaged_finished_level_is_named_by_every_reader(tmp_path, whole,
                                                           capsys):
  out = tmp_path / 'run'
  shutil.copytree(whole, out)
  damaged = os.path.join(paths.final(out / '0' / 'same_init'), 'layer1.npy')
  _nan_into(damaged)
  before = lib.tree_bytes(out)
  expected = ('{} differs from what was recorded when it was written (sha256 '
              'recorded in {})'.format(damaged,
                                       paths.done_marker(out / '0' /
                                                         'same_init')))
  for runner, flags in ((lottery_experiment, SHORT + ['--iterations=2']),
                        (reinitialize, ['--level=0'])):
    line = _refused(runner, out, capsys, flags)
    assert expected in line
  assert lib.tree_bytes(out) == before


def test_corrupt_json_is_named(tmp_path, whole, capsys):
  out = tmp_path / 'run'
  shutil.copytree(whole, out)
  config = paths.config(out / '1' / 'same_init')
  with open(config, 'r+') as f:
    f.truncate(40)
  line = _refused(lottery_experiment, out, capsys)
  assert line.startswith('lottery_experiment: error: {} is not valid '
                         'JSON'.format(config))
