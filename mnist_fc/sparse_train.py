"""One sparse-training run: dense, small_dense, prune, lottery, scratch, SET,
RigL (and RigL with inverted growth), or a network pruned at initialisation
(SNIP, GraSP, SynFlow, Iterative SNIP, FORCE, magnitude or random scores).

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

A run trains as a pack of one (packed_runs); with `trials=N` the N trials
of one command (seeds seed..seed+N-1, in {output_dir}/trial{t}) train as
one pack, every method included: each trial's mask updates and
measurements are built on its network of the pack (run_hooks), so each
trial directory is the one its lone run writes.
"""

import functools

from lottery_ticket.foundations.training import fixed_batch
from lottery_ticket.foundations.sparse import gradient_flow
from lottery_ticket.foundations.sparse import mask_updates
from lottery_ticket.foundations import paths
from lottery_ticket.foundations import save_restore
from lottery_ticket.foundations.training import schedules
from lottery_ticket.foundations.sparse import sparsity_distribution
from lottery_ticket.foundations import trainer
from lottery_ticket.mnist_fc import builders
from lottery_ticket.mnist_fc import config as config_lib
from lottery_ticket.mnist_fc import experiments
from lottery_ticket.mnist_fc import packed_runs
from lottery_ticket.mnist_fc import runs
from lottery_ticket.mnist_fc import sparse_setup
from lottery_ticket.mnist_fc import trials as trials_lib

EXPERIMENT = experiments.SPARSE_TRAIN.name


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
        shapes, schedule.target(s), config.sparse.distribution) for s in steps]
    counts = {n: [c[n] for c in per_step] for n in shapes}
    return mask_updates.MagnitudePruning(
        model, steps, counts, [schedule.target(s) for s in steps],
        optimizer=optimizer, probe=probe)
  if method.growth:
    steps = config.update_steps(steps_total)
    drop_fraction = schedules.drop_fraction_fn(
        config.sparse.drop_fraction_schedule, config.sparse.drop_fraction,
        config.last_update_step(steps_total), lr_fn,
        peak_lr=config.training.learning_rate)
    return mask_updates.drop_and_grow(
        model, method.growth, steps, drop_fraction, batch=decisions,
        seed=config.stream_seed(sparse_setup.MASK_SEED),
        optimizer=optimizer, probe=probe)
  return None


def run_hooks(config, dataset, start, run_dir, opened):
  """What a sparse run adds to training, its mask updates and measurements:
  callable(model, optimizer) -> the run's trainer.Hooks on its network of
  the pack (a packed_model.NetworkView, which has a model's interface) and
  the optimizer the trainer created for it, so a run updates its masks and
  measures the same whatever else shares its pack. The mask images it
  opens are appended to `opened` (the caller closes them).
  """
  steps_total = config.total_steps(dataset)
  lr_fn = builders.learning_rate_fn(config.training, steps_total,
                                    config.steps_per_epoch(dataset))
  measure, decide = sparse_setup.fixed_batches(config, dataset)

  def build(model, optimizer):
    shapes = {n: model.kernels[n].shape.as_list() for n in model.layer_names}
    probe = fixed_batch.FixedBatch(*measure, name='measurements')
    decisions = (fixed_batch.FixedBatch(*decide, name='decisions')
                 if config.sparse_method.growth else None)
    update_probe = None
    if config.sparse.measure_updates:
      size = config.sparse.update_norm_batch_size
      update_probe = fixed_batch.FixedBatch(
          measure[0][:size], measure[1][:size], name='update_probe')
    images = None
    if config.sparse.mask_images and config.training.save_summaries:
      images = gradient_flow.MaskImages(model, paths.mask_images(run_dir))
      opened.append(images)
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
      if images is not None and (
          iteration % config.training.test_interval == 0 or
          iteration == steps_total):
        images.write(sess, iteration)

    return trainer.Hooks(
        after_step=updater.after_step if updater is not None else None,
        extra_metrics=flow.tensors(), on_start=on_start, on_record=on_record)
  return build


def sparse_train(output_dir, config=None, overwrite=False, trials=0,
                 **flags):
  """Trains one network with a sparse-training method into output_dir.

  Args:
    output_dir: the run directory (a finished one is left as it is); with
      `trials`, the directory of the trial directories trial{t}.
    config: optional path of a saved config.json to start from.
    overwrite: start over if output_dir holds a run.
    trials: 0 for one run; N trains trials seed..seed+N-1 together as one
      pack, each exactly as alone (see trials.py and _train_trials).
    **flags: settings of the data, model, training and sparse concerns, e.g.
      method='rigl', sparsity=0.9, preset='mlp', dataset='digits'.

  Returns:
    (initial_weights, final_weights); with `trials`, a dict seed -> that
    pair.

  Raises:
    ValueError: for bad settings, a mask from a different network,
      inconsistent schedule steps, or an output directory holding a run of
      another configuration (nothing is written then).
    finite.NonFiniteError: if training diverged (with `trials`, after the
      other trials finished; it names the trials that diverged).
  """
  run_config = experiments.SPARSE_TRAIN.resolve(flags, config)
  trials = trials_lib.TRIALS.parse(trials)
  dataset = run_config.make_dataset()
  run_config = config_lib.complete(run_config, dataset)
  # A --mask_from base is read at trial{t} (with --mask_level, the level of
  # that trial).
  members = [packed_runs.PackedRun(run_dir, c, root=output_dir)
             for run_dir, c in trials_lib.runs(
                 output_dir, run_config, trials, dataset,
                 bases=('mask_from',) if run_config.mask_path else ())]
  opened = []

  def prepare(pending):
    """Each run makes its own start (its mask, its initial weights) as
    alone, before anything is written; each trains its network of the pack
    with its own mask updates and measurements (run_hooks)."""
    starts = []
    for member in pending:
      start = sparse_setup.prepare(member.config, dataset, member.run_dir)
      starts.append(start)
      member.masks, member.presets = start.masks, start.weights
      member.init_stream = start.stream
      member.record = functools.partial(_record, member.run_dir,
                                        member.config, dataset, start)
      member.hooks = run_hooks(member.config, dataset, start, member.run_dir,
                               opened)
    first_iterations = sorted({start.first_iteration for start in starts})
    if len(first_iterations) > 1:
      raise ValueError('the trials of a pack would start at iterations {} '
                       '(their --mask_level levels were rewound differently): '
                       'train them apart'.format(
                           ', '.join(str(i) for i in first_iterations)))
    return dict(hyperparameters=starts[0].hyperparameters,
                first_iteration=starts[0].first_iteration)

  label = run_config.sparse.method
  if run_config.sparse_method.sparse:
    label += ' s={:g}'.format(run_config.sparse.sparsity)
  try:
    results = packed_runs.execute(
        members, dataset, EXPERIMENT, label, run_config.total_steps(dataset),
        overwrite=overwrite, prepare=prepare, name_trials=bool(trials),
        keep_checkpoints=True)
  finally:
    for images in opened:
      images.close()
  return trials_lib.results(members, results, trials)


def _record(run_dir, config, dataset, start):
  """A new run's config.json and starting masks, for a resumed run to
  reuse (a resumed run has them)."""
  if not start.resumed:
    runs.record(run_dir, config, EXPERIMENT,
                {'total_steps': config.total_steps(dataset),
                 'start': start.info})
    save_restore.save_network(paths.initial_masks(run_dir), start.masks)
