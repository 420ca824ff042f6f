"""Run directories written before the runners were rebuilt (commit 3d57ac0)
are still theirs: the same commands find them finished, change no byte of
them, and a lottery trial extends from its old levels.

tests/data/runs_3d57ac0 holds what these commands wrote at 3d57ac0:

  lottery_experiment --output_dir=lottery/trial0 --iterations=1 FLAGS
  reinitialize --output_dir=lottery/trial0 --level=1
  sparse_train --output_dir=rigl --method=rigl --sparsity=0.8
      --update_freq=5 --mask_images=false FLAGS

with FLAGS = --dataset=digits --layers=12 --training_len=20it
--test_interval=10 --checkpoint_interval=0 --save_summaries=false.
"""

import os
import shutil

from lottery_ticket.foundations import paths
from lottery_ticket.mnist_fc import lottery_experiment
from lottery_ticket.mnist_fc import reinitialize
from lottery_ticket.mnist_fc import runs
from lottery_ticket.mnist_fc import sparse_train

OLD = os.path.join(os.path.dirname(__file__), 'data', 'runs_3d57ac0')
FLAGS = dict(dataset='digits', layers='12', training_len='20it',
             test_interval=10, checkpoint_interval=0, save_summaries=False)


def _tree(root):
  """Every file's bytes (locks left out: the commands take them)."""
  out = {}
  for directory, _, names in os.walk(root):
    for name in names:
      if name != '.lock':
        path = os.path.join(directory, name)
        with open(path, 'rb') as f:
          out[os.path.relpath(path, root)] = f.read()
  return out


def test_old_runs_are_found_finished_and_left_byte_for_byte(tmp_path):
  root = str(tmp_path / 'old')
  shutil.copytree(OLD, root)
  before = _tree(root)
  trial = os.path.join(root, 'lottery', 'trial0')
  lottery_experiment.lottery_experiment(trial, iterations=1, **FLAGS)
  reinitialize.reinitialize(trial, 1)
  sparse_train.sparse_train(os.path.join(root, 'rigl'), method='rigl',
                            sparsity=0.8, update_freq=5, mask_images=False,
                            **FLAGS)
  runs.release_all()
  assert _tree(root) == before
  for run in ('lottery/trial0/1/same_init', 'lottery/trial0/1/reinit', 'rigl'):
    assert 'final test accuracy' in runs.describe(os.path.join(root, run))


def test_an_old_trial_extends_from_its_old_levels(tmp_path):
  root = str(tmp_path / 'old')
  shutil.copytree(OLD, root)
  trial = os.path.join(root, 'lottery', 'trial0')
  before = _tree(trial)
  lottery_experiment.lottery_experiment(trial, iterations=2, **FLAGS)
  runs.release_all()
  after = _tree(trial)
  assert {p: after[p] for p in before} == before
  assert runs.is_finished(paths.run(trial, 2, 'same_init'))
