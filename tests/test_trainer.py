"""trainer.train on a pack of one: same result as a plain loop, records, resuming."""

import json
import os
import re

import numpy as np
import pytest
import tensorflow.compat.v1 as tf

import packed_testlib as lib

from lottery_ticket.foundations.training import evaluation
from lottery_ticket.foundations.training import graph_data
from lottery_ticket.foundations import model_fc
from lottery_ticket.foundations.training import objective
from lottery_ticket.foundations.storage import packed_checkpoints
from lottery_ticket.foundations.models import packed_model
from lottery_ticket.foundations import paths
from lottery_ticket.foundations.storage import progress as progress_lib
from lottery_ticket.foundations import save_restore
from lottery_ticket.foundations import trainer

HP = {'layers': [(16, 'relu'), (4, None)]}


def adam():
  return tf.train.AdamOptimizer(0.01)


def _train(dataset, output_dir=None, training_len=('iterations', 120), seed=1,
           optimizer=adam, presets=None, **params):
  """One network (a pack of one): its (initial, final) weights."""
  member = trainer.Member(output_dir, init_seed=seed, presets=presets)
  return lib.pack(dataset, HP, [member], optimizer, training_len,
                  **dict(dict(batch_size=10), **params))[0]


@pytest.mark.slow
def test_in_graph_loop_matches_one_run_per_step(tiny_dataset):
  initial, final = _train(tiny_dataset)
  with tf.Graph().as_default() as graph:
    tf.set_random_seed(1)
    inputs, labels = tiny_dataset.placeholders()
    model = model_fc.ModelFc(HP, inputs, labels)
    step = adam().minimize(model.loss, var_list=model.trainable_variables)
    with tf.Session(graph=graph) as sess:
      sess.run(tf.global_variables_initializer())
      start = model.get_current_weights(sess)
      for rows in tiny_dataset.train_order(0, 120, 10):
        sess.run(step, {inputs: tiny_dataset.train.images[rows],
                        labels: tiny_dataset.train.labels[rows]})
      expected = model.get_current_weights(sess)
  for name in final:
    np.testing.assert_array_equal(initial[name], start[name])
    np.testing.assert_allclose(final[name], expected[name], rtol=1e-5, atol=1e-6)


def test_records_follow_the_schedule(tiny_dataset, tmp_path):
  out = str(tmp_path / 'run')
  _train(tiny_dataset, out, training_len=('iterations', 110),
         test_interval=40, save_summaries=True)
  test = save_restore.read_log(paths.log(out, 'test'))
  validate = save_restore.read_log(paths.log(out, 'validate'))
  train = save_restore.read_log(paths.log(out, 'train'))
  assert [r['iteration'] for r in test] == [0, 40, 80, 110]
  assert [r['iteration'] for r in validate] == [0, 40, 80, 110]
  assert [r['iteration'] for r in train] == [40, 80, 110]
  assert all(0.0 <= r['accuracy'] <= 1.0 for r in test)
  assert test[-1]['accuracy'] > 0.7  # it learned the easy problem
  with open(paths.log(out, 'test')) as f:
    first = f.readline().strip().split(',')
  assert first[0::2] == ['iteration', 'loss', 'accuracy']
  metrics = json.load(open(paths.metrics(out)))
  assert metrics['test'][-1]['accuracy'] == pytest.approx(test[-1]['accuracy'])
  for name in ('initial', 'final', 'masks'):
    assert set(save_restore.restore_network(os.path.join(out, name)))
  assert os.listdir(paths.summaries(out))


@pytest.mark.slow
def test_resume_from_checkpoint_equals_uninterrupted(tiny_dataset, tmp_path):
  whole = str(tmp_path / 'whole')
  _, expected = _train(tiny_dataset, whole, ('iterations', 100),
                       test_interval=20, checkpoint_interval=40)
  # An interrupted run: stopped after its checkpoint at 40 (simulated by a
  # shorter run with the same checkpoints), then run again to the end.
  part = str(tmp_path / 'part')
  _train(tiny_dataset, part, ('iterations', 40), test_interval=20,
         checkpoint_interval=40)
  os.remove(paths.final(part) + '/layer0.npy')
  initial, resumed = _train(tiny_dataset, part, ('iterations', 100),
                            test_interval=20, checkpoint_interval=40, seed=99)
  for name in expected:
    np.testing.assert_array_equal(resumed[name], expected[name])
  test = save_restore.read_log(paths.log(part, 'test'))
  assert [r['iteration'] for r in test] == [0, 20, 40, 60, 80, 100]
  np.testing.assert_array_equal(
      initial['layer0'], save_restore.restore_network(paths.initial(whole))['layer0'])


