"""train(): one training loop for a pack of N >= 1 networks of one architecture.

A lottery experiment trains many networks of one architecture for the same
number of steps: the trials of a level, the controls on the same masks. The
trainer trains them as one pack (packed_model.py): every variable has a
leading network axis and every layer is one op for the whole pack, so the
loop, the `session.run` and the record points are paid once for all of
them. A lone run is a pack of one.

Each network of a pack keeps everything it would have alone: its
initialisation (drawn by the lone model's own code in a throwaway graph
seeded as the runners seed it), its masks and presets, its data order (its
own order seed), its optimizer state (its slice of every slot), its hooks,
and its outputs: records, checkpoints, initial/ final/ masks/ and
weights_at/ in its own run directory. Its numbers do not depend on the size
of the pack or its place in it (model_base.py says which arithmetic makes
that so; tests/test_pack_independence.py checks it bit for bit).

The hot loop stays in the graph. The dataset is copied into graph variables
once; a `tf.while_loop` runs up to MAX_CHUNK steps per `session.run`, each
gathering every network's batch by indices that Python computes once per
chunk (the order is a pure function of the network's seed and the step).
Python comes back only at the points where something is recorded,
checkpointed or saved. Evaluation reads whole splits already in the graph,
from a snapshot of the weights, in a background thread while training goes
on (background_evaluation.py). Before its first session the trainer plans
the threads from the size of its step (session.py: one thread per op for a
small network, every core for a pack or a conv net). The training settings
the loop reads (batch size, regularisation, intervals) are the training
concern's (train_options.py): a runner hands its `config.training` as it is.

A killed run resumes: with `checkpoint_interval`, each network's variables,
optimizer state and records are checkpointed in its own run directory
(packed_checkpoints.py), and a re-run continues from the latest iteration
every network has a verified checkpoint for, ending with the same weights
as an uninterrupted run.

A network whose loss or weights become NaN or infinite leaves the pack with
a NonFiniteError naming the iteration (the in-graph loop watches for it);
the others train to the end, and then PackDiverged names it.
"""

import collections
import copy
import numbers
import os

import numpy as np

import tensorflow.compat.v1 as tf

from lottery_ticket.foundations.training import augmentation as augmentation_lib
from lottery_ticket.foundations.training import background_evaluation
from lottery_ticket.foundations.storage import checkpoint_files
from lottery_ticket.foundations import durations
from lottery_ticket.foundations.training import finite
from lottery_ticket.foundations.training import graph_data
from lottery_ticket.foundations.training import graph_mode  # pylint: disable=unused-import
from lottery_ticket.foundations.storage import integrity
from lottery_ticket.foundations.training import objective
from lottery_ticket.foundations.storage import packed_checkpoints
from lottery_ticket.foundations.models import packed_model
from lottery_ticket.foundations import paths
from lottery_ticket.foundations.storage import progress as progress_lib
from lottery_ticket.foundations.storage import records as records_lib
from lottery_ticket.foundations import save_restore
from lottery_ticket.foundations.training import session as session_lib
from lottery_ticket.foundations.training import train_options

Hooks = train_options.Hooks
NonFiniteError = finite.NonFiniteError

MAX_CHUNK = 1000  # steps per session.run at most, so progress keeps flowing
DEFAULT_KEEP_CHECKPOINTS = 2
DEFAULT_EVAL_CHUNK_SIZE = 10000

# The version of the trainer's arithmetic, recorded with every run: a run
# written by other arithmetic is not resumed by this one. 1: one network's
# ops per network (before batched layers); 2: batched layers (model_base.py).
NUMERICS = 2

# What TensorFlow leaves in checkpoints/ when it is killed while writing:
# the tensor bundle's partial files (*.tempstate<n>), atomically written
# files (*.tmp<uuid>) and a Saver's staging directory (<prefix>_temp).
CHECKPOINT_TEMPORARIES = ('*_temp', '*.tempstate*', '*.tmp*')


