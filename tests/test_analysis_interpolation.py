"""Tests of interpolation between saved networks and of instability analysis."""

import json
import os
import sys

import numpy as np
import pytest

import analysis_support as support
from lottery_ticket import command_line
from lottery_ticket.analysis import instability as instability_lib
from lottery_ticket.foundations.storage import integrity
from lottery_ticket.analysis import interpolation
from lottery_ticket.analysis import network_source
from lottery_ticket.foundations import paths
from lottery_ticket.foundations import save_restore


def _final_test(run_dir):
  return integrity.read_json(paths.metrics(run_dir))['test'][-1]


def test_alpha_grid_has_exact_end_points():
  grid = interpolation.alpha_grid()
  assert grid.size == 29
  assert grid[0] == -0.2 and grid[-1] == 1.2
  assert 0.0 in grid.tolist() and 1.0 in grid.tolist()
  assert np.allclose(np.diff(grid), 0.05)
  with pytest.raises(ValueError, match='num_points'):
    interpolation.alpha_grid(num_points=1)


def test_weights_at_masks_kernels_but_not_biases():
  start = {'layer0': np.ones((2, 2), np.float32),
           'layer0_bias': np.zeros(2, np.float32)}
  end = {'layer0': 3 * np.ones((2, 2), np.float32),
         'layer0_bias': np.ones(2, np.float32)}
  masks = {'layer0': np.array([[1, 0], [0, 1]], np.float32)}
  middle = interpolation.weights_at(start, end, 0.5, masks)
  np.testing.assert_array_equal(middle['layer0'], [[2, 0], [0, 2]])
  np.testing.assert_array_equal(middle['layer0_bias'], [0.5, 0.5])
  np.testing.assert_array_equal(
      interpolation.weights_at(start, end, 0.0)['layer0'], start['layer0'])


@pytest.mark.slow
def test_end_points_reproduce_the_recorded_metrics():
  trial = paths.trial(support.lottery_tree(), 0)
  lottery = paths.run(trial, 1, 'same_init')
  control = paths.run(trial, 1, 'reinit')
  dense = paths.run(trial, 0, 'same_init')
  # Same mask at both ends: the start's mask leaves the end network intact.
  for start, end, mask in ((lottery, control, 'start'), (lottery, dense, 'none')):
    item = interpolation.curve(network_source.load(start),
                               network_source.load(end), 'test', mask)
    for alpha, run_dir in ((0.0, start), (1.0, end)):
      index = item['alpha'].index(alpha)
      recorded = _final_test(run_dir)
      assert item['accuracy'][index] == pytest.approx(recorded['accuracy'],
                                                      abs=1e-7)
      assert item['loss'][index] == pytest.approx(recorded['loss'], rel=1e-6)


def test_interpolate_writes_curves_and_plot(tmp_path):
  trial = paths.trial(support.lottery_tree(), 0)
  results = interpolation.interpolate(
      '{},{}'.format(paths.run(trial, 1, 'same_init'),
                     paths.run(trial, 1, 'reinit')),
      paths.run(trial, 0, 'same_init'), str(tmp_path), name='paths',
      labels='lottery,reinit', split='train', num_points=8, quiet=True)
  assert [r['label'] for r in results] == ['lottery', 'reinit']
  assert all(len(r['loss']) == 8 and r['split'] == 'train' for r in results)
  with open(str(tmp_path / 'paths.json')) as f:
    assert json.load(f)[1]['label'] == 'reinit'
  with open(str(tmp_path / 'paths.csv')) as f:
    lines = f.read().splitlines()
  assert lines[0] == 'label,alpha,loss,accuracy' and len(lines) == 17
  assert os.path.getsize(str(tmp_path / 'paths.png')) > 0


def test_incompatible_end_points_fail_in_one_line(tmp_path, monkeypatch, capsys):
  small, large = str(tmp_path / 'small'), str(tmp_path / 'large')
  support.fake_run(small, layers=(4,))
  support.fake_run(large, layers=(5,))
  with pytest.raises(ValueError, match='incompatible end points'):
    interpolation.curve(network_source.load(small), network_source.load(large))
  monkeypatch.setattr(sys, 'argv', [
      'interpolation', '--start={}'.format(small), '--end={}'.format(large),
      '--output_dir={}'.format(tmp_path / 'out')])
  with pytest.raises(SystemExit) as exit_info:
    command_line.run(interpolation.RUNNER)
  assert exit_info.value.code == 2
  error = capsys.readouterr().err.strip()
  assert error.startswith('analysis.interpolation: error: incompatible end')
  assert len(error.splitlines()) == 1
  with pytest.raises(ValueError, match='No such mask choice'):
    interpolation.interpolate(small, small, str(tmp_path), mask='both')


