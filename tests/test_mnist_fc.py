"""The mnist_fc experiments end to end on the offline digits dataset."""

import os
import shutil

import numpy as np
import pytest

from lottery_ticket.foundations import paths
from lottery_ticket.foundations import save_restore
from lottery_ticket.foundations.storage import integrity
from lottery_ticket.mnist_fc import lottery_experiment
from lottery_ticket.mnist_fc import reinitialize
from lottery_ticket.mnist_fc import train

FAST = dict(dataset='digits', layers=(40, 20), training_len='200it',
            test_interval=50, checkpoint_interval=0, save_summaries=False)
PERCENTS = {'layer0': .2, 'layer1': .2, 'layer2': .1}


@pytest.fixture(scope='module')
def trial(tmp_path_factory):
  out = str(tmp_path_factory.mktemp('lottery') / 'trial0')
  lottery_experiment.lottery_experiment(out, iterations=3, seed=3, **FAST)
  return out


def _load(trial_dir, level, what, name='same_init'):
  return save_restore.restore_network(
      os.path.join(paths.run(trial_dir, level, name), what))


def test_mask_density_is_geometric_in_the_level(trial):
  for level in range(4):
    masks = _load(trial, level, 'masks')
    for name, percent in PERCENTS.items():
      expected = (1 - percent) ** level
      assert abs(masks[name].mean() - expected) <= level / masks[name].size + 1e-9


def test_pruned_weights_are_zero_and_survivors_reset(trial):
  level0 = _load(trial, 0, 'initial')
  for level in range(1, 4):
    masks, initial, final = (_load(trial, level, w)
                             for w in ('masks', 'initial', 'final'))
    for name in PERCENTS:
      np.testing.assert_array_equal(initial[name], level0[name] * masks[name])
      assert np.all(final[name][masks[name] == 0] == 0)
      np.testing.assert_array_equal(initial[name + '_bias'], level0[name + '_bias'])


def test_each_level_writes_logs_metrics_and_config(trial):
  run = paths.run(trial, 2, 'same_init')
  for name in ('train.log', 'test.log', 'validate.log', 'metrics.json',
               'config.json', 'DONE'):
    assert os.path.exists(os.path.join(run, name)), name
  test = save_restore.read_log(paths.log(run, 'test'))
  assert [r['iteration'] for r in test] == [0, 50, 100, 150, 200]
  assert test[-1]['accuracy'] > 0.8  # digits are learnable
  config = integrity.read_json(paths.config(run))
  assert config['details']['level'] == 2
  assert config['data']['dataset'] == 'digits'
  assert not os.path.exists(paths.checkpoints(run))


def test_rerun_of_a_finished_experiment_trains_nothing(trial):
  stamps = {l: os.path.getmtime(paths.done_marker(paths.run(trial, l, 'same_init')))
            for l in range(4)}
  lottery_experiment.lottery_experiment(trial, iterations=3, seed=3, **FAST)
  for level, stamp in stamps.items():
    assert os.path.getmtime(paths.done_marker(paths.run(trial, level, 'same_init'))) == stamp


# In the fast lane, runs of one seed made apart end byte for byte the same in
# test_packed_lottery.py (a packed trial and its lone run) and
# test_run_ownership.py (a copied run resumed and the uninterrupted one).
@pytest.mark.slow
def test_same_seed_same_weights(trial, tmp_path):
  out = str(tmp_path / 'again')
  lottery_experiment.lottery_experiment(out, iterations=1, seed=3, **FAST)
  for what in ('initial', 'final', 'masks'):
    a, b = _load(trial, 1, what), _load(out, 1, what)
    for name in a:
      np.testing.assert_array_equal(a[name], b[name])


@pytest.mark.parametrize('mode', ['reinit', 'reuse', 'reuse_sign'])
def test_reinitialization_controls(trial, mode):
  reinitialize.reinitialize(trial, 2, mode=mode, seed=3)
  masks = _load(trial, 2, 'masks')
  original = _load(trial, 2, 'initial')
  control = _load(trial, 2, 'initial', name=mode)
  assert (integrity.read_json(paths.config(paths.run(trial, 2, mode)))
          ['model']['layers'] == [40, 20])
  for name in PERCENTS:
    alive = masks[name] == 1
    np.testing.assert_array_equal(_load(trial, 2, 'masks', name=mode)[name], masks[name])
    assert np.all(control[name][~alive] == 0)
    assert not np.array_equal(control[name][alive], original[name][alive])
    if mode != 'reinit':
      assert set(np.abs(control[name][alive])) <= set(np.abs(original[name][alive]))
    if mode == 'reuse_sign':
      np.testing.assert_array_equal(np.sign(control[name][alive]),
                                    np.sign(original[name][alive]))