class Member(collections.namedtuple(
    'Member', ['output_dir', 'init_seed', 'order_seed', 'masks', 'presets'],
    defaults=(None, 0, None, None, None))):
  """One network of a pack.

  Fields:
    output_dir: its run directory (None: it writes nothing).
    init_seed: the graph seed its lone model is built under (the runners
      set config.seed * 1000 + init_stream; None: unseeded).
    order_seed: the seed of its training order (None: the dataset's own
      train_order_seed).
    masks: dict layer -> 0/1 array, as ModelBase takes them (None: dense).
    presets: dict layer -> initial kernel, `<layer>_bias` -> initial bias,
      and a batch norm's `<bn>_gamma`, `_beta`, `_moving_mean`,
      `_moving_variance` (a saved network is a preset: rewinding to it
      rewinds its batch norms, moving statistics included, as OpenLTH's
      state dicts do).
  """
  __slots__ = ()


def initial_values(model_class, hyperparameters, dataset, member):
  """The variables' initial values that `member` would start from alone.

  Builds the unpacked model in a throwaway graph exactly as the runners do
  (placeholders, then the graph seed, then the model), so the random
  initialisers draw the same numbers; masks and presets are checked there.

  Returns:
    dict variable name (model/layer0_w, model/layer0_m, model/layer0_b, a
    batch norm's model/bn0_gamma, model/bn0_moving_mean, ...) -> numpy array.
  """
  with tf.Graph().as_default() as graph:
    inputs, labels = dataset.placeholders()
    if member.init_seed is not None:
      tf.set_random_seed(int(member.init_seed))
    model = model_class(hyperparameters, inputs, labels,
                        presets=member.presets, masks=member.masks)
    variables = (model.trainable_variables + list(model.masks.values()) +
                 model.state_variables)
    with session_lib.new_session(graph) as sess:
      sess.run(tf.variables_initializer(variables))
      values = sess.run(variables)
  return {v.op.name: value for v, value in zip(variables, values)}


class _Loader(object):
  """Assigns numpy values to variables through feeds (no graph constants)."""

  def __init__(self, variables):
    self._assign = {}
    for variable in variables:
      placeholder = tf.placeholder(variable.dtype.base_dtype, variable.shape)
      self._assign[variable.op.name] = (placeholder,
                                        variable.assign(placeholder).op)

  def load(self, sess, values):
    """values: dict variable name -> array."""
    sess.run([self._assign[name][1] for name in values],
             {self._assign[name][0]: value for name, value in values.items()})


def create_optimizer(model, optimizer_fn):
  """The pack's optimizer, its state created before the loop is built.

  One optimizer updates the packed variables; its slots are packed too
  (model/layer0_w/Adam is [N, ...]), slice i being network i's, and its
  other state (Adam's beta powers) follows the one global step that every
  network shares, so it is what each network's would be alone.
  """
  optimizer = optimizer_fn()
  variables = model.trainable_variables
  optimizer.apply_gradients(zip([tf.zeros_like(v) for v in variables],
                                variables))
  return optimizer


def network_hooks(model, optimizer, build_hooks=None):
  """Each network's train_options.Hooks, built in its own variable scope.

  build_hooks(index, view, optimizer) runs under the variable scope
  network{index}, so the variables a hook creates (a mask updater's
  history) are network i's, named as alone after the prefix: they are
  checkpointed with the network's and restored with them. The view is a
  packed_model.NetworkView; the optimizer is the pack's
  (packed_model.slot gives network i's slice of a slot).

  Raises:
    TypeError: if build_hooks returns something other than Hooks.
  """
  if build_hooks is None:
    return [Hooks() for _ in range(model.num_networks)]
  out = []
  for index in range(model.num_networks):
    with tf.variable_scope(packed_model.prefix(index).rstrip('/')):
      out.append(train_options.checked_hooks(build_hooks(
          index, packed_model.NetworkView(model, index), optimizer)))
  return out


class Loop(collections.namedtuple(
    'Loop', ['indices', 'metrics', 'first_bad_step', 'weights_finite'])):
  """Handles of the in-graph training loop.

  Attributes:
    indices: int32 placeholder [num_steps, N, batch_size]: the rows of each
      network's training examples at each step.
    metrics: dict 'loss', 'accuracy' -> [N] means over the steps run.
    first_bad_step: int32 [N]: per network, the index (within this run) of
      the first step whose training loss was NaN or infinite, else -1. The
      other networks go on: a network's NaNs never reach another's weights.
    weights_finite: bool [N]: whether each network's weights are finite
      after the steps.
  """
  __slots__ = ()


