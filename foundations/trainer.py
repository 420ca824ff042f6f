"""train(): the training loop, its evaluation schedule and its records.

The hot loop stays in the graph. The dataset is copied into graph variables
once; a `tf.while_loop` runs many optimizer steps per `session.run`, each
gathering its batch by indices that Python computes once per chunk of steps
(the order is a pure function of the dataset's seed and the step). Python
comes back only at the points where something is recorded, checkpointed or
saved. Evaluation reads whole splits already in the graph, from a snapshot
of the weights, in a background thread while training goes on
(background_evaluation.py).

A killed run resumes: with `checkpoint_interval`, all model and optimizer
variables are checkpointed together with the records so far, and a re-run
with the same output directory continues from the latest checkpoint and ends
with the same weights as an uninterrupted run.
"""

import os

import tensorflow.compat.v1 as tf

from lottery_ticket.foundations import background_evaluation
from lottery_ticket.foundations import durations
from lottery_ticket.foundations import graph_data
from lottery_ticket.foundations import graph_mode  # pylint: disable=unused-import
from lottery_ticket.foundations import paths
from lottery_ticket.foundations import progress as progress_lib
from lottery_ticket.foundations import records as records_lib
from lottery_ticket.foundations import save_restore

DEFAULT_BATCH_SIZE = 60
MAX_CHUNK = 1000  # steps per session.run at most, so progress keeps flowing

_KNOWN_PARAMS = frozenset([
    'batch_size', 'test_interval', 'validate_interval', 'train_interval',
    'save_summaries', 'save_network', 'checkpoint_interval', 'save_weights_at',
    'weight_decay', 'clip_norm', 'clip_value', 'progress', 'eval_chunk_size',
    'after_step', 'extra_metrics', 'on_record', 'on_start', 'keep_checkpoints',
])


def build_train_loop(model, data, optimizer, global_step, batch_size,
                     weight_decay=0.0, clip_norm=None, clip_value=None,
                     after_step=None):
  """The in-graph loop that runs one optimizer step per row of `indices`.

  Args:
    model: a ModelBase (its variables already exist).
    data: GraphData.
    optimizer: a tf.compat.v1.train.Optimizer.
    global_step: the int64 step variable, incremented by every step.
    batch_size: examples per step.
    weight_decay: L2 coefficient on the kernels (0.5 * wd * sum w^2).
    clip_norm / clip_value: optional gradient clipping (global norm / value).
    after_step: optional callable(global_step) -> op, built into every step
      after the update (e.g. a mask update under tf.cond).

  Returns:
    (indices placeholder [num_steps, batch_size], op giving the mean training
    batch loss and accuracy over the steps run).
  """
  indices = tf.placeholder(tf.int32, [None, batch_size], name='batch_indices')
  num_steps = tf.shape(indices)[0]
  variables = model.trainable_variables

  def body(step, loss_sum, accuracy_sum):
    # Reads of the weights depend on the loop counter, which the previous
    # step's update produced: each step sees the weights the last one wrote.
    with tf.control_dependencies([step]):
      images, labels = data.train_batch(tf.gather(indices, step))
      logits = model.apply(images)
      loss = model.loss_fn(labels, logits)
      accuracy = model.accuracy_fn(labels, logits)
      objective = loss
      if weight_decay:
        objective += weight_decay * tf.add_n(
            [tf.nn.l2_loss(w) for w in model.kernels.values()])
      grads = tf.gradients(objective, variables)
      if clip_norm:
        grads, _ = tf.clip_by_global_norm(grads, clip_norm)
      if clip_value:
        grads = [tf.clip_by_value(g, -clip_value, clip_value) for g in grads]
      update = optimizer.apply_gradients(zip(grads, variables),
                                         global_step=global_step)
      finished = [update]
      if after_step is not None:
        with tf.control_dependencies([update]):
          extra = after_step(global_step)
        if extra is not None:
          finished.append(extra)
      with tf.control_dependencies(finished):
        return step + 1, loss_sum + loss, accuracy_sum + accuracy

  _, loss_sum, accuracy_sum = tf.while_loop(
      lambda step, *_: step < num_steps, body,
      (tf.constant(0), tf.constant(0.0), tf.constant(0.0)),
      parallel_iterations=1)
  count = tf.maximum(tf.cast(num_steps, tf.float32), 1.0)
  return indices, {'loss': loss_sum / count, 'accuracy': accuracy_sum / count}


