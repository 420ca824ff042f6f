"""Sparsity, drop-fraction and learning-rate schedules, and optimizers."""

import math

import numpy as np
import pytest
import tensorflow.compat.v1 as tf

from lottery_ticket.foundations.training import optimizers
from lottery_ticket.foundations.training import schedules
from lottery_ticket.foundations.training import train_options
from lottery_ticket.foundations import trainer

import sparse_testlib


def test_polynomial_schedule_follows_zhu_and_gupta():
  schedule = schedules.SparsitySchedule('polynomial', 0.9, 100, 500,
                                        frequency=100, initial_sparsity=0.1)
  assert schedule.update_steps() == [100, 200, 300, 400, 500]
  assert schedule.target(100) == pytest.approx(0.1)
  assert schedule.target(300) == pytest.approx(0.9 - 0.8 * 0.5 ** 3)
  assert schedule.target(500) == pytest.approx(0.9)
  assert schedule.target(9999) == pytest.approx(0.9)
  # Between updates the mask keeps the sparsity of the last update.
  assert schedule.sparsity_at(99) == 0.0
  assert schedule.sparsity_at(250) == pytest.approx(schedule.target(200))
  assert schedule.sparsity_at(700) == pytest.approx(0.9)


def test_polynomial_schedule_reaches_the_end_step_off_the_grid():
  schedule = schedules.SparsitySchedule('polynomial', 0.5, 10, 45, frequency=10)
  assert schedule.update_steps() == [10, 20, 30, 40, 45]
  assert schedule.sparsity_at(45) == pytest.approx(0.5)


def test_constant_schedule_prunes_once():
  schedule = schedules.SparsitySchedule('constant', 0.8, 50)
  assert schedule.update_steps() == [50]
  assert schedule.sparsity_at(49) == 0.0
  assert schedule.sparsity_at(50) == pytest.approx(0.8)


@pytest.mark.parametrize('kwargs, message', [
    (dict(begin_step=100, end_step=50), 'must come after'),
    (dict(begin_step=100, end_step=100), 'must come after'),
    (dict(begin_step=-1, end_step=50), '>= 0'),
    (dict(begin_step=0, end_step=50, frequency=0), 'prune_frequency'),
])
def test_inconsistent_schedule_steps_are_rejected(kwargs, message):
  with pytest.raises(ValueError, match=message):
    schedules.SparsitySchedule('polynomial', 0.9, **kwargs)


def test_schedule_must_fit_in_training():
  schedule = schedules.SparsitySchedule('polynomial', 0.9, 10, 500)
  schedule.check_fits(500)
  with pytest.raises(ValueError, match='only 400 steps'):
    schedule.check_fits(400)


def test_update_steps_are_periodic_and_stop():
  assert schedules.update_steps(100, 350, 1000) == [100, 200, 300]
  assert schedules.update_steps(100, 1000, 250) == [100, 200]
  with pytest.raises(ValueError, match='update_freq'):
    schedules.update_steps(0, 100, 100)


def test_drop_fraction_and_learning_rate_schedules():
  graph = tf.Graph()
  with graph.as_default():
    step = tf.placeholder(tf.int64, [])
    lr = schedules.learning_rate_fn(0.2, 'cosine', 1000)
    cosine = schedules.drop_fraction_fn('cosine', 0.3, 500)(step)
    constant = schedules.drop_fraction_fn('constant', 0.3, 500)(step)
    scaled = schedules.drop_fraction_fn('lr', 0.3, 500, lr)(step)
    rate = lr(step)
    with tf.Session() as sess:
      for value in (0, 250, 500, 1000):
        got = sess.run([cosine, constant, scaled, rate], {step: value})
        expected_rate = schedules.learning_rate_np(0.2, 'cosine', 1000, value)
        np.testing.assert_allclose(got, [
            schedules.learning_rate_np(0.3, 'cosine', 500, value), 0.3,
            0.3 * expected_rate / 0.2, expected_rate], atol=1e-6)
  assert schedules.learning_rate_np(1.0, 'cosine', 100, 50) == pytest.approx(
      0.5)
  assert schedules.learning_rate_np(1.0, 'cosine', 100, 0) == 1.0
  assert abs(schedules.learning_rate_np(1.0, 'cosine', 100, 100)) < 1e-12
  with pytest.raises(ValueError, match='drop_fraction'):
    schedules.drop_fraction_fn('constant', 1.5, 10)
  with pytest.raises(ValueError, match="No such drop-fraction schedule: 'x'"):
    schedules.drop_fraction_fn('x', 0.3, 10)


def _train_weights(chunked):
  """Momentum with a cosine rate, in one session.run (evaluated only at
  the first and the last step) or one run per step."""
  fn = optimizers.optimizer_fn('momentum', 0.5, schedule='cosine',
                               total_steps=12)
  (_, final), = trainer.train(
      sparse_testlib.digits(), {'layers': sparse_testlib.LAYERS},
      [trainer.Member(init_seed=1)], fn, ('iterations', 12),
      train_options.options(batch_size=16, test_interval=1 if chunked else 12,
                            checkpoint_interval=0, save_summaries=False),
      save_network=False)
  return final


@pytest.mark.slow
def test_scheduled_learning_rate_advances_inside_the_loop():
  # If the rate were read once per session.run, a single 12-step run would
  # use the step-0 rate throughout and end elsewhere.
  whole, steps = _train_weights(False), _train_weights(True)
  for name in whole:
    np.testing.assert_array_equal(whole[name], steps[name])


def test_optimizers_by_name():
  graph = tf.Graph()
  with graph.as_default():
    names = {n: type(optimizers.make_optimizer(n, 0.1)).__name__
             for n in optimizers.NAMES}
  assert names == {'sgd': 'GradientDescentOptimizer',
                   'momentum': 'MomentumOptimizer', 'adam': 'AdamOptimizer',
                   'rmsprop': 'RMSPropOptimizer'}
  with pytest.raises(ValueError, match="No such optimizer: 'lamb'"):
    optimizers.check_name('lamb')
  assert math.isclose(optimizers.DEFAULT_LEARNING_RATES['adam'], 1.2e-3)