@pytest.mark.slow
def test_instability_from_initialisation_and_from_iteration_k(tmp_path):
  run_dir = paths.run(paths.trial(support.lottery_tree(), 0), 1, 'same_init')
  output_dir = str(tmp_path / 'instability')
  results = instability_lib.instability(
      run_dir, output_dir, rewind_iterations='0,100', num_points=6,
      quiet=True, test_interval=100)
  assert [r['rewind'] for r in results] == [0, 100]
  for result in results:
    errors = np.asarray(result['curve']['error'])
    assert result['instability'] == pytest.approx(
        errors.max() - (errors[0] + errors[-1]) / 2)
    assert result['instability'] >= -1e-12
    # The two copies really are different networks (different data orders).
    first, second = (save_restore.restore_network(paths.final(d))
                     for d in result['copies'])
    assert not np.array_equal(first['layer0'], second['layer0'])
  # The copies from k = 100 train the remaining iterations 100..200.
  copy = results[1]['copies'][0]
  tests = integrity.read_json(paths.metrics(copy))['test']
  assert (tests[0]['iteration'], tests[-1]['iteration']) == (100, 200)
  parent = os.path.join(output_dir, 'k100', 'parent')
  assert integrity.read_json(paths.metrics(parent))['test'][-1][
      'iteration'] == 100
  for name in ('instability.json', 'instability.csv', 'instability.png'):
    assert os.path.getsize(os.path.join(output_dir, name)) > 0
  with pytest.raises(ValueError, match='outside the run'):
    instability_lib.instability(run_dir, output_dir, rewind_iterations=[200],
                                quiet=True)


@pytest.mark.slow
def test_instability_of_a_lenet5_preset_run_replays_its_recipe(tmp_path):
  """A sparse run's network (VALID padding), optimizer, weight decay and
  cosine schedule carry over to the copies, the schedule continued from k."""
  from lottery_ticket.mnist_fc import sparse_train  # pylint: disable=g-import-not-at-top
  rng = np.random.default_rng(0)
  data = str(tmp_path / 'mnist_like.npz')
  np.savez(data, x_train=rng.integers(0, 256, (256, 28, 28), dtype=np.uint8),
           y_train=rng.integers(0, 10, 256), x_test=rng.integers(
               0, 256, (64, 28, 28), dtype=np.uint8),
           y_test=rng.integers(0, 10, 64))
  run_dir = str(tmp_path / 'rigl')
  sparse_train.sparse_train(
      run_dir, preset='lenet5', method='rigl', mask_from='random',
      data_location=data,
      training_len='20it', batch_size=32, update_freq=10, test_interval=10,
      checkpoint_interval=10, grad_batch_size=64, save_summaries=False)
  output_dir = str(tmp_path / 'instability')
  results = instability_lib.instability(run_dir, output_dir,
                                        rewind_iterations='0,10', num_points=3,
                                        quiet=True, plot=False)
  assert [r['rewind'] for r in results] == [0, 10]
  copy = integrity.read_json(paths.config(results[1]['copies'][0]))
  assert copy['model']['conv_padding'] == 'VALID'
  assert copy['training']['lr_schedule'] == 'cosine'
  assert copy['training']['weight_decay'] == 1e-3
  assert copy['training']['optimizer'] == 'momentum'
  assert copy['training']['training_len'] == '20it'
  assert copy['details']['first_iteration'] == 10
  log = save_restore.read_log(paths.log(results[1]['copies'][0], 'test'))
  assert [row['iteration'] for row in log] == [10, 20]


def test_interpolation_evaluates_the_training_set_by_default(tmp_path):
  import sparse_testlib  # pylint: disable=g-import-not-at-top
  start_dir, end_dir = str(tmp_path / 'start'), str(tmp_path / 'end')
  start, _ = support.fake_run(start_dir, layers=(12,), seed=1)
  end, _ = support.fake_run(end_dir, layers=(12,), seed=2)
  item = interpolation.curve(network_source.load(start_dir),
                             network_source.load(end_dir), mask='none',
                             alphas=[0.0, 0.5])
  assert item['split'] == 'train'
  train = network_source.load(start_dir).run_config.make_dataset().train
  assert train.num_examples == 1200
  for alpha, accuracy, loss in zip(item['alpha'], item['accuracy'],
                                   item['loss']):
    weights = {k: (1 - alpha) * start[k].astype(np.float64) +
                  alpha * end[k].astype(np.float64) for k in start}
    hidden = np.maximum(train.images @ weights['layer0'] +
                        weights['layer0_bias'], 0)
    logits = hidden @ weights['layer1'] + weights['layer1_bias']
    assert accuracy == pytest.approx(
        np.mean(np.argmax(logits, 1) == train.labels), abs=1e-6)
    assert loss == pytest.approx(sparse_testlib.np_loss_and_grads(
        weights, train.images, train.labels)[0], rel=1e-5)


def test_interpolation_names_stay_inside_the_output_directory(tmp_path):
  for name in ('/abs/path', '../x', '', 'a/b'):
    with pytest.raises(ValueError, match='must be a plain name'):
      interpolation.interpolate('/nowhere', '/nowhere', str(tmp_path / 'o'),
                                name=name)
  assert not (tmp_path / 'o').exists()