def build_loop(model, data, optimizer, global_step, batch_size,
               weight_decay=0.0, clip_norm=None, clip_value=None,
               after_steps=None, augment=None, seeds=None,
               weight_decay_on='kernels'):
  """The in-graph loop: one optimizer step of every network per row of indices.

  A step gathers every network's batch in one op, runs the pack's layers on
  [N, batch, ...], takes each network's mean loss (so network i's gradient
  is its own loss's), differentiates (objective.gradients: weight decay,
  clipping per network) and updates every variable once for the pack. The
  layers run in training mode: batch norms normalise by each network's
  batch statistics and update their moving statistics with the step. Then
  each network's after_step hook runs, one after another (they write slices
  of the same variables), and the global step has advanced.

  Args:
    model: a packed model (its variables already exist).
    data: GraphData.
    optimizer: the pack's tf.compat.v1.train.Optimizer (create_optimizer).
    global_step: the int64 step variable, incremented by every step.
    batch_size: examples per step and network.
    weight_decay: L2 coefficient (0.5 * wd * sum w^2) on the kernels, or on
      every variable with weight_decay_on='all'.
    clip_norm: clip each network's gradients to this global norm.
    clip_value: clip every gradient to [-clip_value, clip_value].
    after_steps: optional per network, callable(global_step) -> op or None,
      built into the step after the update (the step it reads is the one
      after the update).
    augment: optional augmentation.Augmentation of each network's batch,
      keyed by (the network's seed, and the global step of the step).
    seeds: with `augment`, the N networks' seeds (their order seeds).
    weight_decay_on: 'kernels', or 'all' trainable variables.

  Returns:
    a Loop.
  """
  num = model.num_networks
  indices = tf.placeholder(tf.int32, [None, num, batch_size],
                           name='batch_indices')
  num_steps = tf.shape(indices)[0]
  variables = model.trainable_variables
  by_kernel = {k.op.name: model.masks[name] for name, k in model.kernels.items()}
  masks = [by_kernel.get(v.op.name) for v in variables]
  after_steps = [f for f in after_steps or [] if f is not None]
  augment = augmentation_lib.check(augment)
  if augment:
    seeds = tf.constant([int(s) for s in seeds], tf.int32,
                        name='augmentation_seeds')

  def body(step, loss_sum, accuracy_sum, first_bad):
    # Reads of the weights depend on the loop counter, which the previous
    # step's update produced: each step sees the weights the last one wrote.
    with tf.control_dependencies([step]):
      batch, batch_labels = data.train_batch(tf.gather(indices, step))
      if augment:
        batch = augment.apply_pack(batch, seeds, global_step.read_value())
      # The kernels alone: each is 0 wherever its mask is (initial values
      # are masked, masked gradients leave those entries at 0, and mask
      # updates zero what they drop), so they are kernel * mask, bit for
      # bit, without the pass over every weight; the gradients are masked.
      logits = model.apply_pack(batch, masked=False, training=True)
      state_updates = model.take_updates()
      losses = objective.network_losses(batch_labels, logits)
      accuracies = objective.network_accuracies(batch_labels, logits)
      grads = objective.gradients(
          tf.reduce_sum(losses),
          variables if weight_decay_on == 'all' else model.kernels.values(),
          variables,
          weight_decay, clip_norm, clip_value, masks=masks)
      update = optimizer.apply_gradients(zip(grads, variables),
                                         global_step=global_step)
      if state_updates:
        update = tf.group(update, *state_updates)
      for after_step in after_steps:
        with tf.control_dependencies([update]):
          extra = after_step(global_step)
        if extra is not None:
          update = tf.group(update, extra)
    with tf.control_dependencies([update]):
      newly_bad = tf.logical_and(first_bad < 0,
                                 tf.logical_not(tf.math.is_finite(losses)))
      first_bad = tf.where(newly_bad, tf.fill([num], step), first_bad)
      return (step + 1, loss_sum + losses, accuracy_sum + accuracies,
              first_bad)

  steps_run, loss_sum, accuracy_sum, first_bad = tf.while_loop(
      lambda step, *_: step < num_steps, body,
      (tf.constant(0), tf.zeros([num]), tf.zeros([num]),
       tf.fill([num], -1)),
      parallel_iterations=1)
  with tf.control_dependencies([steps_run, loss_sum, accuracy_sum, first_bad]):
    weights_finite = tf.reduce_all(tf.stack([
        tf.reduce_all(tf.reshape(tf.math.is_finite(v.read_value()), [num, -1]),
                      axis=1) for v in variables]), axis=0)
  count = tf.maximum(tf.cast(steps_run, tf.float32), 1.0)
  return Loop(indices, {'loss': loss_sum / count,
                        'accuracy': accuracy_sum / count},
              first_bad, weights_finite)


