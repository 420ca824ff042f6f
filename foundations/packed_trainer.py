"""train_packed(): N networks of one architecture trained together, each as alone.

A lottery experiment trains many networks of one architecture for the same
number of steps: the trials of a level, the controls on the same masks.
One small network per process pays a loop, a `session.run` and a record
point per step for little work, and its step is a chain of small ops, one
at a time; a pack of N networks in one graph (packed_model.py) pays those
once for all of them, and the N networks' ops run side by side on the
cores.

Each network of a pack keeps everything it would have alone: its
initialisation (drawn by the unpacked model's own code in a throwaway graph
seeded as the runners seed it), its masks and presets, its data order (its
own order seed), and its outputs: records, checkpoints, initial/ final/
masks/ and weights_at/ in its own run directory, in trainer.train's
formats. The loop is trainer.train's: the dataset is in the graph once, a
`tf.while_loop` runs up to MAX_CHUNK steps per `session.run`, evaluation
overlaps training in a second thread. Every network's numbers are bit-
identical to those of trainer.train on the same network (the tests check
it for every optimizer, with masks, presets, weight decay and clipping).

Each network has its own optimizer, as it would alone (create_optimizers);
all of them read the one global step, which advances once every network
has taken its step, so a learning-rate schedule gives them the same rate.

Each network may also have its own training hooks (trainer.Hooks: a mask
update after each step, measurements at the record points), built by
`build_hooks` once per network on a view of that network with the unpacked
model's interface (packed_model.NetworkView) and its optimizer, so the code
that builds a run's hooks alone builds them in a pack; what they record goes
into that network's own records, at the points trainer.train records it.
"""

import collections
import copy
import dataclasses
import os

import numpy as np

import tensorflow.compat.v1 as tf

from lottery_ticket.foundations import checkpoint_files
from lottery_ticket.foundations import durations
from lottery_ticket.foundations import finite
from lottery_ticket.foundations import graph_data
from lottery_ticket.foundations import graph_mode  # pylint: disable=unused-import
from lottery_ticket.foundations import objective
from lottery_ticket.foundations import packed_checkpoints
from lottery_ticket.foundations import packed_evaluation
from lottery_ticket.foundations import packed_model
from lottery_ticket.foundations import paths
from lottery_ticket.foundations import progress as progress_lib
from lottery_ticket.foundations import records as records_lib
from lottery_ticket.foundations import save_restore
from lottery_ticket.foundations import session as session_lib
from lottery_ticket.foundations import train_options
from lottery_ticket.foundations import trainer

class Member(collections.namedtuple(
    'Member', ['output_dir', 'init_seed', 'order_seed', 'masks', 'presets'])):
  """One network of a pack.

  Fields:
    output_dir: its run directory (None: it writes nothing).
    init_seed: the graph seed its unpacked run sets before building the model
      (the runners set config.seed * 1000 + init_stream; None: unseeded).
    order_seed: the seed of its training order (None: the dataset's own
      train_order_seed).
    masks: dict layer -> 0/1 array, as ModelBase takes them (None: dense).
    presets: dict layer -> initial kernel, `<layer>_bias` -> initial bias.
  """
  __slots__ = ()

  def __new__(cls, output_dir=None, init_seed=0, order_seed=None, masks=None,
              presets=None):
    return super(Member, cls).__new__(cls, output_dir, init_seed, order_seed,
                                      masks, presets)


def initial_values(model_class, hyperparameters, dataset, member):
  """The variables' initial values that `member` would start from alone.

  Builds the unpacked model in a throwaway graph exactly as the runners do
  (placeholders, then the graph seed, then the model), so the random
  initialisers draw the same numbers; masks and presets are checked there.

  Returns:
    dict variable name (model/layer0_w, model/layer0_m, model/layer0_b, ...)
    -> numpy array.
  """
  with tf.Graph().as_default() as graph:
    inputs, labels = dataset.placeholders()
    if member.init_seed is not None:
      tf.set_random_seed(int(member.init_seed))
    model = model_class(hyperparameters, inputs, labels,
                        presets=member.presets, masks=member.masks)
    variables = model.trainable_variables + list(model.masks.values())
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
    feeds, ops = {}, []
    for name, value in values.items():
      placeholder, op = self._assign[name]
      feeds[placeholder] = value
      ops.append(op)
    sess.run(ops, feeds)