@pytest.mark.slow
def test_late_rewinding_resets_to_iteration_k(tmp_path):
  out = str(tmp_path / 'rewind')
  lottery_experiment.lottery_experiment(out, iterations=1, seed=4,
                                        rewind_iteration=100, **FAST)
  at_k = save_restore.restore_network(paths.rewind(paths.run(out, 0, 'same_init'), 100))
  level1 = _load(out, 1, 'initial')
  masks = _load(out, 1, 'masks')
  for name in PERCENTS:
    np.testing.assert_array_equal(level1[name], at_k[name] * masks[name])
  assert not np.array_equal(at_k['layer0'], _load(out, 0, 'initial')['layer0'])


def test_train_with_the_union_of_masks(trial, tmp_path):
  paths_ = [os.path.join(paths.run(trial, l, 'same_init'), 'masks') for l in (2, 3)]
  out = str(tmp_path / 'union')
  train.train(out, masks=paths_, seed=3, **FAST)
  used = save_restore.restore_network(paths.masks(out))
  m2 = _load(trial, 2, 'masks')
  for name in PERCENTS:  # level 3's masks lie inside level 2's
    np.testing.assert_array_equal(used[name], m2[name])


@pytest.mark.slow
def test_late_rewinding_continues_level_0_from_iteration_k(tmp_path):
  """OpenLTH's rewinding: later levels train k..T with the schedule and data
  order going on from k. With nothing pruned and plain SGD (no optimizer
  state), level 1 must therefore retrace level 0 from k to T exactly."""
  flags = dict(dataset='digits', layers=(12,), training_len='120it',
               test_interval=30, checkpoint_interval=0, save_summaries=False,
               optimizer='sgd', lr_schedule='cosine', rewind_iteration=60,
               # Rates that round to no weight of these layers (a rate of 0
               # with levels is refused: it prunes nothing).
               prune_percent=0.0005, prune_percent_output=0.0005)
  trial = str(tmp_path / 'continue')
  lottery_experiment.lottery_experiment(trial, iterations=1, **flags)
  level0 = _load(trial, 0, 'final')
  level1 = _load(trial, 1, 'final')
  for name in level0:
    np.testing.assert_array_equal(level0[name], level1[name])
  log = save_restore.read_log(paths.log(paths.run(trial, 1, 'same_init'), 'test'))
  assert [row['iteration'] for row in log] == [60, 90, 120]
  # Restarting (the earlier behaviour) trains T iterations from the rewound
  # weights, so it ends elsewhere.
  restart = str(tmp_path / 'restart')
  lottery_experiment.lottery_experiment(restart, iterations=1,
                                        rewind_schedule='restart', **flags)
  assert not np.array_equal(_load(restart, 1, 'final')['layer0'],
                            level0['layer0'])


@pytest.mark.slow
def test_random_pruning_resumed_draws_what_it_drew_uninterrupted(tmp_path):
  """A resumed trial reads its finished levels back and prunes the next one
  with that level's own seed (not the count of prunings this process made)."""
  flags = dict(FAST, training_len='20it', test_interval=10, pruning='random')
  whole = str(tmp_path / 'whole')
  lottery_experiment.lottery_experiment(whole, iterations=2, **flags)
  resumed = str(tmp_path / 'resumed')
  shutil.copytree(whole, resumed)
  shutil.rmtree(os.path.join(resumed, '2'))
  lottery_experiment.lottery_experiment(resumed, iterations=2, **flags)
  for name in ('layer0', 'layer1', 'layer2'):
    np.testing.assert_array_equal(
        np.load(os.path.join(resumed, '2', 'same_init', 'masks', name + '.npy')),
        np.load(os.path.join(whole, '2', 'same_init', 'masks', name + '.npy')))
