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
"""

import collections
import copy

import numpy as np

import tensorflow.compat.v1 as tf

from lottery_ticket.foundations import durations
from lottery_ticket.foundations import graph_data
from lottery_ticket.foundations import graph_mode  # pylint: disable=unused-import
from lottery_ticket.foundations import packed_checkpoints
from lottery_ticket.foundations import packed_evaluation
from lottery_ticket.foundations import packed_model
from lottery_ticket.foundations import paths
from lottery_ticket.foundations import progress as progress_lib
from lottery_ticket.foundations import records as records_lib
from lottery_ticket.foundations import save_restore
from lottery_ticket.foundations import session as session_lib
from lottery_ticket.foundations import trainer

_KNOWN_PARAMS = frozenset([
    'batch_size', 'test_interval', 'validate_interval', 'train_interval',
    'save_summaries', 'save_network', 'checkpoint_interval', 'save_weights_at',
    'weight_decay', 'clip_norm', 'clip_value', 'progress', 'eval_chunk_size',
    'keep_checkpoints',
])


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


def build_packed_loop(model, data, optimizers, global_step, batch_size,
                      weight_decay=0.0, clip_norm=None, clip_value=None):
  """The in-graph loop: one optimizer step of every network per row of indices.

  Each network's step is trainer.build_train_loop's, with the unpacked
  ops: its loss and accuracy (ModelBase.loss_fn, accuracy_fn), weight decay
  on its kernels, tf.clip_by_global_norm on its gradients, its optimizer's
  update. The global step advances once all networks have updated, so
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

  Returns:
    (indices placeholder [num_steps, N, batch_size], dict 'loss' and
    'accuracy' -> [N] mean training batch metrics over the steps run).
  """
  num = model.num_networks
  indices = tf.placeholder(tf.int32, [None, num, batch_size],
                           name='batch_indices')
  num_steps = tf.shape(indices)[0]
  images, labels, _ = data.splits['train']
  variables = [model.network_variables(i) for i in range(num)]

  def body(step, loss_sum, accuracy_sum):
    # As in trainer.build_train_loop: reads follow the previous step's update.
    with tf.control_dependencies([step]):
      rows = tf.unstack(tf.gather(indices, step))
      logits = model.unfold(model.apply(model.fold(
          [tf.gather(images, r) for r in rows])))
      losses, accuracies, objectives = [], [], []
      for index in range(num):
        batch_labels = tf.gather(labels, rows[index])
        losses.append(model.loss_fn(batch_labels, logits[index]))
        accuracies.append(model.accuracy_fn(batch_labels, logits[index]))
        objective = losses[-1]
        if weight_decay:
          objective += weight_decay * tf.add_n(
              [tf.nn.l2_loss(w) for w in model.network_kernels(index).values()])
        objectives.append(objective)
      # Network i's objective depends on its own variables only: the
      # gradient of the sum is each network's own gradient.
      flat = tf.gradients(tf.add_n(objectives),
                          [v for own in variables for v in own])
      updates = []
      for index in range(num):
        size = len(variables[index])
        grads, flat = flat[:size], flat[size:]
        if clip_norm:
          grads, _ = tf.clip_by_global_norm(grads, clip_norm)
        if clip_value:
          grads = [tf.clip_by_value(g, -clip_value, clip_value) for g in grads]
        updates.append(optimizers[index].apply_gradients(
            zip(grads, variables[index])))
      with tf.control_dependencies(updates):
        advanced = global_step.assign_add(1)
      with tf.control_dependencies([advanced]):
        return (step + 1, loss_sum + tf.stack(losses),
                accuracy_sum + tf.stack(accuracies))

  _, loss_sum, accuracy_sum = tf.while_loop(
      lambda step, *_: step < num_steps, body,
      (tf.constant(0), tf.zeros([num]), tf.zeros([num])),
      parallel_iterations=1)
  count = tf.maximum(tf.cast(num_steps, tf.float32), 1.0)
  return indices, {'loss': loss_sum / count, 'accuracy': accuracy_sum / count}


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


def _check(members, params):
  unknown = sorted(set(params) - _KNOWN_PARAMS)
  if unknown:
    raise ValueError('Unknown training parameter(s) of a pack: {}'.format(
        ', '.join(unknown)))
  if not members:
    raise ValueError('a pack needs at least one member')
  members = [m if isinstance(m, Member) else Member(**m) for m in members]
  dirs = [m.output_dir for m in members if m.output_dir]
  if len(set(dirs)) != len(dirs):
    raise ValueError('members of a pack share an output directory: {}'.format(
        ', '.join(sorted(d for d in set(dirs) if dirs.count(d) > 1))))
  return members


def train_packed(dataset, hyperparameters, members, optimizer_fn, training_len,
                 model_class=None, **params):
  """Trains N networks of one architecture together, each as trainer.train would.

  Args:
    dataset: a DatasetBase, held in the graph once for all networks.
    hyperparameters: the architecture, as ModelFc or ModelConv take it.
    members: a list of Member (or dicts of its fields), one per network.
    optimizer_fn: callable returning a tf.compat.v1.train.Optimizer (sgd,
      momentum, adam or rmsprop; its learning rate may follow the global
      step, which exists when it is called), as for trainer.train.
    training_len: ('iterations', N), ('epochs', N) or '500it' etc.
    model_class: model_fc.ModelFc or model_conv.ModelConv (default: the
      one `hyperparameters` are for).
    **params: as trainer.train takes them, for every network: batch_size,
      test_interval, validate_interval, train_interval, save_summaries,
      save_network, checkpoint_interval, save_weights_at, weight_decay,
      clip_norm (per network), clip_value, progress (one label for the
      pack), eval_chunk_size, keep_checkpoints. Checkpoints are written
      (and a re-run resumes) only when every member has an output_dir.

  Returns:
    A list with, per member, (initial_weights, final_weights): dicts of
    effective kernels and biases, as trainer.train returns them.

  Raises:
    ValueError: for unknown params, a bad training length or batch size,
      bad masks or presets, or members sharing an output directory.
  """
  members = _check(members, params)
  model_class = model_class or packed_model.model_class(hyperparameters)
  batch_size = int(params.get('batch_size') or trainer.DEFAULT_BATCH_SIZE)
  total = durations.to_iterations(training_len,
                                  dataset.steps_per_epoch(batch_size))
  dataset.train_order(0, 0, batch_size)  # refuses a batch larger than the data
  run_dirs = [m.output_dir for m in members]
  checkpointing = bool(params.get('checkpoint_interval')) and all(run_dirs)
  start = packed_checkpoints.common_iteration(run_dirs) if checkpointing else 0
  starting = ([initial_values(model_class, hyperparameters, dataset, m)
               for m in members] if start == 0 else None)

  graph = tf.Graph()
  with graph.as_default():
    pack = _PackGraph(dataset, hyperparameters, model_class, len(members),
                      optimizer_fn, batch_size, checkpointing, params)
  graph.finalize()
  with session_lib.new_session(graph) as sess:
    pack.initialize(sess)
    run = _PackRun(sess, pack, members, _orders(dataset, members), total,
                   batch_size, params)
    return run.train(start, starting)


class _PackGraph(object):
  """Everything a pack's session runs: data, model, loop, evaluation, saving."""

  def __init__(self, dataset, hyperparameters, model_class, num_networks,
               optimizer_fn, batch_size, checkpointing, params):
    self.data = graph_data.GraphData(dataset)
    global_step = tf.train.get_or_create_global_step()
    inputs, labels = dataset.placeholders()
    self.model = packed_model.packed_class(model_class)(
        num_networks, hyperparameters, inputs, labels)
    optimizers = create_optimizers(self.model, optimizer_fn)
    self.indices, self.train_metrics = build_packed_loop(
        self.model, self.data, optimizers, global_step, batch_size,
        weight_decay=params.get('weight_decay') or 0.0,
        clip_norm=params.get('clip_norm'), clip_value=params.get('clip_value'))
    self.evaluator = packed_evaluation.PackedEvaluator(
        self.model, self.data, params.get('eval_chunk_size') or 10000)
    self.checkpoints = (packed_checkpoints.PackedCheckpoints(num_networks)
                        if checkpointing else None)
    self.loader = _Loader(tf.global_variables())
    self._initializers = [tf.global_variables_initializer(),
                          self.evaluator.initializer]

  def initialize(self, sess):
    sess.run(self._initializers)
    self.data.initialize(sess)