def _create_optimizer_state(model, optimizer):
  """Creates the optimizer's slots outside the loop (they hold state)."""
  grads = [tf.zeros_like(v) for v in model.trainable_variables]
  optimizer.apply_gradients(zip(grads, model.trainable_variables))


def _boundaries(total, params):
  """The iterations at which training stops to record or save something."""
  points = {total}
  for key in ('test_interval', 'validate_interval', 'train_interval',
              'checkpoint_interval'):
    interval = params.get(key)
    if interval:
      points.update(range(int(interval), total + 1, int(interval)))
  points.update(int(k) for k in params.get('save_weights_at') or ()
                if 0 < int(k) <= total)
  return sorted(points)


def _due(iteration, interval, total):
  return bool(interval) and (iteration % int(interval) == 0 or
                             iteration == total)


def _initialize(sess, data):
  """Initialises every variable not yet initialised, and the data."""
  variables = tf.global_variables()
  if variables:
    flags = sess.run(tf.report_uninitialized_variables(variables))
    names = {f.decode() for f in flags}
    sess.run(tf.variables_initializer(
        [v for v in variables if v.op.name in names]))
  data.initialize(sess)


def train(sess, dataset, model, optimizer_fn, training_len, output_dir,
          **params):
  """Trains `model` on `dataset`, recording and saving as it goes.

  Args:
    sess: a tf.compat.v1.Session whose graph holds `model`.
    dataset: a DatasetBase.
    model: a ModelBase built in sess.graph.
    optimizer_fn: callable returning a tf.compat.v1.train.Optimizer; the
      global step exists when it is called (for learning-rate schedules).
    training_len: ('iterations', N) or ('epochs', N) (see durations.parse).
    output_dir: where records, weights and checkpoints go (None: nowhere).
    **params:
      batch_size: examples per step (default 60).
      test_interval / validate_interval: evaluate every N iterations (and at
        iterations 0 and the last); validate_interval defaults to
        test_interval when the dataset has a validation split.
      train_interval: record the mean training batch loss and accuracy over
        the last steps every N iterations (default test_interval, else the end).
      save_summaries: also write TensorBoard scalars.
      save_network: save initial/ and final/ weights and masks/ (default True).
      checkpoint_interval: checkpoint every N iterations; a re-run resumes.
      save_weights_at: iterations at which to save the weights (rewinding).
      weight_decay, clip_norm, clip_value: see build_train_loop.
      progress: label of the console progress lines (None: silent).
      eval_chunk_size: largest evaluation chunk (default 10,000).
      after_step: see build_train_loop.
      extra_metrics: callable() -> dict name -> tensor, evaluated and
        recorded under split 'extra' at every test point.
      on_record: callable(sess, iteration, recorder) called at every record
        point (for measurements that need several runs).
      on_start: callable(sess) called once the variables are initialised or
        restored, before the first evaluation (e.g. to fill local variables).
      keep_checkpoints: how many checkpoints to keep (default 2; 0 keeps all).

  Returns:
    (initial_weights, final_weights): dicts of effective kernels and biases.

  Raises:
    ValueError: for unknown params, a bad training length or batch size.
  """
  unknown = sorted(set(params) - _KNOWN_PARAMS)
  if unknown:
    raise ValueError('Unknown training parameter(s): {}'.format(', '.join(unknown)))
  batch_size = int(params.get('batch_size') or DEFAULT_BATCH_SIZE)
  total = durations.to_iterations(training_len,
                                  dataset.steps_per_epoch(batch_size))
  test_interval = params.get('test_interval')
  validate_interval = params.get('validate_interval', test_interval)
  train_interval = params.get('train_interval') or test_interval or total
  checkpoint_interval = params.get('checkpoint_interval')
  save_network = params.get('save_network', True) and output_dir
  save_weights_at = sorted(int(k) for k in params.get('save_weights_at') or ())

  with sess.graph.as_default():
    data = graph_data.GraphData(dataset)
    global_step = tf.train.get_or_create_global_step()
    optimizer = optimizer_fn()
    _create_optimizer_state(model, optimizer)
    indices, train_metrics = build_train_loop(
        model, data, optimizer, global_step, batch_size,
        weight_decay=params.get('weight_decay') or 0.0,
        clip_norm=params.get('clip_norm'), clip_value=params.get('clip_value'),
        after_step=params.get('after_step'))
    evaluator = background_evaluation.BackgroundEvaluator(
        model, data, params.get('eval_chunk_size') or 10000)
    extra_metrics = (params['extra_metrics']() if params.get('extra_metrics')
                     else {})
    saver = (tf.train.Saver(max_to_keep=params.get('keep_checkpoints', 2))
             if output_dir and checkpoint_interval else None)
    _initialize(sess, data)
    sess.run(evaluator.initializer)

  recorder = records_lib.Recorder(output_dir, params.get('save_summaries'))
  start = _maybe_resume(sess, saver, output_dir, recorder)
  if params.get('on_start'):
    params['on_start'](sess)
  if start == 0:
    initial_weights = model.get_current_weights(sess)
    if save_network:
      save_restore.save_network(paths.initial(output_dir), initial_weights)
  else:
    initial_weights = save_restore.restore_network(paths.initial(output_dir))

  progress = (progress_lib.Progress(params['progress'], total, start)
              if params.get('progress') else None)

  def record_evaluation():
    """Records the background evaluation, waiting for it if it still runs."""
    done = evaluator.collect()
    if done is not None:
      for split, values in done[1].items():
        recorder.add(split, done[0], values)

  def evaluate(iteration):
    """Starts the evaluations due at `iteration`; measures what must be now."""
    record_evaluation()
    if extra_metrics and _due(iteration, test_interval, total):
      recorder.add('extra', iteration, sess.run(extra_metrics))
    if params.get('on_record'):
      params['on_record'](sess, iteration, recorder)
    due = {'test': test_interval, 'validate': validate_interval}
    evaluator.start(sess, iteration, [split for split in evaluator.metrics
                                      if _due(iteration, due[split], total)])

  if start == 0:
    evaluate(0)
    if 0 in save_weights_at and output_dir:
      save_restore.save_network(paths.rewind(output_dir, 0), initial_weights)

  iteration = start
  for boundary in _boundaries(total, params):
    if boundary <= iteration:
      continue
    while iteration < boundary:
      steps = min(boundary - iteration, MAX_CHUNK)
      order = dataset.train_order(iteration, steps, batch_size)
      batch_metrics = sess.run(train_metrics, {indices: order})
      iteration += steps
      if progress and iteration < boundary:
        progress.update(iteration, {'test acc': recorder.latest('test', 'accuracy')})
    if _due(iteration, train_interval, total):
      recorder.add('train', iteration, batch_metrics)
    evaluate(iteration)
    if progress:
      progress.update(iteration, {'test acc': recorder.latest('test', 'accuracy')})
    if iteration in save_weights_at and output_dir:
      save_restore.save_network(paths.rewind(output_dir, iteration),
                                model.get_current_weights(sess))
    if saver is not None and _due(iteration, checkpoint_interval, total):
      record_evaluation()
      _checkpoint(sess, saver, output_dir, recorder, iteration)

  record_evaluation()
  final_weights = model.get_current_weights(sess)
  if progress:
    progress.update(total, {'test acc': recorder.latest('test', 'accuracy')},
                    force=True)
  if save_network:
    save_restore.save_network(paths.final(output_dir), final_weights)
    save_restore.save_network(paths.masks(output_dir),
                              model.get_current_masks(sess))
  recorder.write()
  recorder.close()
  return initial_weights, final_weights


def _checkpoint(sess, saver, output_dir, recorder, iteration):
  """Saves variables and records; the checkpoint index is written last."""
  directory = paths.checkpoints(output_dir)
  os.makedirs(directory, exist_ok=True)
  save_restore.write_json(os.path.join(directory, 'records-{}.json'.format(
      iteration)), recorder.records)
  saver.save(sess, os.path.join(directory, 'model'), global_step=iteration)
  recorder.write()


def _maybe_resume(sess, saver, output_dir, recorder):
  """Restores the latest checkpoint if there is one; returns its iteration."""
  if saver is None:
    return 0
  latest = tf.train.latest_checkpoint(paths.checkpoints(output_dir))
  if not latest:
    return 0
  iteration = int(latest.rsplit('-', 1)[1])
  records_path = os.path.join(paths.checkpoints(output_dir),
                              'records-{}.json'.format(iteration))
  if not os.path.exists(paths.initial(output_dir)) or not os.path.exists(
      records_path):
    return 0
  saver.restore(sess, latest)
  recorder.records = save_restore.read_json(records_path)
  recorder.truncate(iteration)
  return iteration
