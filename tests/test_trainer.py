"""trainer.train: same result as a plain loop, records, resuming."""

import json
import os

import numpy as np
import pytest
import tensorflow.compat.v1 as tf

from lottery_ticket.foundations import evaluation
from lottery_ticket.foundations import graph_data
from lottery_ticket.foundations import model_fc
from lottery_ticket.foundations import paths
from lottery_ticket.foundations import save_restore
from lottery_ticket.foundations import trainer

HP = {'layers': [(16, 'relu'), (4, None)]}


def adam():
  return tf.train.AdamOptimizer(0.01)


def _train(dataset, output_dir=None, training_len=('iterations', 120), seed=1,
           optimizer=adam, presets=None, **options):
  with tf.Graph().as_default() as graph:
    tf.set_random_seed(seed)
    inputs, labels = dataset.placeholders()
    model = model_fc.ModelFc(HP, inputs, labels, presets=presets)
    with tf.Session(graph=graph) as sess:
      return trainer.train(sess, dataset, model, optimizer, training_len,
                           output_dir,
                           options=trainer.TrainOptions(batch_size=10,
                                                        **options))


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
  _train(tiny_dataset, out, test_interval=40, validate_interval=60,
         save_summaries=True)
  test = save_restore.read_log(paths.log(out, 'test'))
  validate = save_restore.read_log(paths.log(out, 'validate'))
  train = save_restore.read_log(paths.log(out, 'train'))
  assert [r['iteration'] for r in test] == [0, 40, 80, 120]
  assert [r['iteration'] for r in validate] == [0, 60, 120]
  assert [r['iteration'] for r in train] == [40, 80, 120]
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
