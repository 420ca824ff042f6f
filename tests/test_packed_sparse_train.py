"""sparse_train --trials=N: each trial directory is the unpacked run's.

Every method packs, the dynamic ones included: a packed trial writes in
trial{t} the bytes `sparse_train --output_dir=.../trial{t} --seed=t` writes
(config.json, metrics with the gradient-flow measurements and the mask
updates, weights, masks, every checkpoint); only DONE's timing, the lock and
TensorBoard files may differ.
"""

import os

import packed_testlib
import pytest

from lottery_ticket import command_line
from lottery_ticket.foundations import paths
from lottery_ticket.foundations import save_restore
from lottery_ticket.foundations.sparse import sparsity_distribution
from lottery_ticket.mnist_fc import runs
from lottery_ticket.mnist_fc import sparse_train
from lottery_ticket.mnist_fc import trials as trials_lib
from lottery_ticket.mnist_fc.runners import sparse_train as runner

FAST = dict(dataset='digits', layers=(16,), batch_size=32, test_interval=50,
            grad_batch_size=100, optimizer='momentum', learning_rate=0.05,
            training_len='100it', checkpoint_interval=50)
PRUNE = dict(FAST, method='prune', sparsity=0.75, prune_begin_step=20,
             prune_end_step=80, prune_frequency=20)


def _alone(base, seed, **flags):
  """The unpacked run of trial `seed` under `base`; returns its directory."""
  run_dir = paths.trial(base, seed)
  sparse_train.sparse_train(run_dir, seed=seed, **flags)
  return run_dir


def _assert_trials_are_alone_runs(packed, alone, seeds):
  for seed in seeds:
    packed_testlib.assert_same_trees(paths.trial(packed, seed),
                                     paths.trial(alone, seed))
  first, second = [packed_testlib.tree_bytes(paths.trial(packed, s))
                   for s in seeds[:2]]
  assert first['final/layer0.npy'] != second['final/layer0.npy']


@pytest.fixture(scope='module')
def pruned(tmp_path_factory):
  """Gradual magnitude pruning (a dynamic method), trials 1-2 packed."""
  base = str(tmp_path_factory.mktemp('sparse_trials') / 'prune')
  results = sparse_train.sparse_train(base, trials=2, seed=1, **PRUNE)
  assert sorted(results) == [1, 2]
  return base


def test_packed_pruning_is_pruning_alone(pruned, tmp_path):
  alone = str(tmp_path / 'alone')
  for seed in (1, 2):
    _alone(alone, seed, **PRUNE)
  _assert_trials_are_alone_runs(pruned, alone, [1, 2])
  records = packed_testlib.metrics(paths.trial(pruned, 1))
  assert records['mask_updates'] and records['extra']


@pytest.mark.parametrize('flags', [
    # A static method's packed trial is checked in the fast lane by
    # test_finished_trials_are_skipped_and_new_ones_packed (small_dense).
    pytest.param(dict(method='dense'), marks=pytest.mark.slow),
    # The drop-and-grow methods, in the full suite: in the fast lane, masks
    # updated inside a pack are checked by test_packed_pruning_is_pruning_alone
    # (gradual magnitude pruning).
    pytest.param(dict(method='set', sparsity=0.8, update_freq=20,
                      distribution='erk'), marks=pytest.mark.slow),
    pytest.param(dict(method='rigl', sparsity=0.8, update_freq=20),
                 marks=pytest.mark.slow),
], ids=lambda flags: flags['method'])
def test_each_packed_trial_is_the_unpacked_run_of_its_seed(flags, tmp_path):
  flags = dict(FAST, **flags)
  packed, alone = str(tmp_path / 'packed'), str(tmp_path / 'alone')
  sparse_train.sparse_train(packed, trials=2, **flags)
  for seed in (0, 1):
    _alone(alone, seed, **flags)
  _assert_trials_are_alone_runs(packed, alone, [0, 1])


