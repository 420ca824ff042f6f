"""The last holes of issue 25: what a run reads, locks, removes and says.

Case 2: an array read from another run is checked against that run's DONE
hashes. Case 3: a lock on a directory is refused while another process
holds a run's lock inside it. Case 4: --overwrite refuses where another run
lives inside. Case 5: SIGTERM is one line and exit 143, the run
resumable. Case 6: bad masks and presets are refused before anything is
written, and a refusal removes the lock it took.
"""

import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from lottery_ticket import command_line
from lottery_ticket.foundations.storage import dir_lock
from lottery_ticket.foundations.storage import integrity
from lottery_ticket.foundations import paths
from lottery_ticket.foundations import save_restore
from lottery_ticket.mnist_fc import runs
from lottery_ticket.mnist_fc.runners import lottery_experiment
from lottery_ticket.mnist_fc.runners import train

import packed_testlib

TINY = ['--dataset=digits', '--layers=16', '--training_len=20it',
        '--save_summaries=false']
LOTTERY = TINY + ['--iterations=1']
RUNNERS = {'train': train.RUNNER,
           'lottery_experiment': lottery_experiment.RUNNER}
HOLD = ('import sys, time\n'
        'from lottery_ticket.foundations.storage import dir_lock\n'
        'dir_lock.DirectoryLock(sys.argv[1], subtree=sys.argv[2] == "1")'
        '.acquire()\n'
        'print("held", flush=True)\n'
        'time.sleep(120)\n')


def _run(capsys, runner, *argv):
  """A runner's command line in-process: (exit code, stderr lines that are
  not progress), its locks released as a process exit would."""
  capsys.readouterr()
  try:
    command_line.run(RUNNERS[runner], list(argv))
    code = 0
  except SystemExit as stop:
    code = stop.code
  finally:
    runs.release_all()
  err = capsys.readouterr().err
  return code, [l for l in err.splitlines() if l.strip() and ' | ' not in l]


@pytest.fixture
def held(tmp_path):
  """hold(directory, subtree=True): another process holds its lock until
  the test ends; returns that process's pid."""
  holders = []

  def hold(directory, subtree=True):
    process = subprocess.Popen(
        [sys.executable, '-c', HOLD, str(directory), '1' if subtree else '0'],
        stdout=subprocess.PIPE, text=True)
    holders.append(process)
    assert process.stdout.readline().strip() == 'held'
    return process.pid
  yield hold
  for process in holders:
    process.kill()
    process.wait()


@pytest.fixture(scope='module')
def finished(tmp_path_factory):
  """A finished tiny train run."""
  out = str(tmp_path_factory.mktemp('source') / 'run')
  command_line.run(train.RUNNER, ['--output_dir=' + out] + TINY)
  runs.release_all()
  assert runs.is_finished(out)
  return out


# Case 2 ---------------------------------------------------------------------


def test_masks_and_presets_of_a_changed_run_are_refused_by_its_hashes(
    tmp_path, capsys, finished):
  source = str(tmp_path / 'source')
  shutil.copytree(finished, source)
  layer1 = os.path.join(paths.masks(source), 'layer1.npy')
  mask = np.load(layer1)
  mask[0, 0] = 1 - mask[0, 0]  # one entry changed, still 0/1
  np.save(layer1, mask)
  out = str(tmp_path / 'out')
  code, lines = _run(capsys, 'train', '--output_dir=' + out,
                     '--masks=' + paths.masks(source), *TINY)
  assert code == 2 and len(lines) == 1, lines
  assert layer1 in lines[0] and 'differs from what was recorded' in lines[0]
  # Any array of that run: the presets too, and a list of masks.
  code, lines = _run(capsys, 'train', '--output_dir=' + out,
                     '--presets=' + paths.initial(source), *TINY)
  assert code == 2 and layer1 in lines[0], lines
  code, lines = _run(capsys, 'train', '--output_dir=' + out, '--masks={},{}'
                     .format(paths.masks(finished), paths.masks(source)), *TINY)
  assert code == 2 and layer1 in lines[0], lines
  assert not os.path.exists(out)
  # The same arrays out of any run (a masks folder of its own) are taken as
  # they are; an unfinished run's are not taken at all.
  loose = str(tmp_path / 'loose')
  shutil.copytree(paths.masks(source), loose)
  assert np.array_equal(save_restore.standardize(loose)['layer1'], mask)
  os.remove(paths.done_marker(source))
  with pytest.raises(ValueError, match='an unfinished run'):
    save_restore.standardize(paths.masks(source))
  # The run it belongs to is the nearest: a run inside a run is its own.
  assert integrity.enclosing_run(layer1) == source


# Case 3 ---------------------------------------------------------------------


