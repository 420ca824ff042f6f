"""train(): the training loop, its evaluation schedule and its records.

The hot loop stays in the graph. The dataset is copied into graph variables
once; a `tf.while_loop` runs many optimizer steps per `session.run`, each
gathering its batch by indices that Python computes once per chunk of steps
(the order is a pure function of the dataset's seed and the step). Python
comes back only at the points where something is recorded, checkpointed or
saved. Evaluation reads whole splits already in the graph, from a snapshot
of the weights, in a background thread while training goes on
(background_evaluation.py). What training does besides the optimizer steps
(batch size, schedules of evaluation and checkpoints, regularisation, hooks)
is one TrainOptions (train_options.py).

A killed run resumes: with `checkpoint_interval`, all model and optimizer
variables are checkpointed together with the records so far, and a re-run
with the same output directory continues from the latest checkpoint and ends
with the same weights as an uninterrupted run; temporaries an interrupted
write left behind are removed when the run is taken up again.

Training stops at the first step whose loss is NaN or infinite (or after a
chunk of steps that left a weight so) with a NonFiniteError naming the
iteration; the in-graph loop watches for it, at no extra session run.
"""

import dataclasses
import os

import tensorflow.compat.v1 as tf

from lottery_ticket.foundations import background_evaluation
from lottery_ticket.foundations import checkpoint_files
from lottery_ticket.foundations import durations
from lottery_ticket.foundations import finite
from lottery_ticket.foundations import graph_data
from lottery_ticket.foundations import graph_mode  # pylint: disable=unused-import
from lottery_ticket.foundations import objective
from lottery_ticket.foundations import paths
from lottery_ticket.foundations import progress as progress_lib
from lottery_ticket.foundations import records as records_lib
from lottery_ticket.foundations import save_restore
from lottery_ticket.foundations import train_options

TrainOptions = train_options.TrainOptions
Hooks = train_options.Hooks
NonFiniteError = finite.NonFiniteError

DEFAULT_BATCH_SIZE = train_options.DEFAULT_BATCH_SIZE
MAX_CHUNK = 1000  # steps per session.run at most, so progress keeps flowing

# What TensorFlow's Saver leaves in checkpoints/ when it is killed while
# writing: its staging directory (<prefix>_temp), the tensor bundle's
# partial files (*.tempstate<n>) and atomically written files (*.tmp<uuid>).
CHECKPOINT_TEMPORARIES = ('*_temp', '*.tempstate*', '*.tmp*')


@dataclasses.dataclass
class TrainLoop(object):
  """Handles of the in-graph training loop.

  Attributes:
    indices: int32 placeholder [num_steps, batch_size]: the rows of the
      training examples of each step.
    metrics: dict 'loss', 'accuracy' -> the means over the steps run.
    first_bad_step: int32 tensor: the index (within this run) of the first
      step whose training loss was NaN or infinite, -1 when there was none.
      The loop stops after that step.
    weights_finite: bool tensor: whether every trainable variable is finite
      after the steps.
  """
  indices: tf.Tensor
  metrics: dict
  first_bad_step: tf.Tensor
  weights_finite: tf.Tensor