@pytest.mark.slow
def test_packed_global_snip_trials_are_the_unpacked_runs(tmp_path):
  # --prune_scope=global in a pack: each trial ranks its own network's
  # scores over all its layers, as its unpacked run does.
  flags = dict(FAST, method='snip', sparsity=0.9, prune_scope='global',
               training_len='20it', test_interval=10, checkpoint_interval=10)
  packed, alone = str(tmp_path / 'packed'), str(tmp_path / 'alone')
  sparse_train.sparse_train(packed, trials=2, **flags)
  for seed in (0, 1):
    _alone(alone, seed, **flags)
  _assert_trials_are_alone_runs(packed, alone, [0, 1])
  for seed in (0, 1):
    masks = save_restore.restore_network(os.path.join(
        paths.trial(packed, seed), 'initial_masks'))
    kept = {n: int(m.sum()) for n, m in masks.items()}
    counts = sparsity_distribution.layer_counts(
        {n: m.shape for n, m in masks.items()}, 0.9, 'uniform')
    assert sum(kept.values()) == sum(counts.values()) and kept != counts


def test_lottery_trials_read_the_trials_of_their_mask_base(pruned, tmp_path):
  """--mask_from names the base: trial t trains the mask of its trial{t}."""
  flags = dict(FAST, method='lottery', sparsity=0.75, mask_from=pruned)
  packed, alone = str(tmp_path / 'packed'), str(tmp_path / 'alone')
  sparse_train.sparse_train(packed, trials=2, seed=1, **flags)
  for seed in (1, 2):
    _alone(alone, seed, **dict(flags, mask_from=paths.trial(
        pruned, seed)))
  _assert_trials_are_alone_runs(packed, alone, [1, 2])


@pytest.mark.slow
def test_finished_trials_are_skipped_and_new_ones_packed(tmp_path):
  flags = dict(FAST, method='small_dense', sparsity=0.8)
  base, alone = str(tmp_path / 'base'), str(tmp_path / 'alone')
  _alone(base, 0, **flags)
  before = packed_testlib.tree_bytes(paths.trial(base, 0))
  results = sparse_train.sparse_train(base, trials=2, **flags)
  assert sorted(results) == [0, 1]
  assert packed_testlib.tree_bytes(paths.trial(base, 0)) == before
  _alone(alone, 1, **flags)
  packed_testlib.assert_same_trees(paths.trial(base, 1),
                                   paths.trial(alone, 1))


def test_a_refused_pack_writes_nothing(monkeypatch, capsys, tmp_path):
  out = str(tmp_path / 'refused')
  monkeypatch.setattr('sys.argv', [
      'sparse_train', '--output_dir=' + out, '--trials=2', '--method=dense',
      '--permute_labels=true', '--dataset=digits', '--training_len=10it'])
  with pytest.raises(SystemExit) as exit_info:
    command_line.run(runner.RUNNER)
  assert exit_info.value.code == 2
  err = capsys.readouterr().err.strip().splitlines()
  assert len(err) == 1 and 'permute_labels' in err[0], err
  assert not os.path.exists(out)


def test_a_trial_without_its_mask_refuses_the_pack_before_writing(
    pruned, tmp_path):
  """The mask base holds trials 1-2: trials 1-3 stop at trial 3, and trials
  1 and 2 (checked first) are not written either."""
  out = str(tmp_path / 'lottery')
  with pytest.raises(ValueError, match='trial3'):
    sparse_train.sparse_train(out, trials=3, seed=1, method='lottery',
                              sparsity=0.75, mask_from=pruned, **FAST)
  runs.release_all()  # as the CLI does on an error
  assert not os.path.exists(paths.trial(out, 1))
  assert not os.path.exists(paths.trial(out, 2))


def test_overwrite_checks_every_trial_before_clearing_any(tmp_path):
  """Trial 1 holds another run inside: --overwrite refuses the pack before
  trial 0 (checked first, clearable) loses a file."""
  flags = dict(FAST, method='small_dense', sparsity=0.8, training_len='20it')
  base = str(tmp_path / 'base')
  sparse_train.sparse_train(base, trials=2, **flags)
  inner = os.path.join(paths.trial(base, 1), 'inner')
  sparse_train.sparse_train(inner, **flags)
  runs.release_all()
  before = packed_testlib.file_digests(base)
  with pytest.raises(runs.OtherRunInside, match='inner'):
    sparse_train.sparse_train(base, trials=2, overwrite=True, **flags)
  runs.release_all()
  assert packed_testlib.file_digests(base) == before
