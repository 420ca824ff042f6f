"""One sparse-training run: dense, small_dense, prune, lottery, scratch, SET,
RigL (and RigL with inverted growth), SNIP or GraSP.

The run directory holds what a lottery run directory holds (config.json,
metrics.json, the CSV logs, initial/, final/, masks/, summaries/,
checkpoints/, DONE) plus initial_masks/ (the mask training started from).
Checkpoints are all kept, every `checkpoint_interval` (save_freq) steps, so
later analysis can load any of them; re-running the same command resumes a
killed run from the latest one, and is a no-op once the run has finished.

metrics.json holds, besides the trainer's train / test (/ validate) records,
the gradient-flow measurements under 'extra' (see foundations.gradient_flow)
and one record per mask update under 'mask_updates' (the drop fraction or
target sparsity, the gradient norm on the measurement batch just before and
just after the update, and how many weights were grown).
"""

import os
import time

import tensorflow.compat.v1 as tf

from lottery_ticket.foundations import durations
from lottery_ticket.foundations import fixed_batch
from lottery_ticket.foundations import gradient_flow
from lottery_ticket.foundations import mask_updates
from lottery_ticket.foundations import optimizers
from lottery_ticket.foundations import paths
from lottery_ticket.foundations import save_restore
from lottery_ticket.foundations import schedules
from lottery_ticket.foundations import session as session_lib
from lottery_ticket.foundations import sparsity_distribution
from lottery_ticket.foundations import trainer
from lottery_ticket.mnist_fc import run_config as run_config_lib
from lottery_ticket.mnist_fc import runs
from lottery_ticket.mnist_fc import sparse_config
from lottery_ticket.mnist_fc import sparse_setup


def total_steps(run, dataset):
  return durations.to_iterations(run.training_len,
                                 dataset.steps_per_epoch(int(run.batch_size)))


def _learning_rate(run):
  if run.learning_rate is not None:
    return float(run.learning_rate)
  return optimizers.default_learning_rate(run.optimizer)


class _Holder(object):
  """The optimizer, which the trainer creates after the hooks are built."""

  def __init__(self):
    self.optimizer = None


def build_updater(run, sparse, model, steps_total, shapes, decisions, probe,
                  lr_fn, holder):
  """The mask updater of a method (None for static masks).

  Args:
    run, sparse: the configurations.
    model: the training model.
    steps_total: the number of training steps.
    shapes: dict layer -> kernel shape.
    decisions: the FixedBatch RigL grows on.
    probe: the FixedBatch the gradient norm is measured on.
    lr_fn: callable(step) -> learning rate.
    holder: has `.optimizer` once the trainer created it.
  """
  optimizer = lambda: holder.optimizer
  if sparse.method == 'prune':
    schedule = sparse.sparsity_schedule(steps_total)
    steps = [s for s in schedule.update_steps(steps_total) if s >= 1]
    if not steps:
      return None
    per_step = [sparsity_distribution.layer_counts(
        shapes, schedule.target(s), sparse.distribution) for s in steps]
    counts = {n: [c[n] for c in per_step] for n in shapes}
    return mask_updates.MagnitudePruning(
        model, steps, counts, [schedule.target(s) for s in steps],
        optimizer=optimizer, probe=probe)
  if sparse.method in sparse_config.GROWTH:
    steps = sparse.update_steps(steps_total)
    drop_fraction = schedules.drop_fraction_fn(
        sparse.drop_fraction_schedule, sparse.drop_fraction,
        sparse.last_update_step(steps_total), lr_fn)
    return mask_updates.drop_and_grow(
        model, sparse_config.GROWTH[sparse.method], steps, drop_fraction,
        batch=decisions, seed=sparse_setup.seed_for(run, sparse_setup.MASK_SEED),
        optimizer=optimizer, probe=probe)
  return None