def create_optimizers(model, optimizer_fn):
  """One optimizer per network, its state created under the network's prefix.

  Each network has its own optimizer, as it would alone: its slots sit
  beside its variables (network3/model/layer0_w/Adam) and its other state
  under its prefix (network3/beta1_power), so every name maps back to the
  unpacked one. They all read the one global step.
  """
  out = []
  for index in range(model.num_networks):
    optimizer = optimizer_fn()
    variables = model.network_variables(index)
    with tf.name_scope(packed_model.prefix(index)):
      optimizer.apply_gradients(zip([tf.zeros_like(v) for v in variables],
                                    variables))
    out.append(optimizer)
  return out


def network_hooks(model, optimizers, build_hooks=None):
  """Each network's trainer.Hooks, built in its own variable scope.

  build_hooks(index, view, optimizer) runs under the variable scope
  network{index}, so the variables a hook creates (a mask updater's
  history) are network i's, named as alone after the prefix: they are
  checkpointed with the network's and restored with them.

  Raises:
    TypeError: if build_hooks returns something other than trainer.Hooks.
  """
  if build_hooks is None:
    return [trainer.Hooks() for _ in optimizers]
  out = []
  for index, optimizer in enumerate(optimizers):
    with tf.variable_scope(packed_model.prefix(index).rstrip('/')):
      out.append(train_options.checked_hooks(build_hooks(
          index, packed_model.NetworkView(model, index), optimizer)))
  return out


class _StepAfterUpdate(object):
  """The global step as a network's after_step hook reads it alone.

  Alone, the optimizer's update advances the global step and the hook reads
  the advanced value; in a pack the step advances once every network has
  updated, so network i's hook reads the step + 1.
  """

  def __init__(self, global_step):
    self._global_step = global_step

  def read_value(self):
    return self._global_step.read_value() + 1