class _PackRun(object):
  """trainer.train's schedule of training, evaluation and saving, per network."""

  def __init__(self, sess, pack, members, orders, total, batch_size, params):
    self.sess = sess
    self.pack = pack
    self.run_dirs = [m.output_dir for m in members]
    self.orders = orders
    self.total = total
    self.batch_size = batch_size
    self.params = params
    self.test_interval = params.get('test_interval')
    self.validate_interval = params.get('validate_interval', self.test_interval)
    self.train_interval = params.get('train_interval') or self.test_interval or total
    self.checkpoint_interval = params.get('checkpoint_interval')
    self.save_weights_at = sorted(int(k) for k in
                                  params.get('save_weights_at') or ())
    self.save_network = params.get('save_network', True)
    self.recorders = [records_lib.Recorder(d, params.get('save_summaries'))
                      for d in self.run_dirs]
    self.progress = None

  def train(self, start, starting_values):
    """Trains from `start` (0, or a checkpoint's iteration) to the end."""
    model = self.pack.model
    if start == 0:
      self.pack.loader.load(self.sess, {
          packed_model.prefix(i) + name: value
          for i, values in enumerate(starting_values)
          for name, value in values.items()})
      initial = model.split_current_weights(self.sess)
      self._save_each(paths.initial, initial, self.save_network)
    else:
      self._resume(start)
      initial = [save_restore.restore_network(paths.initial(d))
                 for d in self.run_dirs]
    if self.params.get('progress'):
      self.progress = progress_lib.Progress(self.params['progress'], self.total,
                                            start)
    if start == 0:
      self._evaluate(0)
      if 0 in self.save_weights_at:
        self._save_each(lambda d: paths.rewind(d, 0), initial)

    iteration = start
    for boundary in trainer._boundaries(self.total, self.params):  # pylint: disable=protected-access
      if boundary > iteration:
        iteration = self._train_to(iteration, boundary)

    self._record_evaluation()
    final = model.split_current_weights(self.sess)
    self._show(self.total, force=True)
    self._save_each(paths.final, final, self.save_network)
    self._save_each(paths.masks, model.split_current_masks(self.sess),
                    self.save_network)
    for recorder in self.recorders:
      recorder.write()
      recorder.close()
    return list(zip(initial, final))

  def _train_to(self, iteration, boundary):
    """Trains to `boundary`, then records, evaluates and saves what is due."""
    while iteration < boundary:
      steps = min(boundary - iteration, trainer.MAX_CHUNK)
      order = np.stack([o.train_order(iteration, steps, self.batch_size)
                        for o in self.orders], axis=1)
      metrics = self.sess.run(self.pack.train_metrics,
                              {self.pack.indices: order})
      iteration += steps
      if iteration < boundary:
        self._show(iteration)
    if _due(iteration, self.train_interval, self.total):
      for index, recorder in enumerate(self.recorders):
        recorder.add('train', iteration,
                     {k: v[index] for k, v in metrics.items()})
    self._evaluate(iteration)
    self._show(iteration)
    if iteration in self.save_weights_at:
      self._save_each(lambda d: paths.rewind(d, iteration),
                      self.pack.model.split_current_weights(self.sess))
    if (self.pack.checkpoints is not None and
        _due(iteration, self.checkpoint_interval, self.total)):
      self._record_evaluation()
      self._checkpoint(iteration)
    return iteration

  def _save_each(self, where, per_network, enabled=True):
    """Saves network i's arrays at where(run_dir i), for networks with a dir."""
    if not enabled:
      return
    for run_dir, values in zip(self.run_dirs, per_network):
      if run_dir:
        save_restore.save_network(where(run_dir), values)

  def _show(self, iteration, force=False):
    if self.progress:
      accuracies = [r.latest('test', 'accuracy') for r in self.recorders]
      known = [a for a in accuracies if a is not None]
      self.progress.update(iteration, {
          'mean test acc': sum(known) / len(known) if known else None},
                           force=force)

  def _record_evaluation(self):
    """Records the background evaluation, waiting for it if it still runs."""
    done = self.pack.evaluator.collect()
    if done is not None:
      iteration, per_network = done
      for recorder, splits in zip(self.recorders, per_network):
        for split, values in splits.items():
          recorder.add(split, iteration, values)

  def _evaluate(self, iteration):
    """Starts the evaluations due at `iteration` (after recording the last)."""
    self._record_evaluation()
    due = {'test': self.test_interval, 'validate': self.validate_interval}
    self.pack.evaluator.start(
        self.sess, iteration, [split for split in self.pack.evaluator.splits
                               if _due(iteration, due[split], self.total)])

  def _checkpoint(self, iteration):
    """Per network: records, then variables (index last), as trainer.train."""
    for run_dir, recorder in zip(self.run_dirs, self.recorders):
      save_restore.write_json(
          packed_checkpoints.records_path(run_dir, iteration), recorder.records)
    self.pack.checkpoints.save(self.sess, self.run_dirs, iteration,
                               self.params.get('keep_checkpoints', 2))
    for recorder in self.recorders:
      recorder.write()

  def _resume(self, iteration):
    """Restores every network's checkpoint and records of `iteration`."""
    self.pack.loader.load(self.sess, self.pack.checkpoints.read(self.run_dirs,
                                                                iteration))
    for run_dir, recorder in zip(self.run_dirs, self.recorders):
      recorder.records = save_restore.read_json(
          packed_checkpoints.records_path(run_dir, iteration))
      recorder.truncate(iteration)


def _due(iteration, interval, total):
  return trainer._due(iteration, interval, total)  # pylint: disable=protected-access
