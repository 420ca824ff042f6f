"""A killed pack resumes bit-identically; its checkpoints are a lone run's.

Every network of a pack checkpoints into its own run directory as a lone
run (a pack of one) of it does, so a pack resumes from the latest iteration
all its networks saved, a lone run resumes from a pack's checkpoint, and a
pack from lone ones.
"""

import os

import numpy as np
import packed_testlib as lib
import pytest

from lottery_ticket.foundations.storage import checkpoint_files
from lottery_ticket.foundations.training import optimizers
from lottery_ticket.foundations import paths

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE_PARENT = os.path.dirname(os.path.dirname(HERE))
PARAMS = dict(batch_size=10, test_interval=50, checkpoint_interval=100)


def _pack(run_dirs, iterations):
  dataset = lib.small_mlp_dataset()
  return lib.pack(dataset, lib.MLP, lib.members(dataset, lib.MLP, run_dirs),
                  optimizers.optimizer_fn('adam'), ('iterations', iterations),
                  **PARAMS)


def _alone(dataset, member, iterations):
  """One member trained as a pack of one."""
  return lib.pack(dataset, lib.MLP, [member], optimizers.optimizer_fn('adam'),
                  ('iterations', iterations), **PARAMS)[0]


def _dirs(root):
  return [os.path.join(str(root), str(i)) for i in range(3)]


def _assert_same_runs(results, expected, run_dirs, expected_dirs):
  for (initial, final), (want_initial, want_final) in zip(results, expected):
    lib.assert_same_weights(initial, want_initial)
    lib.assert_same_weights(final, want_final)
  for run_dir, expected_dir in zip(run_dirs, expected_dirs):
    assert lib.metrics(run_dir) == lib.metrics(expected_dir)


def _forget_latest(run_dir):
  """Drops a run's latest checkpoint, as if it was killed before writing it."""
  checkpoint_files.remove(run_dir, checkpoint_files.complete(run_dir)[-1])


@pytest.mark.slow
def test_pack_resumes_from_the_latest_checkpoint_all_networks_have(tmp_path):
  whole = _dirs(tmp_path / 'whole')
  expected = _pack(whole, 300)
  part = _dirs(tmp_path / 'part')
  _pack(part, 200)  # stopped after its checkpoint at 200 ...
  _forget_latest(part[1])  # ... which one network did not write
  assert checkpoint_files.latest_usable(part, print, keep=2) == 100
  results = _pack(part, 300)
  _assert_same_runs(results, expected, part, whole)


# In the fast lane: a network's checkpoint in a pack is its lone run's (the
# last test), and a lone run resumes from its own (test_trainer.py).
@pytest.mark.slow
def test_lone_run_resumes_from_a_packed_checkpoint(tmp_path):
  dataset = lib.small_mlp_dataset()
  part = _dirs(tmp_path / 'part')
  _pack(part, 100)
  os.remove(os.path.join(paths.final(part[2]), 'layer0.npy'))
  member = lib.members(dataset, lib.MLP, part)[2]
  initial, final = _alone(dataset, member._replace(init_seed=99), 200)
  alone_dir = str(tmp_path / 'alone')
  expected = _alone(dataset, member._replace(output_dir=alone_dir), 200)
  lib.assert_same_weights(initial, expected[0])
  lib.assert_same_weights(final, expected[1])
  assert lib.metrics(part[2]) == lib.metrics(alone_dir)


# In the fast lane: a network's checkpoint in a pack is its lone run's (the
# last test), and a pack resumes from its own checkpoints (the first).
@pytest.mark.slow
def test_pack_resumes_from_lone_checkpoints(tmp_path):
  dataset = lib.small_mlp_dataset()
  part = _dirs(tmp_path / 'part')
  for member in lib.members(dataset, lib.MLP, part):
    _alone(dataset, member, 100)
  whole = _dirs(tmp_path / 'whole')
  _assert_same_runs(_pack(part, 200), _pack(whole, 200), part, whole)


@pytest.mark.slow
def test_a_networks_checkpoint_is_that_of_its_lone_run(tmp_path):
  import tensorflow.compat.v1 as tf  # pylint: disable=g-import-not-at-top
  dataset = lib.small_mlp_dataset()
  packed = _dirs(tmp_path / 'packed')
  _pack(packed, 100)
  member = lib.members(dataset, lib.MLP)[0]
  alone_dir = str(tmp_path / 'alone')
  _alone(dataset, member._replace(output_dir=alone_dir), 100)
  read = lambda d: tf.train.load_checkpoint(tf.train.latest_checkpoint(
      paths.checkpoints(d)))
  ours, theirs = read(packed[0]), read(alone_dir)
  shapes = theirs.get_variable_to_shape_map()
  assert ours.get_variable_to_shape_map() == shapes
  for name in shapes:
    np.testing.assert_array_equal(ours.get_tensor(name), theirs.get_tensor(name))