@dataclasses.dataclass
class PackedLoop(object):
  """Handles of a pack's in-graph training loop (see trainer.TrainLoop).

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
  indices: tf.Tensor
  metrics: dict
  first_bad_step: tf.Tensor
  weights_finite: tf.Tensor


def build_packed_loop(model, data, optimizers, global_step, batch_size,
                      weight_decay=0.0, clip_norm=None, clip_value=None,
                      lanes=None, after_steps=None):
  """The in-graph loop: one optimizer step of every network per row of indices.

  Each network's step is trainer.build_train_loop's, with the unpacked
  ops: its loss and accuracy (ModelBase.loss_fn, accuracy_fn), its
  gradients as objective.gradients takes them (weight decay on its kernels,
  clipping), its optimizer's update. The global step advances once all networks have updated, so
  every network's learning rate reads the same step.

  Args:
    model: a packed model (its variables already exist).
    data: GraphData.
    optimizers: one tf.compat.v1.train.Optimizer per network
      (create_optimizers).
    global_step: the int64 step variable, incremented by every step.
    batch_size: examples per step and network.
    weight_decay: L2 coefficient on the kernels (0.5 * wd * sum w^2).
    clip_norm: clip each network's gradients to this global norm.
    clip_value: clip every gradient to [-clip_value, clip_value].
    lanes: how many networks' steps may be in flight at once (None: all).
      Network i starts its step once network i - lanes has updated, so the
      working sets of only `lanes` networks (weights, slots, gradients:
      about 7 MB each for LeNet-300-100 with Adam) compete for the cache
      while `lanes` threads stay busy: 4% less CPU per network-step than
      all eight of a pack of 8 at once.
    after_steps: optional per network, callable(global_step) -> op or None,
      built into its step after its update as trainer.build_train_loop
      builds after_step (the step it reads is the one after the update).

  Returns:
    a PackedLoop.
  """
  num = model.num_networks
  indices = tf.placeholder(tf.int32, [None, num, batch_size],
                           name='batch_indices')
  num_steps = tf.shape(indices)[0]
  images, labels, _ = data.splits['train']
  variables = [model.network_variables(i) for i in range(num)]
  after_steps = list(after_steps or [None] * num)
  step_after_update = _StepAfterUpdate(global_step)

  def body(step, loss_sum, accuracy_sum, first_bad):
    rows = tf.unstack(tf.gather(indices, step))
    losses, accuracies, updates = [], [], []
    for index in range(num):
      # As in trainer.build_train_loop, reads follow the previous step's
      # update; in a lane, also the update of the lane's previous network.
      after = [step] + ([updates[index - lanes]]
                        if lanes and index >= lanes else [])
      with tf.control_dependencies(after):
        batch_labels = tf.gather(labels, rows[index])
        logits = model.apply(tf.gather(images, rows[index]), network=index)
        losses.append(model.loss_fn(batch_labels, logits))
        accuracies.append(model.accuracy_fn(batch_labels, logits))
        grads = objective.gradients(
            losses[-1], model.network_kernels(index).values(),
            variables[index], weight_decay, clip_norm, clip_value)
        update = optimizers[index].apply_gradients(
            zip(grads, variables[index]))
        if after_steps[index] is not None:
          with tf.control_dependencies([update]):
            extra = after_steps[index](step_after_update)
          if extra is not None:
            update = tf.group(update, extra)
        updates.append(update)
    with tf.control_dependencies(updates):
      advanced = global_step.assign_add(1)
    with tf.control_dependencies([advanced]):
      losses, accuracies = tf.stack(losses), tf.stack(accuracies)
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
    weights_finite = tf.stack([
        tf.reduce_all(tf.stack([tf.reduce_all(tf.math.is_finite(
            v.read_value())) for v in own])) for own in variables])
  count = tf.maximum(tf.cast(steps_run, tf.float32), 1.0)
  return PackedLoop(indices, {'loss': loss_sum / count,
                              'accuracy': accuracy_sum / count},
                    first_bad, weights_finite)


class PackDiverged(finite.NonFiniteError):
  """Some networks of a pack diverged; the others trained to the end.

  A diverged network stops where trainer.train would have stopped it: its
  records so far are written, its network is not saved. The other networks
  finish and write everything.

  Attributes:
    errors: dict member index -> the NonFiniteError trainer.train would
      have raised for that network.
    results: per member, (initial_weights, final_weights), or None for a
      diverged one.
  """

  def __init__(self, errors, results, run_dirs):
    self.errors = dict(errors)
    self.results = list(results)
    super(PackDiverged, self).__init__('; '.join(
        '{}: {}'.format(run_dirs[i] or 'network {}'.format(i), error)
        for i, error in sorted(self.errors.items())))


def lanes():
  """Networks in flight at once: the session's inter-op threads (or cores)."""
  threads = session_lib.session_config().inter_op_parallelism_threads
  return threads or os.cpu_count() or 1


def _orders(dataset, members):
  """Per network, an object whose train_order is that network's order.

  A shallow copy of the dataset with another order seed computes the order
  by the dataset's own code and shares its arrays.
  """
  out = []
  for member in members:
    if member.order_seed is None:
      out.append(dataset)
    else:
      view = copy.copy(dataset)
      view.train_order_seed = int(member.order_seed)
      out.append(view)
  return out


