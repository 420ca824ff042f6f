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

import time

import tensorflow.compat.v1 as tf

from lottery_ticket.foundations import fixed_batch
from lottery_ticket.foundations import gradient_flow
from lottery_ticket.foundations import mask_updates
from lottery_ticket.foundations import optimizers
from lottery_ticket.foundations import paths
from lottery_ticket.foundations import schedules
from lottery_ticket.foundations import session as session_lib
from lottery_ticket.foundations import sparsity_distribution
from lottery_ticket.foundations import trainer
from lottery_ticket.mnist_fc import config as config_lib
from lottery_ticket.mnist_fc import runs
from lottery_ticket.mnist_fc import sparse_setup

CONCERNS = config_lib.BASE + (config_lib.SPARSE,)
EXPERIMENT = 'sparse_train'
# sparse_train's defaults where they differ from the other runners'.
DEFAULT_OVERRIDES = {'lr_schedule': 'cosine'}
# The paper's names of two settings (its gin files).
ALIASES = {'save_freq': 'checkpoint_interval', 'log_freq': 'test_interval'}


def build_updater(config, model, steps_total, shapes, decisions, probe, lr_fn,
                  optimizer):
  """The mask updater of a method (None for static masks).

  Args:
    config: the resolved Config.
    model: the training model.
    steps_total: the number of training steps.
    shapes: dict layer -> kernel shape.
    decisions: the FixedBatch RigL grows on.
    probe: the FixedBatch the gradient norm is measured on.
    lr_fn: callable(step) -> learning rate.
    optimizer: the optimizer the trainer created (its slots are reset).
  """
  method = config.sparse_method
  if method.gradual:
    schedule = config.sparsity_schedule(steps_total)
    steps = [s for s in schedule.update_steps(steps_total) if s >= 1]
    if not steps:
      return None
    per_step = [sparsity_distribution.layer_counts(
        shapes, schedule.target(s), config.distribution) for s in steps]
    counts = {n: [c[n] for c in per_step] for n in shapes}
    return mask_updates.MagnitudePruning(
        model, steps, counts, [schedule.target(s) for s in steps],
        optimizer=optimizer, probe=probe)
  if method.growth:
    steps = config.update_steps(steps_total)
    drop_fraction = schedules.drop_fraction_fn(
        config.drop_fraction_schedule, config.drop_fraction,
        config.last_update_step(steps_total), lr_fn,
        peak_lr=config.learning_rate)
    return mask_updates.drop_and_grow(
        model, method.growth, steps, drop_fraction, batch=decisions,
        seed=sparse_setup.seed_for(config, sparse_setup.MASK_SEED),
        optimizer=optimizer, probe=probe)
  return None


