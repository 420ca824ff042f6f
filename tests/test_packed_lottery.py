"""lottery_experiment --trials=N: each trial directory is the unpacked run's.

A packed experiment writes, in every trial{t}, the bytes the unpacked command
with --seed=t writes there (config.json, logs, metrics, weights, masks); only
the DONE timing, the lock's pid and TensorBoard event names may differ. A
packed experiment killed mid-level and run again ends with the same bytes as
one never interrupted.
"""

import os
import shutil

import packed_testlib
import pytest

from lottery_ticket.foundations.training import finite
from lottery_ticket.foundations import trainer
from lottery_ticket.foundations import paths
from lottery_ticket.mnist_fc import lottery_experiment as lottery_lib
from lottery_ticket.mnist_fc import reinitialize as reinitialize_lib

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE_PARENT = os.path.dirname(os.path.dirname(HERE))
FAST = dict(dataset='digits', layers=(40, 20), training_len='100it',
            test_interval=25, checkpoint_interval=50)
tree_bytes = packed_testlib.tree_bytes
assert_same_trees = packed_testlib.assert_same_trees


@pytest.mark.parametrize('flags', [
    dict(seed=3, rewind_iteration=50),
    # The fast lane keeps rewinding; the others run in the full suite.
    pytest.param(dict(pruning='random', optimizer='momentum', momentum=0.8,
                      lr_schedule='cosine'), marks=pytest.mark.slow),
    pytest.param(dict(network='lenet5', training_len='100it'),
                 marks=pytest.mark.slow),
], ids=['rewinding', 'random_pruning_momentum', 'lenet5'])
def test_each_packed_trial_is_the_unpacked_run_of_its_seed(tmp_path, flags):
  flags = dict(FAST, **flags)
  first = flags.pop('seed', 0)
  results = lottery_lib.lottery_experiment(
      str(tmp_path / 'packed'), iterations=2, trials=2, seed=first, **flags)
  assert sorted(results) == [first, first + 1]
  for seed in (first, first + 1):
    alone = str(tmp_path / 'alone' / 'trial{}'.format(seed))
    lottery_lib.lottery_experiment(alone, iterations=2, seed=seed, **flags)
    assert_same_trees(str(tmp_path / 'packed' / 'trial{}'.format(seed)), alone)
    for level in range(3):
      assert os.path.exists(paths.done_marker(paths.run(alone, level)))
  # The trials are different networks, not one network twice.
  trees = [tree_bytes(str(tmp_path / 'packed' / 'trial{}'.format(s)))
           for s in (first, first + 1)]
  finals = [name for name in trees[0] if name.startswith('2/same_init/final/')]
  assert finals and all(trees[0][name] != trees[1][name] for name in finals)


@pytest.mark.slow
def test_trials_at_different_levels_catch_up_together(tmp_path):
  """A trial of 1 level (run alone) extended to 2 in a pack with a new trial
  ends as the same history run alone: level 2 packs both trials, levels 0-1
  only the new one."""
  base = tmp_path / 'mixed'
  lottery_lib.lottery_experiment(str(base / 'trial0'), iterations=1, seed=0,
                                 **FAST)
  lottery_lib.lottery_experiment(str(base), iterations=2, trials=2, **FAST)
  alone = tmp_path / 'alone'
  lottery_lib.lottery_experiment(str(alone / 'trial0'), iterations=1, seed=0,
                                 **FAST)
  for seed in (0, 1):
    trial = str(alone / 'trial{}'.format(seed))
    lottery_lib.lottery_experiment(trial, iterations=2, seed=seed, **FAST)
    assert_same_trees(str(base / 'trial{}'.format(seed)), trial)


@pytest.mark.slow
def test_a_mismatching_trial_refuses_the_pack_before_writing(tmp_path):
  base = tmp_path / 'refused'
  lottery_lib.lottery_experiment(str(base / 'trial1'), iterations=1, seed=1,
                                 **FAST)
  before = tree_bytes(str(base))
  with pytest.raises(ValueError, match='learning_rate'):
    lottery_lib.lottery_experiment(str(base), iterations=1, trials=2,
                                   learning_rate=0.01, **FAST)
  assert tree_bytes(str(base)) == before
  assert not os.path.exists(base / 'trial0' / '0')


def test_permuted_labels_cannot_share_a_pack(tmp_path):
  with pytest.raises(ValueError, match='permute_labels'):
    lottery_lib.lottery_experiment(str(tmp_path / 'x'), iterations=1,
                                   trials=2, permute_labels=True, **FAST)
  assert not os.path.exists(tmp_path / 'x')


@pytest.mark.slow
def test_a_diverging_trial_stops_and_the_others_finish(tmp_path,
                                                       monkeypatch):
  """Trial 1 starts from weights so large its loss overflows at once; the
  pack names exactly that trial, after the others trained every level."""
  starting = trainer.initial_values

  def huge_for_trial1(model_class, hyperparameters, dataset, member):
    values = starting(model_class, hyperparameters, dataset, member)
    if '{0}trial1{0}'.format(os.sep) in member.output_dir:
      values = {name: value if name.endswith('_m') else value * 1e30
                for name, value in values.items()}
    return values

  monkeypatch.setattr(trainer, 'initial_values', huge_for_trial1)
  base = tmp_path / 'diverging'
  with pytest.raises(finite.NonFiniteError) as raised:
    lottery_lib.lottery_experiment(str(base), iterations=1, trials=3, **FAST)
  done = {s: os.path.exists(paths.done_marker(paths.run(
      str(base / 'trial{}'.format(s)), 1))) for s in range(3)}
  assert done == {0: True, 1: False, 2: True}
  assert 'trial1' in str(raised.value)
  assert 'trial0' not in str(raised.value)
  assert 'trial2' not in str(raised.value)


@pytest.fixture(scope='module')
def two_trials(tmp_path_factory):
  """A packed lottery experiment of trials 0-1, levels 0-1 (read only: a
  test copies it with _copy)."""
  base = tmp_path_factory.mktemp('two_trials') / 'lottery'
  lottery_lib.lottery_experiment(str(base), iterations=1, trials=2, **FAST)
  return base


def _copy(two_trials, tmp_path):
  base = tmp_path / 'lottery'
  shutil.copytree(two_trials, base, symlinks=True)
  return base


@pytest.mark.parametrize('mode', [
    'reinit', pytest.param('reuse_sign', marks=pytest.mark.slow)])
def test_each_packed_control_is_the_unpacked_control_of_its_trial(
    tmp_path, two_trials, mode):
  base = _copy(two_trials, tmp_path)
  packed = reinitialize_lib.reinitialize(str(base), 1, mode=mode, trials=2)
  assert sorted(packed) == [0, 1]
  # The unpacked controls in the same place (config.json names the source).
  for seed in (0, 1):
    control = paths.run(str(base / 'trial{}'.format(seed)), 1, mode)
    os.rename(control, str(tmp_path / 'packed{}'.format(seed)))
    reinitialize_lib.reinitialize(str(base / 'trial{}'.format(seed)), 1,
                                  mode=mode, seed=seed)
    assert_same_trees(str(tmp_path / 'packed{}'.format(seed)), control)


def test_packed_controls_need_every_trial_before_writing(tmp_path,
                                                        two_trials):
  base = _copy(two_trials, tmp_path)
  before = tree_bytes(str(base))
  with pytest.raises(ValueError, match='trial2'):
    reinitialize_lib.reinitialize(str(base), 1, trials=3)
  assert tree_bytes(str(base)) == before
  assert not os.path.exists(paths.run(str(base / 'trial0'), 1, 'reinit'))