def _check(members, options):
  """Members as Member tuples; options as TrainOptions, hooks refused."""
  options = trainer.TrainOptions() if options is None else options
  if not isinstance(options, trainer.TrainOptions):
    raise TypeError('options must be a trainer.TrainOptions, got {!r}'.format(
        type(options).__name__))
  if options.build_hooks is not None:
    raise ValueError('a pack builds hooks per network: give '
                     'train_packed(build_hooks=...), not TrainOptions.'
                     'build_hooks')
  if not members:
    raise ValueError('a pack needs at least one member')
  members = [m if isinstance(m, Member) else Member(**m) for m in members]
  dirs = [m.output_dir for m in members if m.output_dir]
  if len(set(dirs)) != len(dirs):
    raise ValueError('members of a pack share an output directory: {}'.format(
        ', '.join(sorted(d for d in set(dirs) if dirs.count(d) > 1))))
  return members, options


def train_packed(dataset, hyperparameters, members, optimizer_fn, training_len,
                 options=None, model_class=None, build_hooks=None):
  """Trains N networks of one architecture together, each as trainer.train would.

  Args:
    dataset: a DatasetBase, held in the graph once for all networks.
    hyperparameters: the architecture, as ModelFc or ModelConv take it.
    members: a list of Member (or dicts of its fields), one per network.
    optimizer_fn: callable returning a tf.compat.v1.train.Optimizer, called
      once per network once the global step exists, as for trainer.train.
    training_len: ('iterations', N), ('epochs', N) or '500it' etc.
    options: a trainer.TrainOptions, the same for every network (default:
      TrainOptions()); clip_norm clips each network's own gradients; the
      progress label names the pack; its build_hooks is refused (see
      `build_hooks` below). Checkpoints
      are written (and a re-run resumes) only when every member has an
      output_dir.
    model_class: the ModelBase subclass each network is, built as
      model_class(hyperparameters, inputs, labels, presets=, masks=)
      (default: ModelFc or ModelConv, whichever `hyperparameters` are for).
    build_hooks: optional callable(index, network, optimizer) ->
      trainer.Hooks: member `index`'s hooks, built on `network` (a
      packed_model.NetworkView) and its own optimizer (see network_hooks).

  Returns:
    A list with, per member, (initial_weights, final_weights): dicts of
    effective kernels and biases, as trainer.train returns them.

  Raises:
    ValueError: for a bad training length or batch size, bad masks or
      presets, TrainOptions.build_hooks, or members sharing an output
      directory.
    PackDiverged: (a NonFiniteError) when some networks diverged, after the
      others finished; it holds every member's result.
    save_restore.WriteError: when an output or checkpoint cannot be written.
    TypeError: if `options` is not a TrainOptions.
  """
  members, options = _check(members, options)
  model_class = model_class or packed_model.model_class(hyperparameters)
  total = durations.to_iterations(training_len,
                                  dataset.steps_per_epoch(options.batch_size))
  dataset.train_order(0, 0, options.batch_size)  # refuses too large a batch
  run_dirs = [m.output_dir for m in members]
  checkpointing = bool(options.checkpoint_interval) and all(run_dirs)
  for run_dir in filter(None, run_dirs):
    trainer.remove_stale_temporaries(run_dir)
  resumed = (checkpoint_files.latest_usable(run_dirs, progress_lib.notice,
                                            options.keep_checkpoints)
             if checkpointing and all(os.path.isdir(paths.initial(d))
                                      for d in run_dirs) else 0)
  starting = ([initial_values(model_class, hyperparameters, dataset, m)
               for m in members] if not resumed else None)

  graph = tf.Graph()
  with graph.as_default():
    pack = _PackGraph(dataset, hyperparameters, model_class, len(members),
                      optimizer_fn, checkpointing, options, build_hooks)
  graph.finalize()
  with session_lib.new_session(graph) as sess:
    pack.initialize(sess)
    run = _PackRun(sess, pack, members, _orders(dataset, members), total,
                   options)
    try:
      return run.train(resumed, starting)
    finally:
      run.close()