class PackDiverged(finite.NonFiniteError):
  """Some networks of a pack diverged; the others trained to the end.

  A diverged network stops at the chunk of steps it diverged in: its
  records so far are written, its network is not saved. The other networks
  finish and write everything.

  Attributes:
    errors: dict member index -> the NonFiniteError naming where that
      network diverged.
    results: per member, (initial_weights, final_weights), or None for a
      diverged one.
  """

  def __init__(self, errors, results, run_dirs):
    self.errors = dict(errors)
    self.results = list(results)
    super(PackDiverged, self).__init__('; '.join(
        '{}: {}'.format(run_dirs[i] or 'network {}'.format(i), error)
        for i, error in sorted(self.errors.items())))


def _order(dataset, member):
  """An object whose train_order is the network's order.

  A shallow copy of the dataset with another order seed computes the order
  by the dataset's own code and shares its arrays.
  """
  if member.order_seed is None:
    return dataset
  view = copy.copy(dataset)
  view.train_order_seed = int(member.order_seed)
  return view


class _Plan(collections.namedtuple('_Plan', [
    'progress', 'first_iteration', 'save_weights_at', 'save_network',
    'keep_checkpoints', 'eval_chunk_size'])):
  """What one call of train() asks besides the training settings (see
  train's arguments), checked and normalised by `checked`."""
  __slots__ = ()

  @classmethod
  def checked(cls, progress, first_iteration, save_weights_at, save_network,
              keep_checkpoints, eval_chunk_size):
    if progress is not None and not isinstance(progress, str):
      raise ValueError('progress must be a label (a string) or None, got '
                       '{!r}'.format(progress))
    if (isinstance(save_weights_at, (str, bytes)) or
        not hasattr(save_weights_at, '__iter__')):
      raise ValueError('save_weights_at must be a list of iterations, got '
                       '{!r}'.format(save_weights_at))
    return cls(progress, _count('first_iteration', first_iteration, 0),
               tuple(sorted({_count('save_weights_at', k, 0)
                             for k in save_weights_at})),
               bool(save_network),
               _count('keep_checkpoints', keep_checkpoints, 0),
               _count('eval_chunk_size', eval_chunk_size, 1))

  def boundaries(self, training, total):
    """The iterations of a training of `total` iterations at which it
    stops to record, evaluate, checkpoint or save something."""
    points = {total}
    for interval in (training.test_interval, training.checkpoint_interval):
      if interval:
        points.update(range(interval, total + 1, interval))
    points.update(k for k in self.save_weights_at if 0 < k <= total)
    return sorted(points)


def _count(name, value, minimum):
  if (isinstance(value, bool) or not isinstance(value, numbers.Integral) or
      value < minimum):
    raise ValueError('{} must be a whole number >= {}, got {!r}'.format(
        name, minimum, value))
  return int(value)


def _check(members, training):
  """Members as Member tuples; the training settings checked."""
  training = train_options.check(
      train_options.options() if training is None else training)
  if not members:
    raise ValueError('a pack needs at least one member')
  members = [m if isinstance(m, Member) else Member(**m) for m in members]
  dirs = [m.output_dir for m in members if m.output_dir]
  if len(set(dirs)) != len(dirs):
    raise ValueError('members of a pack share an output directory: {}'.format(
        ', '.join(sorted(d for d in set(dirs) if dirs.count(d) > 1))))
  return members, training