def build_train_loop(model, data, optimizer, global_step, batch_size,
                     weight_decay=0.0, clip_norm=None, clip_value=None,
                     after_step=None):
  """The in-graph loop that runs one optimizer step per row of `indices`.

  The loop also watches for divergence at almost no cost: each step checks
  that its (scalar) loss is finite and the loop stops at the first that is
  not; once the steps are done, the weights are checked once. Neither needs
  a session run of its own.

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
    a TrainLoop.
  """
  indices = tf.placeholder(tf.int32, [None, batch_size], name='batch_indices')
  num_steps = tf.shape(indices)[0]
  variables = model.trainable_variables

  def body(step, loss_sum, accuracy_sum, first_bad):
    # Reads of the weights depend on the loop counter, which the previous
    # step's update produced: each step sees the weights the last one wrote.
    with tf.control_dependencies([step]):
      images, labels = data.train_batch(tf.gather(indices, step))
      logits = model.apply(images)
      loss = model.loss_fn(labels, logits)
      accuracy = model.accuracy_fn(labels, logits)
      grads = objective.gradients(loss, model.kernels.values(), variables,
                                  weight_decay, clip_norm, clip_value)
      update = optimizer.apply_gradients(zip(grads, variables),
                                         global_step=global_step)
      finished = [update]
      if after_step is not None:
        with tf.control_dependencies([update]):
          extra = after_step(global_step)
        if extra is not None:
          finished.append(extra)
      with tf.control_dependencies(finished):
        first_bad = tf.where(tf.math.is_finite(loss), first_bad, step)
        return step + 1, loss_sum + loss, accuracy_sum + accuracy, first_bad

  def more(step, unused_loss, unused_accuracy, first_bad):
    return tf.logical_and(step < num_steps, first_bad < 0)

  steps_run, loss_sum, accuracy_sum, first_bad = tf.while_loop(
      more, body,
      (tf.constant(0), tf.constant(0.0), tf.constant(0.0), tf.constant(-1)),
      parallel_iterations=1)
  with tf.control_dependencies([steps_run, loss_sum, accuracy_sum, first_bad]):
    weights_finite = tf.reduce_all(tf.stack(
        [tf.reduce_all(tf.math.is_finite(v.read_value())) for v in variables]))
  count = tf.maximum(tf.cast(steps_run, tf.float32), 1.0)
  return TrainLoop(indices, {'loss': loss_sum / count,
                             'accuracy': accuracy_sum / count},
                   first_bad, weights_finite)


def _create_optimizer_state(model, optimizer):
  """Creates the optimizer's slots outside the loop (they hold state)."""
  grads = [tf.zeros_like(v) for v in model.trainable_variables]
  optimizer.apply_gradients(zip(grads, model.trainable_variables))


def _initialize(sess, data):
  """Initialises every variable not yet initialised, and the data."""
  variables = tf.global_variables()
  if variables:
    flags = sess.run(tf.report_uninitialized_variables(variables))
    names = {f.decode() for f in flags}
    pending = [v.initializer for v in variables if v.op.name in names]
    if pending:
      # A list, not tf.variables_initializer: its tf.group would mark these
      # ops as control inputs, changing ops the session has already taken
      # up (TensorFlow warns that this "will trigger an error in the future").
      sess.run(pending)
  data.initialize(sess)


def train(sess, dataset, model, optimizer_fn, training_len, output_dir,
          options=None):
  """Trains `model` on `dataset`, recording and saving as it goes.

  Args:
    sess: a tf.compat.v1.Session whose graph holds `model`.
    dataset: a DatasetBase.
    model: a ModelBase built in sess.graph.
    optimizer_fn: callable returning a tf.compat.v1.train.Optimizer; the
      global step exists when it is called (for learning-rate schedules).
    training_len: ('iterations', N) or ('epochs', N) (see durations.parse).
    output_dir: where records, weights and checkpoints go (None: nowhere).
      Temporaries that an interrupted run left in it are removed first
      (see remove_stale_temporaries).
    options: a TrainOptions (default: TrainOptions()).

  Returns:
    (initial_weights, final_weights): dicts of effective kernels and biases.

  Raises:
    ValueError: for a bad training length.
    NonFiniteError: (a ValueError) when the training loss or a weight
      becomes NaN or infinite, naming the iteration; the records so far are
      written, the network is not saved.
    save_restore.WriteError: (an OSError) when an output or a checkpoint
      cannot be written (e.g. a full disk), naming the path and the cause.
    TypeError: if `options` is not a TrainOptions.
  """
  options = TrainOptions() if options is None else options
  if not isinstance(options, TrainOptions):
    raise TypeError('options must be a trainer.TrainOptions, got {!r}'.format(
        type(options).__name__))
  total = durations.to_iterations(training_len,
                                  dataset.steps_per_epoch(options.batch_size))
  training = _Training(sess, dataset, model, optimizer_fn, total, output_dir,
                       options)
  try:
    return training.run()
  finally:
    training.close()