def test_a_parent_is_refused_while_a_run_inside_it_is_held(tmp_path, capsys,
                                                           held):
  outer = tmp_path / 'Y'
  inner = outer / 'a' / 'b'
  pid = held(inner)
  before = packed_testlib.file_digests(outer)
  for runner, extra in (('lottery_experiment', LOTTERY),
                        ('train', TINY + ['--overwrite'])):
    code, lines = _run(capsys, runner, '--output_dir=' + str(outer), *extra)
    assert code == 2 and len(lines) == 1, lines
    assert '{} holds {}, which is in use by another process (pid {})'.format(
        outer, inner, pid) in lines[0]
    assert packed_testlib.file_digests(outer) == before  # not even a lock file
  # A sweep's plain lock on its records inside a run is no run.
  plain = tmp_path / 'Z'
  held(plain / paths.SWEEP_RECORDS, subtree=False)
  with dir_lock.DirectoryLock(str(plain), subtree=True) as lock:
    assert lock.held


def test_a_parent_and_a_child_locking_at_once_are_not_both_accepted(
    tmp_path, held, monkeypatch):
  """The child takes its lock after the parent first looked: the parent,
  which looks again once it holds its own lock, finds it and gives up,
  removing what it created."""
  outer = tmp_path / 'Y'
  looked = []
  real = dir_lock._overlapping_holder  # pylint: disable=protected-access

  def child_starts_between(directory, shown):
    busy = real(directory, shown)
    looked.append(directory)
    if len(looked) == 1:
      held(outer / 'a')  # after the first look, before the lock
    return busy

  monkeypatch.setattr(dir_lock, '_overlapping_holder', child_starts_between)
  with pytest.raises(dir_lock.DirectoryBusy, match='holds .*a, which is in '
                     'use by another process'):
    dir_lock.DirectoryLock(str(outer), subtree=True).acquire()
  assert len(looked) == 2
  assert os.listdir(outer) == ['a']  # its own lock file removed
  assert os.path.realpath(outer) not in dir_lock._HELD  # pylint: disable=protected-access


# Case 4 ---------------------------------------------------------------------


@pytest.mark.slow
def test_overwrite_refuses_to_remove_another_run_inside(tmp_path, capsys,
                                                        held):
  outer = str(tmp_path / 'Z')
  inner = os.path.join(outer, 'inner')
  for directory in (outer, inner):
    code, _ = _run(capsys, 'train', '--output_dir=' + directory, *TINY)
    assert code == 0 and runs.is_finished(directory)
  before = packed_testlib.file_digests(outer)
  code, lines = _run(capsys, 'train', '--output_dir=' + outer, '--overwrite',
                     '--seed=3', *TINY)
  assert code == 2 and len(lines) == 1, lines
  assert lines[0] == (
      'train: error: --overwrite would remove {}, another run (it has its own '
      'config.json) inside {}; move it out or give another output '
      'directory'.format(inner, outer))
  assert packed_testlib.file_digests(outer) == before  # nothing changed, Z/inner whole
  # A directory held by a live process is another run too.
  os.remove(paths.config(inner))
  os.remove(paths.done_marker(inner))
  pid = held(inner, subtree=False)
  with pytest.raises(runs.OtherRunInside, match='{}, in use by another '
                     r'process \(pid {}\)'.format(inner, pid)):
    runs.clear_run(outer)
  # Without another run inside, --overwrite removes the run's outputs.
  shutil.rmtree(inner)
  code, lines = _run(capsys, 'train', '--output_dir=' + outer, '--overwrite',
                     '--seed=3', *TINY)
  assert code == 0 and lines[0] == 'overwriting ' + outer, lines
  assert integrity.read_json(paths.config(outer))['training']['seed'] == 3


# Case 5 ---------------------------------------------------------------------

# The runner's real command line (cli_main, as `lottery-ticket X`), with
# SIGTERM sent to itself at the first write boundary matching argv[1]: at a
# chosen moment of training, as a scheduler would.
TERMINATE_AT = (
    'import fnmatch, os, signal, sys\n'
    'from lottery_ticket.foundations.storage import faults\n'
    'pattern = sys.argv[1]\n'
    'def stop(name):\n'
    '  if fnmatch.fnmatchcase(name, pattern):\n'
    '    os.kill(os.getpid(), signal.SIGTERM)\n'
    'from lottery_ticket import cli_main\n'
    'with faults.observe(stop):\n'
    '  sys.exit(cli_main.main(sys.argv[2:]))\n')

TERMINATED = ('{}: terminated (SIGTERM); what was saved (finished runs and '
              'levels, the latest checkpoint) is kept: run the same command '
              'again to resume')


@pytest.mark.slow
def test_sigterm_in_training_is_one_line_exit_143_and_resumes(tmp_path,
                                                              capsys):
  out = str(tmp_path / 'lt')
  argv = ['--output_dir=' + out, '--trials=2', '--checkpoint_interval=10',
          *LOTTERY]
  process = subprocess.run(
      [sys.executable, '-c', TERMINATE_AT,
       'checkpoint */trial0/1/same_init/checkpoints/model-10',
       'lottery_experiment'] + argv, capture_output=True, text=True,
      timeout=600)
  assert process.returncode == 143, process.stderr
  lines = [l for l in process.stderr.splitlines() if ' | ' not in l]
  assert lines == [TERMINATED.format('lottery_experiment')]
  level1 = paths.run(os.path.join(out, 'trial0'), 1, 'same_init')
  assert runs.is_finished(paths.run(os.path.join(out, 'trial0'), 0,
                                    'same_init'))
  assert not runs.is_finished(level1)
  code, lines = _run(capsys, 'lottery_experiment', *argv)
  assert code == 0, lines
  assert 'resuming' in lines[0] and runs.is_finished(level1)