def train(dataset, hyperparameters, members, optimizer_fn, training_len,
          training=None, model_class=None, build_hooks=None, augment=None,
          progress=None, first_iteration=0, save_weights_at=(),
          save_network=True, keep_checkpoints=DEFAULT_KEEP_CHECKPOINTS,
          eval_chunk_size=DEFAULT_EVAL_CHUNK_SIZE):
  """Trains N >= 1 networks of one architecture together, each as if alone.

  Args:
    dataset: a DatasetBase, held in the graph once for all networks.
    hyperparameters: the architecture, as ModelFc or ModelConv take it.
    members: a list of Member (or dicts of its fields), one per network.
    optimizer_fn: callable returning a tf.compat.v1.train.Optimizer, called
      once, once the global step exists.
    training_len: ('iterations', N), ('epochs', N) or '500it' etc.
    training: the training settings the loop reads, the same for every
      network: a Config's `config.training`, or train_options.options(...)
      (the default: options()). clip_norm clips each network's own
      gradients. Checkpoints are written (and a re-run resumes) only when
      every member has an output_dir.
    model_class: the ModelBase subclass each network is, built as
      model_class(hyperparameters, inputs, labels, presets=, masks=)
      (default: ModelFc or ModelConv, whichever `hyperparameters` are for).
    build_hooks: optional callable(index, network, optimizer) ->
      Hooks: member `index`'s hooks, built on `network` (a
      packed_model.NetworkView) and its own optimizer (see network_hooks).
    augment: optional augmentation.Augmentation of the training batches;
      network i's is seeded by its order seed (the dataset's when the
      member has none) and the step, so a resumed run sees the same.
    progress: the label of the console progress lines (None: silent).
    first_iteration: the iteration training starts at (0: the start): a
      training that continues another one from its iteration k (late
      rewinding as in OpenLTH, the copies of an instability analysis) runs
      iterations k..T with the global step, hence the learning-rate
      schedule and the data order, going on from k.
    save_weights_at: iterations at which to save the weights under
      weights_at/{k}/ (for late rewinding).
    save_network: save initial/, final/ and masks/.
    keep_checkpoints: how many checkpoints to keep (0 keeps every one).
    eval_chunk_size: the largest number of examples evaluated at once.

  Returns:
    A list with, per member, (initial_weights, final_weights): dicts of
    effective kernels and biases (dicts layer -> kernel * mask,
    `<layer>_bias` -> bias) and batch norms' tensors (`<bn>_gamma`, ...).

  Raises:
    ValueError: for a bad training length, batch size or argument, bad
      masks or presets, or members sharing an output directory.
    PackDiverged: (a NonFiniteError) when some networks diverged, after the
      others finished; it holds every member's result.
    save_restore.WriteError: when an output or checkpoint cannot be written.
    TypeError: if `training` lacks a setting, or `augment` is not an
      Augmentation.
  """
  members, training = _check(members, training)
  plan = _Plan.checked(progress, first_iteration, save_weights_at,
                       save_network, keep_checkpoints, eval_chunk_size)
  augment = augmentation_lib.check(augment)
  model_class = model_class or packed_model.model_class(hyperparameters)
  total = durations.to_iterations(training_len,
                                  dataset.steps_per_epoch(training.batch_size))
  dataset.train_order(0, 0, training.batch_size)  # refuses too large a batch
  run_dirs = [m.output_dir for m in members]
  checkpointing = bool(training.checkpoint_interval) and all(run_dirs)
  for run_dir in filter(None, run_dirs):
    remove_stale_temporaries(run_dir)
  resumed = (checkpoint_files.latest_usable(run_dirs, progress_lib.notice,
                                            plan.keep_checkpoints)
             if checkpointing and all(os.path.isdir(paths.initial(d))
                                      for d in run_dirs) else 0)
  if not resumed and plan.first_iteration >= total:
    raise ValueError('training starts at iteration {} but lasts {} '
                     'iterations'.format(plan.first_iteration, total))
  orders = [_order(dataset, m) for m in members]
  graph = tf.Graph()
  with graph.as_default():
    pack = _Graph(dataset, hyperparameters, model_class, len(members),
                  optimizer_fn, checkpointing, training, plan, build_hooks,
                  augment, [o.train_order_seed for o in orders])
  graph.finalize()
  # Before any session: the threads follow the size of the step.
  session_lib.plan(session_lib.step_work(
      [k.shape.as_list() for k in pack.model.kernels.values()],
      training.batch_size, dataset.input_shape))
  starting = ([initial_values(model_class, hyperparameters, dataset, m)
               for m in members] if not resumed else None)
  with session_lib.new_session(graph) as sess:
    pack.initialize(sess)
    run = _Run(sess, pack, members, orders, total, training, plan)
    try:
      return run.train(resumed, starting)
    finally:
      run.close()