class _Training(object):
  """One call of `train`: its graph, its records and its schedule."""

  def __init__(self, sess, dataset, model, optimizer_fn, total, output_dir,
               options):
    self.sess = sess
    self.dataset = dataset
    self.model = model
    self.total = total
    self.output_dir = output_dir
    self.options = options
    self.progress = None
    self.start = 0
    with sess.graph.as_default():
      self.data = graph_data.GraphData(dataset)
      global_step = tf.train.get_or_create_global_step()
      optimizer = optimizer_fn()
      _create_optimizer_state(model, optimizer)
      self.hooks = options.hooks(optimizer)
      self.loop = build_train_loop(
          model, self.data, optimizer, global_step, options.batch_size,
          weight_decay=options.weight_decay, clip_norm=options.clip_norm,
          clip_value=options.clip_value, after_step=self.hooks.after_step)
      self.evaluator = background_evaluation.for_model(
          model, self.data, options.eval_chunk_size)
      self.extra_metrics = dict(self.hooks.extra_metrics or {})
      # checkpoint_files keeps the index and prunes old checkpoints.
      self.saver = (tf.train.Saver(max_to_keep=None)
                    if output_dir and options.checkpoint_interval else None)
      _initialize(sess, self.data)
      sess.run(self.evaluator.initializer)
    if output_dir:
      remove_stale_temporaries(output_dir)
    self.recorder = records_lib.Recorder(output_dir, options.save_summaries)

  def close(self):
    self.evaluator.wait()  # no thread may outlive the session
    self.recorder.close()

  def run(self):
    """Trains to the end; returns (initial_weights, final_weights)."""
    try:
      initial_weights = self._begin()
      iteration = self.start
      for boundary in self.options.boundaries(self.total):
        if boundary > iteration:
          iteration = self._train_to(iteration, boundary)
          self._at_boundary(iteration)
      self.record_evaluation()
      final_weights = self.model.get_current_weights(self.sess)
      if self.progress and self.progress.last_printed != self.total:
        self.progress.update(self.total, force=True)
      if self.options.save_network and self.output_dir:
        save_restore.save_network(paths.final(self.output_dir), final_weights)
        save_restore.save_network(paths.masks(self.output_dir),
                                  self.model.get_current_masks(self.sess))
      self.recorder.write()
      return initial_weights, final_weights
    except NonFiniteError:
      self.record_evaluation()
      self.recorder.write()  # the records up to the divergence, to look at
      raise

  def _begin(self):
    """Resumes or starts; returns the initial weights."""
    options, output_dir = self.options, self.output_dir
    resumed = _maybe_resume(self.sess, self.saver, output_dir, self.recorder,
                            options.keep_checkpoints)
    self.start = resumed or options.first_iteration
    if not resumed and self.start >= self.total:
      raise ValueError('training starts at iteration {} but lasts {} '
                       'iterations'.format(self.start, self.total))
    if not resumed and self.start:
      self.sess.run(tf.train.get_global_step().assign(self.start))
    if self.hooks.on_start:
      self.hooks.on_start(self.sess)
    if options.progress:
      self.progress = progress_lib.Progress(options.progress, self.total,
                                            self.start)
      if resumed:
        progress_lib.notice('{}: resumed at iteration {} of {} from its latest '
                            'checkpoint'.format(options.progress, self.start,
                                                self.total))
    if resumed:
      return save_restore.restore_network(paths.initial(output_dir))
    initial_weights = self.model.get_current_weights(self.sess)
    if options.save_network and output_dir:
      save_restore.save_network(paths.initial(output_dir), initial_weights)
    self.evaluate(self.start)
    if self.start in options.save_weights_at and output_dir:
      save_restore.save_network(paths.rewind(output_dir, self.start),
                                initial_weights)
    return initial_weights

  def _train_to(self, iteration, boundary):
    """Runs the steps up to `boundary`, in chunks; returns `boundary`."""
    while iteration < boundary:
      steps = min(boundary - iteration, MAX_CHUNK)
      order = self.dataset.train_order(iteration, steps,
                                       self.options.batch_size)
      self.batch_metrics, first_bad, weights_finite = self.sess.run(
          [self.loop.metrics, self.loop.first_bad_step,
           self.loop.weights_finite], {self.loop.indices: order})
      finite.check_steps(first_bad, weights_finite, iteration, steps)
      iteration += steps
      if self.progress and iteration < boundary:
        self.progress.update(iteration)
    return iteration

  def _at_boundary(self, iteration):
    """Records, evaluates, saves and checkpoints what is due at `iteration`."""
    options, output_dir = self.options, self.output_dir
    if train_options.due(iteration, options.record_interval or self.total,
                         self.total):
      self.recorder.add('train', iteration, self.batch_metrics)
    self.evaluate(iteration)
    if iteration in options.save_weights_at and output_dir:
      save_restore.save_network(paths.rewind(output_dir, iteration),
                                self.model.get_current_weights(self.sess))
    if self.saver is not None and train_options.due(
        iteration, options.checkpoint_interval, self.total):
      self.record_evaluation()
      _checkpoint(self.sess, self.saver, output_dir, self.recorder, iteration,
                  options.keep_checkpoints)

  def record_evaluation(self):
    """Records the background evaluation, waiting for it if it still runs.

    The progress line of an evaluated iteration is printed here, once its
    accuracy is known, so a line shows the accuracy of the iteration it
    names.
    """
    done = self.evaluator.collect()
    if done is None:
      return
    evaluated, values = done
    for split, metrics in values.items():
      self.recorder.add(split, evaluated, metrics)
    if self.progress and 'test' in values:
      self.progress.update(evaluated, {'test acc': values['test']['accuracy']},
                           force=evaluated == self.total)

  def evaluate(self, iteration):
    """Starts the evaluations due at `iteration`; measures what must be now."""
    self.record_evaluation()
    options, total = self.options, self.total
    if self.extra_metrics and train_options.due(
        iteration, options.test_interval, total):
      self.recorder.add('extra', iteration, self.sess.run(self.extra_metrics))
    if self.hooks.on_record:
      self.hooks.on_record(self.sess, iteration, self.recorder)
    due = {'test': options.test_interval,
           'validate': options.validation_interval}
    splits = [split for split in self.evaluator.metrics
              if train_options.due(iteration, due[split], total)]
    self.evaluator.start(self.sess, iteration, splits)
    if self.progress and 'test' not in splits and iteration > self.start:
      self.progress.update(iteration)  # no accuracy to show for this one