def test_sigterm_while_starting_is_one_line_and_exit_143(tmp_path):
  out = tmp_path / 'run'
  process = subprocess.Popen(
      [sys.executable, '-m', 'lottery_ticket.mnist_fc.runners.train',
       '--output_dir=' + str(out)] + TINY,
      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
  # The import of the package takes SIGTERM over before TensorFlow's.
  while not _imported(process.pid):
    assert process.poll() is None
    time.sleep(0.01)
  process.send_signal(signal.SIGTERM)
  _, err = process.communicate(timeout=120)
  assert process.returncode == 143, err
  assert err.strip().splitlines() == [TERMINATED.format('train')]
  assert not out.exists()


def _imported(pid):
  """Whether process `pid` handles SIGTERM (its SigCgt mask)."""
  with open('/proc/{}/status'.format(pid)) as f:
    caught = next(l for l in f if l.startswith('SigCgt:')).split()[1]
  return bool(int(caught, 16) >> (signal.SIGTERM - 1) & 1)


# Case 6 ---------------------------------------------------------------------


def _saved(directory, flag, change):
  """Masks (or presets, with biases) of the tiny network, layer1 changed."""
  arrays = {'layer0': np.ones((64, 16), np.float32),
            'layer1': change(np.ones((16, 10), np.float32))}
  if flag == 'presets':
    arrays.update(layer0_bias=np.zeros(16, np.float32),
                  layer1_bias=np.zeros(10, np.float32))
  save_restore.save_network(directory, arrays)
  return directory


def _set(value):
  def change(array):
    array[0, 0] = value
    return array
  return change


@pytest.mark.parametrize('flag, change, message', [
    ('masks', _set(0.5), "mask 'layer1' from --masks={} holds values other "
     'than 0 and 1'),
    ('masks', _set(np.nan), "mask 'layer1' from --masks={} holds values "
     'other than 0 and 1'),
    ('masks', lambda a: np.ones((16, 9), np.float32),
     "--masks={}: mask 'layer1' has shape [16, 9], but layer 'layer1' has "
     'shape [16, 10]'),
    ('presets', _set(np.inf), "--presets={}: preset 'layer1' holds 1 "
     'non-finite value (NaN or infinite) out of 160'),
], ids=['half', 'nan', 'shape', 'inf'])
def test_bad_masks_and_presets_are_refused_before_anything_is_written(
    tmp_path, capsys, flag, change, message):
  given = _saved(str(tmp_path / flag), flag, change)
  existing = tmp_path / 'existing'
  existing.mkdir()
  (existing / 'notes.txt').write_text('mine')
  runners = [('train', tmp_path / 'new'), ('train', existing)]
  if flag == 'presets':
    runners.append(('lottery_experiment', tmp_path / 'lt'))
  for runner, out in runners:
    before = packed_testlib.file_digests(out) if out.exists() else None
    code, lines = _run(capsys, runner, '--output_dir=' + str(out),
                       '--{}={}'.format(flag, given), *TINY)
    assert code == 2
    assert (packed_testlib.file_digests(out) if out.exists() else None) == before
    assert lines == ['{}: error: {}'.format(runner, message.format(given))]


@pytest.mark.slow
def test_a_damaged_tree_is_refused_without_a_lock_left(tmp_path, capsys):
  out = str(tmp_path / 'lt')
  code, _ = _run(capsys, 'lottery_experiment', '--output_dir=' + out,
                 *LOTTERY)
  assert code == 0
  lock = os.path.join(out, dir_lock.LOCK_FILE)
  if os.path.exists(lock):  # left by a process; a copied tree has none
    os.remove(lock)
  final = os.path.join(paths.final(paths.run(out, 1, 'same_init')),
                       'layer0.npy')
  np.save(final, np.load(final) + 1)
  before = packed_testlib.file_digests(out)
  code, lines = _run(capsys, 'lottery_experiment', '--output_dir=' + out,
                     *LOTTERY)
  assert code == 2 and len(lines) == 1, lines
  assert final in lines[0] and 'differs' in lines[0]
  assert packed_testlib.file_digests(out) == before  # no .lock left behind


@pytest.mark.slow
def test_overwrite_of_a_lottery_says_one_line_a_trial(tmp_path, capsys):
  out = str(tmp_path / 'lt')
  argv = ['--output_dir=' + out, '--trials=2', *LOTTERY]
  assert _run(capsys, 'lottery_experiment', *argv)[0] == 0
  code, lines = _run(capsys, 'lottery_experiment', *argv, '--overwrite')
  assert code == 0
  assert [l for l in lines if l.startswith('overwriting')] == [
      'overwriting ' + os.path.join(out, 'trial{}'.format(t)) for t in (0, 1)]