def _train(config, dataset, start, run_dir, label):
  """Builds the training graph from `start` and trains it."""
  steps_total = config.total_steps(dataset)
  measure, decide = sparse_setup.fixed_batches(config, dataset)
  graph = tf.Graph()
  with graph.as_default():
    inputs, labels = dataset.placeholders()
    model = config.make_model_fn(dataset.num_classes, start.stream,
                                 start.hyperparameters)(
                                     inputs, labels, presets=start.weights,
                                     masks=start.masks)
    shapes = {n: model.kernels[n].shape.as_list() for n in model.layer_names}
    probe = fixed_batch.FixedBatch(*measure, name='measurements')
    decisions = (fixed_batch.FixedBatch(*decide, name='decisions')
                 if config.sparse_method.growth else None)
    lr_fn = config.learning_rate_fn(steps_total)

    def optimizer_fn():
      step = tf.train.get_or_create_global_step()
      return optimizers.make_optimizer(
          config.optimizer, lambda: lr_fn(step.read_value()), config.momentum)

    update_probe = None
    if config.measure_updates:
      size = config.update_norm_batch_size
      update_probe = fixed_batch.FixedBatch(measure[0][:size], measure[1][:size],
                                            name='update_probe')
    images = (gradient_flow.MaskImages(
        model, paths.mask_images(run_dir))
              if run_dir and config.mask_images and config.save_summaries
              else None)

  def build_hooks(optimizer):
    """The mask updater and the measurements, given the trainer's optimizer."""
    updater = build_updater(config, model, steps_total, shapes, decisions,
                            update_probe, lr_fn, optimizer)
    flow = gradient_flow.GradientFlow(model, probe, start.weights, lr_fn,
                                      optimizer=optimizer)

    def on_start(sess):
      flow.initialize(sess)
      for batch in (decisions, update_probe):
        if batch is not None:
          batch.initialize(sess)

    def on_record(sess, iteration, recorder):
      if updater is not None:
        updater.history.record_new(sess, iteration, recorder)
      if images is not None and (iteration % config.test_interval == 0 or
                                 iteration == steps_total):
        images.write(sess, iteration)

    return trainer.Hooks(
        after_step=updater.after_step if updater is not None else None,
        extra_metrics=flow.tensors(), on_start=on_start, on_record=on_record)

  options = trainer.TrainOptions(**config.train_options(label),
                                 keep_checkpoints=0, build_hooks=build_hooks)
  with session_lib.new_session(graph) as sess:
    try:
      return trainer.train(sess, dataset, model, optimizer_fn,
                           config.training_len, run_dir, options=options)
    finally:
      if images is not None:
        images.close()


def output_directory(output_dir, **unused_flags):
  """The run directory (for the argfile runner)."""
  return output_dir


def resolve(flags, config=None):
  """The Config of a sparse run from flags (aliases allowed) and a config.json."""
  flags = dict(flags)
  for alias, name in ALIASES.items():
    if alias in flags:
      if name in flags:
        raise ValueError('--{} and --{} name the same setting; give one'.format(
            alias, name))
      flags[name] = flags.pop(alias)
  return config_lib.resolve(CONCERNS, flags, config, source='sparse_train',
                            default_overrides=DEFAULT_OVERRIDES)


def sparse_train(output_dir, config=None, overwrite=False, **flags):
  """Trains one network with a sparse-training method into output_dir.

  Args:
    output_dir: the run directory (a finished one is left as it is).
    config: optional path of a saved config.json to start from.
    overwrite: start over if output_dir holds a run.
    **flags: settings of the data, model, training and sparse concerns, e.g.
      method='rigl', sparsity=0.9, preset='mlp', dataset='digits'.

  Returns:
    (initial_weights, final_weights).

  Raises:
    ValueError: for bad settings, a mask from a different network,
      inconsistent schedule steps, or an output directory holding a run of
      another configuration (nothing is written then).
  """
  run_config = resolve(flags, config)
  dataset = run_config.make_dataset()
  run_config = config_lib.complete(run_config, dataset)
  steps_total = run_config.total_steps(dataset)
  schedule = (run_config.sparsity_schedule(steps_total)
              if run_config.sparse_method.gradual else None)
  finished = runs.enter(output_dir, run_config, EXPERIMENT, overwrite,
                        keep_checkpoints=True)
  if finished:
    return finished
  # The start is made (and checked: a mask from another network, ...) before
  # anything is written; a resumed run reuses the one it saved.
  start = sparse_setup.prepare(run_config, dataset, output_dir, schedule)
  if not start.resumed:
    runs.record(output_dir, run_config, EXPERIMENT,
                {'total_steps': steps_total, 'start': start.info})
    sparse_setup.save(output_dir, start)
  started = time.time()
  result = _train(run_config, dataset, start, output_dir,
                  progress_label(run_config))
  runs.mark_done(output_dir, started, keep_checkpoints=True)
  return result


def progress_label(config):
  """'rigl s=0.9', or the method alone for one without a sparsity."""
  if config.sparse_method.sparse:
    return '{} s={:g}'.format(config.method, config.sparsity)
  return config.method