class _Graph(object):
  """Everything a pack's session runs: data, model, loop, evaluation, saving."""

  def __init__(self, dataset, hyperparameters, model_class, num_networks,
               optimizer_fn, checkpointing, training, plan, build_hooks,
               augment, seeds):
    self.data = graph_data.GraphData(dataset)
    global_step = tf.train.get_or_create_global_step()
    inputs, labels = dataset.placeholders()
    self.model = packed_model.packed_class(model_class)(
        num_networks, hyperparameters, inputs, labels)
    optimizer = create_optimizer(self.model, optimizer_fn)
    self.hooks = network_hooks(self.model, optimizer, build_hooks)
    self.loop = build_loop(
        self.model, self.data, optimizer, global_step, training.batch_size,
        weight_decay=training.weight_decay,
        weight_decay_on=training.weight_decay_on, clip_norm=training.clip_norm,
        clip_value=training.clip_value,
        after_steps=[h.after_step for h in self.hooks], augment=augment,
        seeds=seeds)
    self.evaluator = background_evaluation.for_pack(
        self.model, self.data, plan.eval_chunk_size)
    self.checkpoints = (packed_checkpoints.PackedCheckpoints(self.model,
                                                             optimizer)
                        if checkpointing else None)
    self.loader = _Loader(tf.global_variables())
    self._initializers = [tf.global_variables_initializer(),
                          self.evaluator.initializer]

  def initialize(self, sess):
    sess.run(self._initializers)
    self.data.initialize(sess)