def remove_stale_temporaries(output_dir):
  """Removes what an interrupted run left in its output directory.

  A run killed while writing leaves temporaries: save_restore's `.tmp-*`
  files and staging directories anywhere in the run directory, TensorFlow's
  checkpoint temporaries in checkpoints/, and the files of checkpoints that
  were never completed. Only those names are removed, only inside
  `output_dir`; the caller must be its only writer (runners hold its lock).

  Args:
    output_dir: a run directory.

  Returns:
    the sorted paths removed.
  """
  removed = save_restore.remove_temporaries(output_dir)
  directory = paths.checkpoints(output_dir)
  if os.path.isdir(directory):
    removed += save_restore.remove_temporaries(directory,
                                               CHECKPOINT_TEMPORARIES)
    removed += checkpoint_files.remove_incomplete(output_dir)
  return sorted(removed)


def _checkpoint(sess, saver, output_dir, recorder, iteration, keep):
  """Saves records and variables (checkpoint_files' order), then the logs.

  Raises:
    save_restore.WriteError: naming the file and the cause when it cannot
      be written (e.g. the disk is full).
  """
  def write_variables(prefix):
    try:
      # No meta graph: a resume rebuilds the graph from code, and analyses
      # read the variables alone (tf.train.load_checkpoint).
      saver.save(sess, prefix, write_meta_graph=False, write_state=False)
    except tf.errors.OpError as error:
      raise checkpoint_error(prefix, error) from error

  checkpoint_files.save(output_dir, iteration, recorder.records,
                        write_variables, keep)
  recorder.write()


def checkpoint_error(prefix, error):
  """The one-line WriteError, naming the checkpoint's path prefix, for a
  TensorFlow error while writing its variables."""
  text = (getattr(error, 'message', None) or str(error)).strip()
  first_line = text.splitlines()[0] if text else type(error).__name__
  if (isinstance(error, tf.errors.ResourceExhaustedError) or
      'no space left' in text.lower()):
    return save_restore.out_of_space(prefix)
  return save_restore.WriteError(prefix, OSError(None, first_line))


def _maybe_resume(sess, saver, output_dir, recorder, keep):
  """Restores the latest usable checkpoint if there is one; returns its
  iteration (0: none, the run starts from the beginning)."""
  if saver is None or not os.path.isdir(paths.initial(output_dir)):
    return 0
  iteration = checkpoint_files.latest_usable([output_dir], progress_lib.notice,
                                             keep)
  if not iteration:
    return 0
  saver.restore(sess, checkpoint_files.prefix(output_dir, iteration))
  recorder.records = save_restore.read_json(
      checkpoint_files.records_path(output_dir, iteration))
  recorder.truncate(iteration)
  return iteration