class _PackGraph(object):
  """Everything a pack's session runs: data, model, loop, evaluation, saving."""

  def __init__(self, dataset, hyperparameters, model_class, num_networks,
               optimizer_fn, checkpointing, options, build_hooks):
    self.data = graph_data.GraphData(dataset)
    global_step = tf.train.get_or_create_global_step()
    inputs, labels = dataset.placeholders()
    self.model = packed_model.packed_class(model_class)(
        num_networks, hyperparameters, inputs, labels)
    optimizers = create_optimizers(self.model, optimizer_fn)
    self.hooks = network_hooks(self.model, optimizers, build_hooks)
    self.loop = build_packed_loop(
        self.model, self.data, optimizers, global_step, options.batch_size,
        weight_decay=options.weight_decay, clip_norm=options.clip_norm,
        clip_value=options.clip_value, lanes=lanes(),
        after_steps=[h.after_step for h in self.hooks])
    self.evaluator = packed_evaluation.evaluator(
        self.model, self.data, options.eval_chunk_size)
    self.checkpoints = (packed_checkpoints.PackedCheckpoints(num_networks)
                        if checkpointing else None)
    self.loader = _Loader(tf.global_variables())
    self._initializers = [tf.global_variables_initializer(),
                          self.evaluator.initializer]

  def initialize(self, sess):
    sess.run(self._initializers)
    self.data.initialize(sess)