class _Run(object):
  """The schedule of training, evaluation and saving, per network.

  A network that diverges leaves the schedule (its records are written)
  while the others go on.
  """

  def __init__(self, sess, pack, members, orders, total, training, plan):
    self.sess = sess
    self.pack = pack
    self.run_dirs = [m.output_dir for m in members]
    self.orders = orders
    self.total = total
    self.training = training
    self.plan = plan
    self.recorders = [records_lib.Recorder(d, training.save_summaries)
                      for d in self.run_dirs]
    self.errors = {}  # member index -> NonFiniteError
    self.progress = None
    self.start = 0
    self.batch_metrics = None

  def close(self):
    self.pack.evaluator.wait()  # no thread may outlive the session
    for recorder in self.recorders:
      recorder.close()

  def _live(self):
    return [i for i in range(len(self.run_dirs)) if i not in self.errors]

  def _tested(self, iteration):
    """Whether the networks are evaluated at `iteration`."""
    return train_options.due(iteration, self.training.test_interval,
                             self.total)

  def train(self, resumed, starting_values):
    """Trains from the start (or `resumed`) to the end; returns the results."""
    initial = self._begin(resumed, starting_values)
    iteration = self.start
    for boundary in self.plan.boundaries(self.training, self.total):
      if boundary > iteration:
        iteration = self._train_to(iteration, boundary)
        self._at_boundary(iteration)
    self._record_evaluation()
    final = self.pack.model.split_current_weights(self.sess)
    if self.progress and self.progress.last_printed != self.total:
      self.progress.update(self.total, force=True)
    live = self._live()
    if self.plan.save_network:
      self._save_each(paths.final, final)
      self._save_each(paths.masks,
                      self.pack.model.split_current_masks(self.sess))
    for index in live:
      self.recorders[index].write()
    results = [(initial[i], final[i]) if i in live else None
               for i in range(len(self.run_dirs))]
    if self.errors:
      raise PackDiverged(self.errors, results, self.run_dirs)
    return results

  def _begin(self, resumed, starting_values):
    """Resumes or starts; returns every network's initial weights."""
    plan = self.plan
    if resumed:
      # Every network's checkpoint and records of iteration `resumed`.
      self.pack.loader.load(self.sess, self.pack.checkpoints.read(
          self.run_dirs, resumed))
      for run_dir, recorder in zip(self.run_dirs, self.recorders):
        recorder.records = integrity.read_json(
            checkpoint_files.records_path(run_dir, resumed))
        recorder.truncate(resumed)
    else:
      values = {name: np.stack([network[name] for network in starting_values])
                for name in starting_values[0]}
      if plan.first_iteration:
        step = tf.train.get_global_step(self.sess.graph)
        values[step.op.name] = plan.first_iteration
      self.pack.loader.load(self.sess, values)
    self.start = resumed or plan.first_iteration
    for hooks in self.pack.hooks:
      if hooks.on_start:
        hooks.on_start(self.sess)
    if plan.progress:
      self.progress = progress_lib.Progress(plan.progress, self.total,
                                            self.start)
    if resumed:
      if plan.progress:
        progress_lib.notice('{}: resumed at iteration {} of {} from its '
                            'latest checkpoint{}'.format(
                                plan.progress, self.start, self.total,
                                's' if len(self.run_dirs) > 1 else ''))
      return [save_restore.restore_network(paths.initial(d))
              for d in self.run_dirs]
    initial = self.pack.model.split_current_weights(self.sess)
    if plan.save_network:
      self._save_each(paths.initial, initial)
    self._evaluate(self.start)
    if self.start in plan.save_weights_at:
      self._save_each(lambda d: paths.rewind(d, self.start), initial)
    return initial

  def _train_to(self, iteration, boundary):
    """Runs the steps up to `boundary`, in chunks; returns `boundary`."""
    loop = self.pack.loop
    while iteration < boundary:
      steps = min(boundary - iteration, MAX_CHUNK)
      order = np.stack([o.train_order(iteration, steps,
                                      self.training.batch_size)
                        for o in self.orders], axis=1)
      self.batch_metrics, first_bad, weights_finite = self.sess.run(
          [loop.metrics, loop.first_bad_step, loop.weights_finite],
          {loop.indices: order})
      self._check_finite(first_bad, weights_finite, iteration, steps)
      iteration += steps
      if self.progress and iteration < boundary:
        self.progress.update(iteration)
    return iteration

  def _check_finite(self, first_bad, weights_finite, iteration, steps):
    """Takes out the networks that diverged in these steps."""
    diverged = {}
    for index in self._live():
      try:
        finite.check_steps(first_bad[index], weights_finite[index],
                           iteration, steps)
      except finite.NonFiniteError as error:
        diverged[index] = error
    if diverged:
      self._record_evaluation()  # the evaluation under way is recorded
      for index, error in diverged.items():
        self.recorders[index].write()
        self.errors[index] = error

  def _at_boundary(self, iteration):
    """Records, evaluates, saves and checkpoints what is due at `iteration`."""
    if self._tested(iteration):
      for index in self._live():
        self.recorders[index].add('train', iteration, {
            key: value[index] for key, value in self.batch_metrics.items()})
    self._evaluate(iteration)
    if iteration in self.plan.save_weights_at:
      self._save_each(lambda d: paths.rewind(d, iteration),
                      self.pack.model.split_current_weights(self.sess))
    if (self.pack.checkpoints is not None and train_options.due(
        iteration, self.training.checkpoint_interval, self.total)):
      self._record_evaluation()
      # Per live network: records, then variables (index last).
      live = self._live()
      self.pack.checkpoints.save(
          self.sess, self.run_dirs, iteration,
          [recorder.records for recorder in self.recorders],
          self.plan.keep_checkpoints, live)
      for index in live:
        self.recorders[index].write()

  def _save_each(self, where, per_network):
    """Saves network i's arrays at where(run_dir i), for live networks with a
    run directory."""
    for index in self._live():
      if self.run_dirs[index]:
        save_restore.save_network(where(self.run_dirs[index]),
                                  per_network[index])

  def _record_evaluation(self):
    """Records the background evaluation, waiting for it if it still runs."""
    done = self.pack.evaluator.collect()
    if done is None:
      return
    evaluated, per_network = done[0], background_evaluation.per_network(done[1])
    live = self._live()
    for index in live:
      for split, values in per_network[index].items():
        self.recorders[index].add(split, evaluated, values)
    if self.progress and 'test' in per_network[0] and live:
      mean = sum(per_network[i]['test']['accuracy'] for i in live) / len(live)
      key = 'test acc' if len(self.run_dirs) == 1 else 'mean test acc'
      self.progress.update(evaluated, {key: mean},
                           force=evaluated == self.total)

  def _evaluate(self, iteration):
    """Starts the evaluations due at `iteration` (after recording the last);
    measures and records what the hooks measure now."""
    self._record_evaluation()
    hooks, live, tested = self.pack.hooks, self._live(), self._tested(iteration)
    extra = {i: hooks[i].extra_metrics for i in live
             if hooks[i].extra_metrics}
    if extra and tested:
      for index, values in sorted(self.sess.run(extra).items()):
        self.recorders[index].add('extra', iteration, values)
    for index in live:
      if hooks[index].on_record:
        hooks[index].on_record(self.sess, iteration, self.recorders[index])
    splits = sorted(self.pack.evaluator.metrics) if tested else []
    self.pack.evaluator.start(self.sess, iteration, splits)
    if self.progress and 'test' not in splits and iteration > self.start:
      self.progress.update(iteration)


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