def _train(run, sparse, dataset, start, run_dir, label):
  """Builds the training graph from `start` and trains it."""
  steps_total = total_steps(run, dataset)
  measure, decide = sparse_setup.fixed_batches(run, sparse, dataset)
  graph = tf.Graph()
  with graph.as_default():
    inputs, labels = dataset.placeholders()
    model = run.make_model_fn(dataset.num_classes, start.stream,
                              start.hyperparameters)(
                                  inputs, labels, presets=start.weights,
                                  masks=start.masks)
    shapes = {n: model.kernels[n].shape.as_list() for n in model.layer_names}
    probe = fixed_batch.FixedBatch(*measure, name='measurements')
    decisions = (fixed_batch.FixedBatch(*decide, name='decisions')
                 if sparse.method in sparse_config.GROWTH else None)
    lr_fn = schedules.learning_rate_fn(_learning_rate(run), sparse.lr_schedule,
                                       steps_total)
    holder = _Holder()

    def optimizer_fn():
      step = tf.train.get_or_create_global_step()
      holder.optimizer = optimizers.make_optimizer(
          run.optimizer, lambda: lr_fn(step.read_value()), sparse.momentum)
      return holder.optimizer

    update_probe = None
    if sparse.measure_updates:
      size = int(sparse.update_norm_batch_size)
      update_probe = fixed_batch.FixedBatch(measure[0][:size], measure[1][:size],
                                            name='update_probe')
    updater = build_updater(run, sparse, model, steps_total, shapes, decisions,
                            update_probe, lr_fn, holder)
    flow = gradient_flow.GradientFlow(model, probe, start.weights, lr_fn,
                                      optimizer=lambda: holder.optimizer)
    images = (gradient_flow.MaskImages(
        model, os.path.join(paths.summaries(run_dir), 'masks'))
              if run_dir and sparse.mask_images and run.save_summaries else None)

  def on_start(sess):
    flow.initialize(sess)
    for batch in (decisions, update_probe):
      if batch is not None:
        batch.initialize(sess)

  def on_record(sess, iteration, recorder):
    if updater is not None:
      updater.history.record_new(sess, iteration, recorder)
    if images is not None and (iteration % int(run.test_interval) == 0 or
                               iteration == steps_total):
      images.write(sess, iteration)

  params = run.train_params(label)
  params.update(
      weight_decay=float(sparse.weight_decay), clip_norm=sparse.clip_norm,
      clip_value=sparse.clip_value, extra_metrics=flow.tensors,
      on_start=on_start, on_record=on_record, keep_checkpoints=0,
      after_step=updater.after_step if updater is not None else None)
  with session_lib.new_session(graph) as sess:
    try:
      return trainer.train(sess, dataset, model, optimizer_fn,
                           run.training_len, run_dir, **params)
    finally:
      if images is not None:
        images.close()


def output_directory(output_dir, **unused_flags):
  """The run directory (for the argfile runner)."""
  return output_dir


def sparse_train(output_dir, config=None, **flags):
  """Trains one network with a sparse-training method into output_dir.

  Args:
    output_dir: the run directory (a finished one is left as it is).
    config: optional path of a saved config.json to start from.
    **flags: RunConfig and SparseConfig fields (see sparse_config), e.g.
      method='rigl', sparsity=0.9, preset='mlp', dataset='digits'.

  Returns:
    (initial_weights, final_weights).

  Raises:
    ValueError: for an unknown method or flag, a sparsity outside [0, 1), a
      mask from a different network, inconsistent schedule steps, ...
  """
  run, sparse = sparse_config.resolve(config, **flags)
  finished = runs.load_finished(output_dir)
  if finished is not None:
    return finished[0], finished[1]
  dataset = run.make_dataset()
  steps_total = total_steps(run, dataset)
  schedule = None
  if sparse.method == 'prune':
    schedule = sparse.sparsity_schedule(steps_total)
  elif sparse.method in sparse_config.GROWTH:
    sparse.update_steps(steps_total)
  start = sparse_setup.prepare(run, sparse, dataset, output_dir, schedule)
  if not start.resumed or not os.path.exists(paths.config(output_dir)):
    run_config_lib.write_config(
        output_dir, run, experiment=sparse_config.EXPERIMENT,
        total_steps=steps_total, start=start.info, **sparse.to_dict())
  started = time.time()
  result = _train(run, sparse, dataset, start, output_dir,
                  '{} {}'.format(sparse.method, _sparsity_label(sparse)))
  save_restore.write_json(paths.done_marker(output_dir),
                          {'seconds': round(time.time() - started, 3)})
  return result


def _sparsity_label(sparse):
  return 'dense' if sparse.sparsity is None else 's={:g}'.format(sparse.sparsity)
