"""Every write boundary is a resumable state.

An uninterrupted run passes named boundaries (foundations.faults); at each
one the test copies the output directory aside: what a kill -9 there leaves
on disk. Each copy, taken up again by the same command at its new place (so
it must resume from its own files, never the original's), must end byte for
byte as the uninterrupted run. Two real kills through the switch
(LOTTERY_TICKET_KILL_AT) check that a copy is what a kill leaves, at the
moment the issue found fatal: after a level's last checkpoint, before DONE.
"""

import os
import shutil
import subprocess
import sys

import pytest

import packed_testlib as lib
from lottery_ticket import command_line
from lottery_ticket.foundations.storage import faults
from lottery_ticket.foundations import paths
from lottery_ticket.mnist_fc.runners import lottery_experiment
from lottery_ticket.mnist_fc.runners import reinitialize
from lottery_ticket.mnist_fc.runners import sparse_train

pytestmark = pytest.mark.slow

SHORT = ['--dataset=digits', '--layers=12', '--training_len=40it',
         '--test_interval=20', '--checkpoint_interval=20',
         '--save_summaries=false']
LOTTERY = SHORT + ['--iterations=1']


def _run(runner, out, flags):
  command_line.run(runner.RUNNER, ['--output_dir=' + str(out)] + flags)


def _walk(runner, flags, tmp_path, prepare=None, only=None, part=(0, 1)):
  """Runs once, copying the output at every boundary; resumes every copy.

  Args:
    prepare: optional callable(out) filling the output directory first (a
      finished lottery run a control reads); its boundaries are not walked.
    only: optional callable(name) -> whether to walk that boundary
      (default: all).
    part: (i, n): copy and resume only the i-th of every n states the
      boundaries leave (in order; a boundary leaving the bytes of the one
      before is the same state), so that n tests, one for each i, resume
      every state between them (default: all).

  Returns:
    the names of the boundaries walked (all parts).
  """
  out = tmp_path / 'whole'
  if prepare:
    prepare(out)
  copies = []
  walked = []
  last = [None]
  passed = [0]

  def copy(name):
    if name.endswith('.log') or (only and not only(name)):
      return  # the logs are rewritten with metrics.json, the group's last
    walked.append(name)
    state = _disk_state(out)
    if state == last[0]:
      return  # the same bytes on disk as at the boundary before: resumed there
    last[0] = state
    passed[0] += 1
    if (passed[0] - 1) % part[1] != part[0]:
      return  # another part's
    where = tmp_path / 'kill{:03d}'.format(len(copies))
    shutil.copytree(out, where, symlinks=True)
    copies.append((name, where))

  with faults.observe(copy):
    _run(runner, out, flags)
  assert copies
  for name, where in copies:
    _run(runner, where, flags)
    assert lib.tree_bytes(where) == lib.tree_bytes(out), name
  return walked


def _disk_state(root):
  """Everything a re-run could read under root: every directory, every
  symbolic link's target and every file's bytes (logs and locks included)."""
  state = []
  for directory, subdirectories, names in os.walk(root):
    subdirectories.sort()
    state.append(('dir', os.path.relpath(directory, root)))
    for name in sorted(names + [d for d in subdirectories
                                if os.path.islink(os.path.join(directory, d))]):
      path = os.path.join(directory, name)
      if os.path.islink(path):
        state.append(('link', os.path.relpath(path, root), os.readlink(path)))
      else:
        with open(path, 'rb') as f:
          state.append(('file', os.path.relpath(path, root), f.read()))
  return state


def test_every_boundary_of_a_lottery_experiment_resumes(tmp_path):
  walked = _walk(lottery_experiment, LOTTERY, tmp_path)
  kinds = {name.split()[0] for name in walked}
  assert kinds == {'file', 'arrays', 'checkpoint', 'remove'}
  assert any(name.endswith('1/same_init/DONE') for name in walked)


def _between_networks(name):
  """The boundaries where a pack's networks stand apart: one network's
  checkpoint, arrays or DONE written, or its checkpoints removed, and the
  other's not yet (a lone run is a pack of one: its own sequence of files is
  walked above)."""
  return name.split()[0] != 'file' or name.endswith('/DONE')


def test_every_boundary_between_a_packs_networks_resumes(tmp_path):
  # Level 0 alone: what a pack adds is the same at every level, and a later
  # level's pruning and resetting are walked above.
  walked = _walk(lottery_experiment, SHORT + ['--iterations=0', '--trials=2'],
                 tmp_path, only=_between_networks)
  assert any('trial1/0/same_init/checkpoints/model-40' in n for n in walked)
  assert any(n.endswith('trial0/0/same_init/DONE') for n in walked)


SPARSE = SHORT + ['--sparsity=0.5', '--update_freq=10', '--grad_batch_size=100',
                  '--grow_batch_size=100', '--update_norm_batch_size=50']


# The longest walk, in two tests so that two workers share it (each makes
# the uninterrupted run again: its own copies need it).
RIGL_PARTS = 2


@pytest.mark.parametrize('part', range(RIGL_PARTS))
def test_every_boundary_of_a_rigl_run_resumes(tmp_path, part):
  _walk(sparse_train, SPARSE + ['--method=rigl'], tmp_path,
        part=(part, RIGL_PARTS))


def test_the_checkpoints_of_a_set_run_resume(tmp_path):
  # As RigL but for how weights regrow (at random: the draw must not depend
  # on where the run was taken up).
  walked = _walk(sparse_train, SPARSE + ['--method=set'], tmp_path,
                 only=lambda name: name.startswith('checkpoint '))
  assert len(walked) == 2


def test_every_boundary_of_a_reinit_control_resumes(tmp_path):
  def lottery(out):
    _run(lottery_experiment, out, LOTTERY)
  _walk(reinitialize, ['--level=1', '--mode=reinit'], tmp_path,
        prepare=lottery)


def _killed_at(pattern, out):
  env = dict(os.environ, **{faults.ENV: pattern})
  command = [sys.executable, '-m',
             'lottery_ticket.mnist_fc.runners.lottery_experiment',
             '--output_dir=' + str(out)] + LOTTERY
  return subprocess.run(command, env=env, capture_output=True, check=False)


def test_a_kill_after_a_levels_last_checkpoint_resumes(tmp_path):
  whole = tmp_path / 'whole'
  _run(lottery_experiment, whole, LOTTERY)
  killed = tmp_path / 'killed'
  done = _killed_at('checkpoint */1/same_init/checkpoints/model-40', killed)
  assert done.returncode == -9, done.stderr.decode()[-2000:]
  assert not os.path.exists(paths.done_marker(killed / '1' / 'same_init'))
  assert os.path.exists(paths.final(killed / '0' / 'same_init'))
  _run(lottery_experiment, killed, LOTTERY)
  assert lib.tree_bytes(killed) == lib.tree_bytes(whole)