class _PackRun(object):
  """trainer.train's schedule of training, evaluation and saving, per network.

  A network that diverges leaves the schedule (its records are written)
  while the others go on.
  """

  def __init__(self, sess, pack, members, orders, total, options):
    self.sess = sess
    self.pack = pack
    self.run_dirs = [m.output_dir for m in members]
    self.orders = orders
    self.total = total
    self.options = options
    self.recorders = [records_lib.Recorder(d, options.save_summaries)
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

  def train(self, resumed, starting_values):
    """Trains from the start (or `resumed`) to the end; returns the results."""
    initial = self._begin(resumed, starting_values)
    iteration = self.start
    for boundary in self.options.boundaries(self.total):
      if boundary > iteration:
        iteration = self._train_to(iteration, boundary)
        self._at_boundary(iteration)
    self._record_evaluation()
    final = self.pack.model.split_current_weights(self.sess)
    if self.progress and self.progress.last_printed != self.total:
      self.progress.update(self.total, force=True)
    live = self._live()
    if self.options.save_network:
      self._save_each(paths.final, final, live)
      self._save_each(paths.masks,
                      self.pack.model.split_current_masks(self.sess), live)
    for index in live:
      self.recorders[index].write()
    results = [(initial[i], final[i]) if i in live else None
               for i in range(len(self.run_dirs))]
    if self.errors:
      raise PackDiverged(self.errors, results, self.run_dirs)
    return results

  def _begin(self, resumed, starting_values):
    """Resumes or starts; returns every network's initial weights."""
    options = self.options
    if resumed:
      self._resume(resumed)
    else:
      self.pack.loader.load(self.sess, {
          packed_model.prefix(i) + name: value
          for i, values in enumerate(starting_values)
          for name, value in values.items()})
    self.start = resumed or options.first_iteration
    if not resumed and self.start >= self.total:
      raise ValueError('training starts at iteration {} but lasts {} '
                       'iterations'.format(self.start, self.total))
    if not resumed and self.start:
      self.pack.loader.load(self.sess, {
          tf.train.get_global_step(self.sess.graph).op.name: self.start})
    for hooks in self.pack.hooks:
      if hooks.on_start:
        hooks.on_start(self.sess)
    if options.progress:
      self.progress = progress_lib.Progress(options.progress, self.total,
                                            self.start)
      if resumed:
        progress_lib.notice('{}: resumed at iteration {} of {} from its '
                            'latest checkpoint{}'.format(
                                options.progress, self.start, self.total,
                                's' if len(self.run_dirs) > 1 else ''))
    if resumed:
      return [save_restore.restore_network(paths.initial(d))
              for d in self.run_dirs]
    initial = self.pack.model.split_current_weights(self.sess)
    if options.save_network:
      self._save_each(paths.initial, initial)
    self._evaluate(self.start)
    if self.start in options.save_weights_at:
      self._save_each(lambda d: paths.rewind(d, self.start), initial)
    return initial

  def _train_to(self, iteration, boundary):
    """Runs the steps up to `boundary`, in chunks; returns `boundary`."""
    loop = self.pack.loop
    while iteration < boundary:
      steps = min(boundary - iteration, trainer.MAX_CHUNK)
      order = np.stack([o.train_order(iteration, steps, self.options.batch_size)
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
    """Takes out the networks that diverged in these steps (see trainer)."""
    diverged = {}
    for index in self._live():
      try:
        finite.check_steps(first_bad[index], weights_finite[index],
                           iteration, steps)
      except finite.NonFiniteError as error:
        diverged[index] = error
    if diverged:
      self._record_evaluation()  # what trainer.train records before it stops
      for index, error in diverged.items():
        self.recorders[index].write()
        self.errors[index] = error

  def _at_boundary(self, iteration):
    """Records, evaluates, saves and checkpoints what is due at `iteration`."""
    options = self.options
    if train_options.due(iteration, options.record_interval or self.total,
                    self.total):
      for index in self._live():
        self.recorders[index].add('train', iteration, {
            key: value[index] for key, value in self.batch_metrics.items()})
    self._evaluate(iteration)
    if iteration in options.save_weights_at:
      self._save_each(lambda d: paths.rewind(d, iteration),
                      self.pack.model.split_current_weights(self.sess))
    if (self.pack.checkpoints is not None and
        train_options.due(iteration, options.checkpoint_interval,
                          self.total)):
      self._record_evaluation()
      self._checkpoint(iteration)

  def _save_each(self, where, per_network, indices=None):
    """Saves network i's arrays at where(run_dir i), for live networks with a
    run directory (or those of `indices`)."""
    for index in self._live() if indices is None else indices:
      if self.run_dirs[index]:
        save_restore.save_network(where(self.run_dirs[index]),
                                  per_network[index])

  def _record_evaluation(self):
    """Records the background evaluation, waiting for it if it still runs."""
    done = self.pack.evaluator.collect()
    if done is None:
      return
    evaluated, per_network = done[0], packed_evaluation.per_network(done[1])
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
    measures and records what the hooks measure now, as trainer.train."""
    self._record_evaluation()
    hooks, live = self.pack.hooks, self._live()
    extra = {i: hooks[i].extra_metrics for i in live
             if hooks[i].extra_metrics}
    if extra and train_options.due(iteration, self.options.test_interval,
                              self.total):
      for index, values in sorted(self.sess.run(extra).items()):
        self.recorders[index].add('extra', iteration, values)
    for index in live:
      if hooks[index].on_record:
        hooks[index].on_record(self.sess, iteration, self.recorders[index])
    due = {'test': self.options.test_interval,
           'validate': self.options.validation_interval}
    splits = [split for split in sorted(self.pack.evaluator.metrics)
              if train_options.due(iteration, due[split], self.total)]
    self.pack.evaluator.start(self.sess, iteration, splits)
    if self.progress and 'test' not in splits and iteration > self.start:
      self.progress.update(iteration)

  def _checkpoint(self, iteration):
    """Per live network: records, then variables (index last), as trainer."""
    live = self._live()
    self.pack.checkpoints.save(
        self.sess, self.run_dirs, iteration,
        [recorder.records for recorder in self.recorders],
        self.options.keep_checkpoints, live)
    for index in live:
      self.recorders[index].write()

  def _resume(self, iteration):
    """Restores every network's checkpoint and records of `iteration`."""
    self.pack.loader.load(self.sess, self.pack.checkpoints.read(self.run_dirs,
                                                                iteration))
    for run_dir, recorder in zip(self.run_dirs, self.recorders):
      recorder.records = save_restore.read_json(
          checkpoint_files.records_path(run_dir, iteration))
      recorder.truncate(iteration)