def test_epochs_count_whole_batches(tiny_dataset, tmp_path):
  out = str(tmp_path / 'ep')
  _train(tiny_dataset, out, ('epochs', 2), test_interval=1000)
  test = save_restore.read_log(paths.log(out, 'test'))
  assert test[-1]['iteration'] == 2 * (450 // 10)


def test_chunked_evaluation_equals_whole(tiny_dataset):
  with tf.Graph().as_default() as graph:
    inputs, labels = tiny_dataset.placeholders()
    model = model_fc.ModelFc(HP, inputs, labels)
    data = graph_data.GraphData(tiny_dataset)
    images, labels_var, size = data.splits['test']
    whole = evaluation.split_metrics(model, images, labels_var, size, 1000)
    chunked = evaluation.split_metrics(model, images, labels_var, size, 33)
    with tf.Session(graph=graph) as sess:
      sess.run(tf.global_variables_initializer())
      data.initialize(sess)
      a, b = sess.run([whole, chunked])
      direct = sess.run([model.loss, model.accuracy],
                        {inputs: tiny_dataset.test.images,
                         labels: tiny_dataset.test.labels})
  assert a['accuracy'] == pytest.approx(b['accuracy'], abs=1e-6)
  assert a['loss'] == pytest.approx(b['loss'], rel=1e-5)
  assert a['loss'] == pytest.approx(direct[0], rel=1e-5)
  assert a['accuracy'] == pytest.approx(direct[1], abs=1e-6)


def test_a_bad_training_length_is_named(tiny_dataset):
  with pytest.raises(ValueError, match="'minutes' is neither iterations nor epochs"):
    _train(tiny_dataset, training_len=('minutes', 3))


@pytest.mark.slow
def test_background_evaluation_reports_the_weights_of_its_iteration(
    tiny_dataset, tmp_path):
  out = str(tmp_path / 'bg')
  _train(tiny_dataset, out, ('iterations', 120), test_interval=40,
         save_weights_at=[40, 80])
  test = {r['iteration']: r for r in save_restore.read_log(paths.log(out, 'test'))}
  for k in (40, 80):
    weights = save_restore.restore_network(paths.rewind(out, k))
    with tf.Graph().as_default() as graph:
      inputs, labels = tiny_dataset.placeholders()
      model = model_fc.ModelFc(HP, inputs, labels, presets=weights)
      with tf.Session(graph=graph) as sess:
        sess.run(tf.global_variables_initializer())
        loss, accuracy = sess.run([model.loss, model.accuracy],
                                  {inputs: tiny_dataset.test.images,
                                   labels: tiny_dataset.test.labels})
    assert test[k]['loss'] == pytest.approx(loss, rel=1e-5)
    assert test[k]['accuracy'] == pytest.approx(accuracy, abs=1e-6)


def test_a_progress_line_shows_the_accuracy_of_the_iteration_it_names(
    tiny_dataset, tmp_path, monkeypatch, capsys):
  monkeypatch.setattr(progress_lib, 'DEFAULT_MIN_SECONDS', 0.0)
  out = str(tmp_path / 'progress')
  _train(tiny_dataset, out, ('iterations', 300), test_interval=100,
         progress='level 0/8')
  lines = [l for l in capsys.readouterr().err.splitlines()
           if l.startswith('level 0/8 | iteration')]
  shown = {}
  for line in lines:
    match = re.match(r'level 0/8 \| iteration (\d+)/300 .*\| test acc ([0-9.]+)',
                     line)
    if match:
      shown[int(match.group(1))] = float(match.group(2))
  test = {r['iteration']: r['accuracy']
          for r in save_restore.read_log(paths.log(out, 'test'))}
  assert sorted(shown) == [0, 100, 200, 300]
  for iteration, accuracy in shown.items():
    assert accuracy == pytest.approx(test[iteration], abs=5e-5)
  assert test[100] != test[0]  # the check could tell them apart


def _sgd(rate):
  return lambda: tf.train.GradientDescentOptimizer(rate)


def test_a_diverging_run_stops_naming_the_iteration(tiny_dataset, tmp_path):
  out = str(tmp_path / 'diverged')
  with pytest.raises(trainer.NonFiniteError) as caught:
    _train(tiny_dataset, out, ('iterations', 200), optimizer=_sgd(1e6),
           test_interval=50, checkpoint_interval=50)
  message = str(caught.value)
  assert isinstance(caught.value, ValueError)
  assert re.search(r'at iteration \d+;', message), message
  assert 'learning rate' in message and '\n' not in message
  iteration = int(re.search(r'at iteration (\d+)', message).group(1))
  assert 1 <= iteration <= 50  # it diverges within the first chunk
  assert not os.path.exists(paths.final(out))  # nothing saved as finished
  assert not os.path.exists(paths.checkpoints(out))  # no NaN checkpoint
  assert json.load(open(paths.metrics(out)))['test'][0]['iteration'] == 0


def test_non_finite_presets_are_refused_by_name(tiny_dataset):
  presets = {'layer0': np.full((20, 16), np.nan, np.float32)}
  with pytest.raises(trainer.NonFiniteError,
                     match=r"preset 'layer0' holds 320 non-finite values"):
    _train(tiny_dataset, presets=presets)


def test_a_weight_becoming_infinite_is_caught_at_the_end_of_its_chunk(
    tiny_dataset):
  def blow_up(unused_index, network, unused_optimizer):
    def after_step(global_step):
      kernel = network.kernels['layer1']
      return tf.cond(tf.equal(global_step, 7),
                     lambda: kernel.assign(kernel.read_value() * np.inf).op,
                     tf.no_op)
    return trainer.Hooks(after_step=after_step)

  with pytest.raises(trainer.NonFiniteError, match='at iteration'):
    _train(tiny_dataset, training_len=('iterations', 20), build_hooks=blow_up)


@pytest.mark.parametrize('params, message', [
    ({'test_interval': 0}, '--test_interval=0'),
    ({'checkpoint_interval': -5}, '--checkpoint_interval=-5'),
    ({'batch_size': 2.5}, '--batch_size=2.5'),
    ({'weight_decay': float('nan')}, '--weight_decay=nan'),
    ({'save_weights_at': [10, -1]}, 'save_weights_at must be a whole number'),
    ({'save_weights_at': '100'}, 'save_weights_at must be a list'),
    ({'first_iteration': 1.5}, 'first_iteration must be a whole number'),
    ({'keep_checkpoints': -1}, 'keep_checkpoints must be a whole number'),
    ({'eval_chunk_size': 0}, 'eval_chunk_size must be a whole number >= 1'),
    ({'progress': 3}, 'progress must be a label'),
])
def test_bad_arguments_are_refused_by_name(tiny_dataset, params, message):
  with pytest.raises(ValueError, match=re.escape(message)):
    _train(tiny_dataset, training_len=('iterations', 5), **params)


def test_hooks_are_built_with_the_optimizer_the_trainer_created(
    tiny_dataset, tmp_path):
  made, seen, calls = [], [], []

  def optimizer_fn():
    made.append(tf.train.MomentumOptimizer(0.05, 0.9))
    return made[-1]

  def build_hooks(index, network, optimizer):
    assert index == 0
    seen.append(optimizer)
    momentum = packed_model.slot(optimizer, network.kernels['layer0'],
                                 'momentum')
    return trainer.Hooks(
        extra_metrics={'momentum_norm': tf.norm(momentum)},
        on_start=lambda sess: calls.append('start'),
        on_record=lambda sess, iteration, recorder: calls.append(iteration))

  out = str(tmp_path / 'hooks')
  _train(tiny_dataset, out, ('iterations', 40), optimizer=optimizer_fn,
         test_interval=20, build_hooks=build_hooks)
  assert len(made) == 1 and seen == made
  assert calls == ['start', 0, 20, 40]
  extra = json.load(open(paths.metrics(out)))['extra']
  assert [r['iteration'] for r in extra] == [0, 20, 40]
  assert extra[0]['momentum_norm'] == 0.0 < extra[-1]['momentum_norm']


def test_training_must_have_the_trainer_settings(tiny_dataset):
  with pytest.raises(TypeError, match='lacks .*batch_size'):
    trainer.train(tiny_dataset, HP, [trainer.Member()], adam,
                  ('iterations', 5), training={'batch_size': 10})


def _fabricate_leftovers(run):
  """What kills at unlucky moments leave in a run directory."""
  checkpoints = paths.checkpoints(run)
  directories = [
      os.path.join(run, '.tmp-final-77aa01bc'),            # a staging directory
      os.path.join(run, '.tmp-old-1234abcd'),              # a replaced network
      os.path.join(run, 'weights_at', '.tmp-40-deadbeef'),
      os.path.join(checkpoints, 'model-80_temp'),          # Saver's staging dir
  ]
  files = [
      os.path.join(run, '.tmp-5f3a9c1e'),                  # half a metrics.json
      os.path.join(checkpoints, 'model-80.data-00000-of-00001.tempstate1234'),
      os.path.join(checkpoints, 'model-80.meta.tmp0a1b2c3d4e5f'),
      os.path.join(checkpoints, 'checkpoint.tmp9f8e7d6c5b4a'),
      os.path.join(checkpoints, 'records-60.json'),        # no model-60 saved
      os.path.join(checkpoints, 'model-60.index'),         # no hashes-60 saved
  ]
  for path in directories:
    os.makedirs(path)
    files.append(os.path.join(path, 'part'))
  for path in files:
    with open(path, 'w') as f:
      f.write('x')
  return directories + files


@pytest.mark.slow
def test_a_resumed_run_leaves_no_temporaries(tiny_dataset, tmp_path):
  part = str(tmp_path / 'part')
  _train(tiny_dataset, part, ('iterations', 40), test_interval=20,
         checkpoint_interval=40, save_weights_at=[40])
  leftovers = _fabricate_leftovers(part)
  _, resumed = _train(tiny_dataset, part, ('iterations', 100),
                      test_interval=20, checkpoint_interval=40,
                      save_weights_at=[40])
  for path in leftovers:
    assert not os.path.exists(path), path
  everything = [os.path.join(root, name) for root, dirs, files in os.walk(part)
                for name in dirs + files]
  assert not [p for p in everything if 'tmp' in os.path.basename(p) or
              'tempstate' in p or p.endswith('_temp')]
  assert sorted(os.listdir(paths.checkpoints(part))) == [
      'checkpoint', 'hashes-100.json', 'hashes-80.json',
      'model-100.data-00000-of-00001', 'model-100.index',
      'model-80.data-00000-of-00001', 'model-80.index', 'records-100.json',
      'records-80.json']  # the records of deleted checkpoints go with them
  whole = str(tmp_path / 'whole')
  _, expected = _train(tiny_dataset, whole, ('iterations', 100),
                       test_interval=20, checkpoint_interval=40,
                       save_weights_at=[40])
  for name in expected:
    np.testing.assert_array_equal(resumed[name], expected[name])


@pytest.mark.slow
def test_a_full_disk_at_a_checkpoint_is_one_line_and_the_run_resumes(
    tiny_dataset, tmp_path, monkeypatch):
  real_write = packed_checkpoints.PackedCheckpoints.write

  def full_disk_after_40(self, sess, index, prefix):
    if int(prefix.rsplit('-', 1)[1]) > 40:
      raise tf.errors.ResourceExhaustedError(
          None, None, 'model-80.data-00000-of-00001.tempstate1; No space left '
          'on device\n\t [[{{node save/SaveV2}}]]')
    return real_write(self, sess, index, prefix)

  out = str(tmp_path / 'full')
  monkeypatch.setattr(packed_checkpoints.PackedCheckpoints, 'write',
                      full_disk_after_40)
  with pytest.raises(save_restore.WriteError) as caught:
    _train(tiny_dataset, out, ('iterations', 120), test_interval=20,
           checkpoint_interval=40)
  assert str(caught.value) == (
      'cannot write {}: no space left on device; free some space and run the '
      'same command again to resume'.format(
          os.path.join(paths.checkpoints(out), 'model-80')))
  assert isinstance(caught.value, OSError)
  monkeypatch.undo()  # space freed
  _, resumed = _train(tiny_dataset, out, ('iterations', 120), test_interval=20,
                      checkpoint_interval=40)
  _, expected = _train(tiny_dataset, str(tmp_path / 'whole'),
                       ('iterations', 120), test_interval=20,
                       checkpoint_interval=40)
  for name in expected:
    np.testing.assert_array_equal(resumed[name], expected[name])
  test = save_restore.read_log(paths.log(out, 'test'))
  assert [r['iteration'] for r in test] == [0, 20, 40, 60, 80, 100, 120]


def test_per_network_sums_of_squares_are_exact_trees_independent_of_n():
  rng = np.random.default_rng(3)
  grads = [rng.normal(size=(3, 70, 50)).astype(np.float32),
           rng.normal(size=(3, 9)).astype(np.float32)]
  with tf.Graph().as_default():
    packed = objective.sums_of_squares([tf.constant(g) for g in grads])
    alone = objective.sums_of_squares([tf.constant(g[1:2]) for g in grads])
    with tf.Session() as sess:
      packed, alone = sess.run([packed, alone])
  expected = [sum(float(np.sum(g[i].astype(np.float64) ** 2)) for g in grads)
              for i in range(3)]
  np.testing.assert_allclose(packed, expected, rtol=1e-5)
  assert packed[1] == alone[0]  # bit for bit, whatever the pack
