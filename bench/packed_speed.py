"""Aggregate training speed of packs of N networks, against this machine's roofline.

LeNet-300-100 (the paper's batch of 60 and optimizer, Adam) on MNIST-shaped
random data (55,000 train / 5,000 validation / 10,000 test). For each pack
size N (1, 2, 4, 8, 16 by default) and two modes, with evaluation (the
paper's protocol: validation and test every 100 iterations) and without
(the training steps alone), it prints

  steps/s    aggregate network-steps per second of a pack of N, measured as a
             marginal rate: (steps of a long run - steps of a short run) /
             (their time difference), which cancels the set-up that a
             50,000-iteration run amortises;
  x one      that rate over a pack of one's (how every command line trains a
             lone run);
  roofline   the network-steps/s this machine could reach at best: a step
             takes at least the larger of (a) its matrix products at the
             matrix-product rate measured for that pack (its own shapes, in a
             TensorFlow loop with the library's session) and (b) the bytes it
             must move (step_bytes) at the memory bandwidth measured in the
             same run (an axpy over 256 MB arrays in TensorFlow);
  % roofline steps/s over the roofline, and which bound was the larger;
  peak RSS   the peak resident memory of the process that trained the pack.

The largest pack (8 when measured) is also run through the lottery
experiment's own code (mnist_fc's lottery_experiment, level 0 of N trials:
config.json, checks, checkpoints, records, TensorBoard summaries, progress
lines, saved networks) on the same MNIST-shaped data, written once as an
.npz and held in memory, with evaluation, and its marginal rate is compared
with the trainer's.

Every pack size is measured in a child process of its own (pass
--nochildren to measure in this one): its matrix-product rate, its training
rates and its peak resident set size (getrusage's ru_maxrss in the child,
which counts everything TensorFlow allocates, the data in the graph
included, unlike tracemalloc, which sees only Python's allocations). A pack
of 8 must stay under MEMORY_LIMIT_GIB. The lottery experiment's own path
runs in a child of its own too (it loads a second copy of the data, which
the trainer's process never holds). Without evaluation each size also times
the two halves of its step alone, the matrix products and the masked
optimizer update (update_rate), and the output ends with the pack of 8's
`... its step in two halves alone: matrix products P, masked adam update
U, one after the other S network-steps/s = Q% of the roofline` (an update
waits for its gradients: S is the fastest one loop can be), one line per
mode, `pack of 8 with evaluation: P% of the roofline, R x one network` (the
largest size measured when 8 is not), then `the lottery experiment's own
path, pack of 8: P% of the trainer's rate`, then the headline
`Frankle & Carbin's LeNet-300-100 experiment: H h at this rate, R h at the
roofline`: the paper's 15.75 M network-steps (paper_network_steps) at the
experiment path's rate and at the pack's roofline with evaluation.

  python -m lottery_ticket.bench.packed_speed [--sizes=1,2,4,8,16]
      [--iterations=2000] [--repeats=1] [--optimizer=adam]

On a machine shared with other work the rates move from run to run; the
ratios and the percentages, measured in the same run, move less.
"""

import collections
import dataclasses
import functools
import json
import os
import resource
import shutil
import sys
import tempfile
import time

import numpy as np

from lottery_ticket import command_line
from lottery_ticket.bench import train_speed
from lottery_ticket.foundations.training import optimizers
from lottery_ticket.foundations.storage import progress
from lottery_ticket.foundations.training import train_options
from lottery_ticket.mnist_fc import constants

FLOAT_BYTES = 4
MEMORY_LIMIT_GIB = 1.5
BANDWIDTH_MB = 256
MODES = (('with evaluation', True), ('without evaluation', False))
EXPERIMENT = 'lottery experiment'
_CHILD_MARK = 'packed_speed child result: '


# The call into the trainer ------------------------------------------------------


def train_pack(dataset, num_networks, iterations, optimizer, interval):
  """Trains a pack of `num_networks` LeNet-300-100 networks, writing nothing.

  The only call into the trainer: each network has its own initialisation
  and data order (seeds 0 .. N-1).

  Args:
    dataset: a DatasetBase.
    num_networks: N.
    iterations: training steps.
    optimizer: an optimizers.NAMES entry, at its default learning rate.
    interval: evaluate validation and test every this many steps (None:
      only at the first and the last step, a constant cost that the
      marginal rate cancels).
  """
  from lottery_ticket.foundations import trainer  # pylint: disable=g-import-not-at-top
  members = [trainer.Member(init_seed=seed, order_seed=seed)
             for seed in range(num_networks)]
  training = train_options.options(test_interval=interval or iterations)
  trainer.train(dataset, constants.HYPERPARAMETERS, members,
                optimizers.optimizer_fn(optimizer), ('iterations', iterations),
                training, save_network=False)


def write_npz(path, dataset):
  """Writes `dataset` as an MNIST .npz (x_train, y_train, x_test, y_test).

  The training split and the validation split go into x_train, so that
  the lottery experiment, reading it with --validate_size, holds out as
  many examples as `dataset` does. Its images must lie in [0, 1].
  """
  train, validate = dataset.train, dataset.validate
  np.savez(path,
           x_train=np.concatenate([train.images, validate.images]),
           y_train=np.concatenate([train.labels, validate.labels]),
           x_test=dataset.test.images, y_test=dataset.test.labels)


def experiment_rate(dataset, num_networks, optimizer, interval, iterations,
                    short, repeats):
  """Marginal network-steps/s of the lottery experiment's own path (pack_rate's
  measure, each run writing into a fresh directory).

  Each run is level 0 of the lottery experiment with `num_networks` trials,
  packed, from its entry point on (mnist_fc's lottery_experiment):
  config.json, its checks, the dataset read from an .npz written by
  write_npz (then held in memory), checkpoints, records, TensorBoard
  summaries, progress lines and the saved networks, at the runners'
  defaults but for the length, the optimizer and the evaluation interval.
  """
  from lottery_ticket.mnist_fc import lottery_experiment  # pylint: disable=g-import-not-at-top
  with tempfile.TemporaryDirectory(prefix='packed_speed_') as scratch:
    location = os.path.join(scratch, 'mnist.npz')
    write_npz(location, dataset)
    runs = iter(range(10**6))

    def train(unused_dataset, num, steps, unused_optimizer, unused_interval):
      output_dir = os.path.join(scratch, 'run{}'.format(next(runs)))
      lottery_experiment.lottery_experiment(
          output_dir, iterations=0, trials=num, dataset='mnist',
          data_location=location, validate_size=dataset.validate.num_examples,
          training_len='{}it'.format(steps), test_interval=interval,
          optimizer=optimizer)
      shutil.rmtree(output_dir)
    return pack_rate(dataset, num_networks, optimizer, interval, iterations,
                     short, repeats, train=train)


# Frankle & Carbin (ICLR 2019), LeNet-300-100 on MNIST: 5 trials of 21
# levels (pruning 20% per level to 1.2% of the weights), each level trained
# three ways (the lottery ticket, randomly reinitialised, randomly pruned),
# 50,000 iterations each, evaluated every 100 (train_options.TEST_INTERVAL).
PAPER_TRIALS, PAPER_LEVELS, PAPER_KINDS = 5, 21, 3
PAPER_ITERATIONS = 50000


def paper_network_steps():
  """15.75 M: the network-steps of Frankle & Carbin's LeNet-300-100 runs."""
  return PAPER_TRIALS * PAPER_LEVELS * PAPER_KINDS * PAPER_ITERATIONS


def headline(rate, roofline_rate):
  """`Frankle & Carbin's LeNet-300-100 experiment: H h at this rate, R h at
  the roofline`, from two network-steps/s (with the paper's evaluation)."""
  return ('Frankle & Carbin\'s LeNet-300-100 experiment: {:.1f} h at this '
          'rate, {:.1f} h at the roofline'.format(
              paper_network_steps() / rate / 3600,
              paper_network_steps() / roofline_rate / 3600))


# The model of a step ------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Step:
  """One training step of one network, as the roofline counts it.

  Attributes:
    widths: the input width, then each layer's units (784, 300, 100, 10).
    batch: training examples per step.
    slots: the optimizer's arrays per variable (SGD 0, momentum 1, Adam 2).
    eval_splits: the sizes of the splits evaluated at each evaluation
      (validation, test; empty: none).
    interval: steps between two evaluations.
    eval_chunk: the most examples evaluated at once (None: the trainer's).
  """
  widths: tuple
  batch: int
  slots: int
  eval_splits: tuple = ()
  interval: int = train_options.TEST_INTERVAL
  eval_chunk: int = None

  @property
  def layers(self):
    """(inputs, units) of each layer."""
    return list(zip(self.widths[:-1], self.widths[1:]))

  @property
  def eval_examples(self):
    """Examples evaluated at each evaluation."""
    return sum(self.eval_splits)

  @property
  def eval_rows(self):
    """Evaluation examples per training step (amortised)."""
    return self.eval_examples / self.interval


def step_flops(step):
  """Floating-point operations of one network's step, by term.

  Every term is matrix products (2 operations per multiply-add); the
  element-wise work is left to the byte count.

    forward            2 B sum(in x out): the batch through every layer;
    weight gradients   2 B sum(in x out): inputs' transpose x output gradients;
    input gradients    2 B sum(in x out) over all layers but the first (the
                       input images need no gradient);
    evaluation         2 E/I sum(in x out): E examples through every layer
                       every I steps, amortised per step.

  Returns:
    an OrderedDict term -> operations.
  """
  products = sum(n * m for n, m in step.layers)
  return collections.OrderedDict([
      ('forward', 2 * step.batch * products),
      ('weight gradients', 2 * step.batch * products),
      ('input gradients', 2 * step.batch * (products - step.layers[0][0] *
                                            step.layers[0][1])),
      ('evaluation', 2 * step.eval_rows * products),
  ])


def step_bytes(step):
  """Bytes one network's step must move to or from memory, by term.

  With P the kernels' entries (sum in x out), Q the biases' (sum out), B
  the batch, S the optimizer's slots, E examples (its splits cut in
  chunks of at most C) evaluated every I steps, and float32 (4 bytes)
  throughout:

    batch gather       read and write the batch's input rows: 2 B in_0;
    forward            read the kernels and biases (P + Q), each
                       layer's inputs (B sum in), write its outputs
                       (B sum out);
    weight gradients   read each layer's inputs and output gradients
                       (B sum in + B sum out), write the kernel and bias
                       gradients (P + Q);
    input gradients    all layers but the first: read the masked kernel
                       and the output gradients, write the input gradients;
    masked gradients   read gradient and mask, write their product: 3 P
                       (the step computes with the kernels alone, which
                       are 0 where masked, so the mask is applied once, to
                       the gradients, not also to the kernels);
    optimizer          read variable, gradient and S slots, write variable
                       and S slots: (3 + 2 S)(P + Q);
    evaluation         per evaluation, copy weights, biases and masks into
                       the snapshot (2 (2 P + Q)), and per chunk the mask
                       product (3 P) and the masked kernels and biases
                       (P + Q); read the E input rows, write and read
                       every layer's outputs (2 E sum out); amortised over
                       I steps.

  The element-wise passes of the activations and the loss (a few B x out
  each, small beside P) are left out. Every pass is counted as if nothing
  stayed in cache between ops: for a
  small pack whose working set fits in the cache this overstates the
  traffic, so the memory bound is pessimistic there.

  Returns:
    an OrderedDict term -> bytes.
  """
  layers = step.layers
  p = sum(n * m for n, m in layers)
  q = sum(m for _, m in layers)
  b = step.batch
  ins, outs = sum(n for n, _ in layers), sum(m for _, m in layers)
  hidden = layers[1:]
  terms = collections.OrderedDict([
      ('batch gather', 2 * b * step.widths[0]),
      ('forward', p + q + b * ins + b * outs),
      ('weight gradients', b * ins + b * outs + p + q),
      ('input gradients', sum(n * m + b * m + b * n for n, m in hidden)),
      ('masked gradients', 3 * p),
      ('optimizer', (3 + 2 * step.slots) * (p + q)),
  ])
  evaluation = 0
  if step.eval_examples:
    from lottery_ticket.foundations import trainer  # pylint: disable=g-import-not-at-top
    chunk = step.eval_chunk or trainer.DEFAULT_EVAL_CHUNK_SIZE
    chunks = sum(-(-size // chunk) for size in step.eval_splits)
    evaluation = (2 * (2 * p + q) + chunks * (3 * p + p + q) +
                  step.eval_examples * (step.widths[0] + 2 * outs))
  terms['evaluation'] = evaluation / step.interval
  return collections.OrderedDict((k, FLOAT_BYTES * v) for k, v in terms.items())


def roofline(num_networks, step, flop_rate, bandwidth):
  """The best network-steps/s of a pack of N, and the bound that sets it.

  Args:
    num_networks: N.
    step: a Step.
    flop_rate: matrix-product operations per second for this pack.
    bandwidth: bytes per second.

  Returns:
    (network-steps per second, 'matmul' or 'memory').
  """
  products = num_networks * sum(step_flops(step).values()) / flop_rate
  moving = num_networks * sum(step_bytes(step).values()) / bandwidth
  return num_networks / max(products, moving), (
      'matmul' if products >= moving else 'memory')


def optimizer_slots(optimizer):
  """How many slot arrays `optimizer` keeps per variable (Adam: m and v)."""
  import tensorflow.compat.v1 as tf  # pylint: disable=g-import-not-at-top
  from lottery_ticket.foundations.training import graph_mode  # pylint: disable=g-import-not-at-top,unused-import
  with tf.Graph().as_default():
    variable = tf.Variable(tf.zeros([2]))
    instance = optimizers.optimizer_fn(optimizer)()
    instance.minimize(tf.reduce_sum(variable * variable), var_list=[variable])
    return len(instance.get_slot_names())


def lenet_step(dataset, optimizer, evaluated,
               interval=train_options.TEST_INTERVAL):
  """The Step of LeNet-300-100 on `dataset` at the runners' defaults,
  evaluated (if `evaluated`) every `interval` steps."""
  widths = (int(np.prod(dataset.input_shape)),) + tuple(
      units for units, _ in constants.HYPERPARAMETERS['layers'])
  splits = tuple(split.num_examples for split in (dataset.validate,
                                                  dataset.test) if split)
  return Step(widths, train_options.BATCH_SIZE, optimizer_slots(optimizer),
              eval_splits=splits if evaluated else (), interval=interval)


# Measurements -------------------------------------------------------------------


def _best_seconds(sess, fetch, repeats, feeds=None):
  best = None
  for _ in range(repeats):
    start = time.perf_counter()
    sess.run(fetch, feeds)
    elapsed = time.perf_counter() - start
    best = elapsed if best is None else min(best, elapsed)
  return best


def _loop_seconds(graph, loop, steps, seconds, repeats):
  """(steps, best seconds) of `loop` run for about `seconds` in a session.

  The loop's step count (placeholder `steps`) grows fourfold until a run
  takes a quarter of `seconds`, then is scaled to `seconds`; the best of
  `repeats` runs of that many steps counts.
  """
  import tensorflow.compat.v1 as tf  # pylint: disable=g-import-not-at-top
  from lottery_ticket.foundations.training import session as session_lib  # pylint: disable=g-import-not-at-top
  with session_lib.new_session(graph) as sess:
    sess.run(tf.global_variables_initializer())
    count = 10
    while True:
      elapsed = _best_seconds(sess, loop, 1, {steps: count})
      if elapsed > seconds / 4 or count > 10**6:
        break
      count *= 4
    count = max(count, int(count * seconds / max(elapsed, 1e-9)))
    return count, _best_seconds(sess, loop, repeats, {steps: count})


def bandwidth(megabytes=BANDWIDTH_MB, repeats=5):
  """Bytes per second of an axpy (y += x) over large float32 arrays.

  x and y hold `megabytes` each, split in as many parts as the library's
  session runs ops at once, so that all its threads stream at once, as a
  pack's ops do. Each element is read twice and written once.

  Returns:
    the best of `repeats` rates, in bytes per second.
  """
  import tensorflow.compat.v1 as tf  # pylint: disable=g-import-not-at-top
  from lottery_ticket.foundations.training import graph_mode  # pylint: disable=g-import-not-at-top,unused-import
  from lottery_ticket.foundations.training import session as session_lib  # pylint: disable=g-import-not-at-top
  threads = max(session_lib.session_config().inter_op_parallelism_threads, 1)
  size = int(megabytes * 2**20 // FLOAT_BYTES // threads)
  with tf.Graph().as_default() as graph:
    xs = [tf.Variable(tf.ones([size]), name='x') for _ in range(threads)]
    ys = [tf.Variable(tf.zeros([size]), name='y') for _ in range(threads)]
    axpy = tf.group(*[y.assign_add(x).op for x, y in zip(xs, ys)])
    with session_lib.new_session(graph) as sess:
      sess.run(tf.global_variables_initializer())
      sess.run(axpy)
      seconds = _best_seconds(sess, axpy, repeats)
  return 3 * FLOAT_BYTES * size * threads / seconds


def _step_products(batch_input, kernels, upstream, eval_input):
  """The matrix products of one network's step (step_flops' terms)."""
  import tensorflow.compat.v1 as tf  # pylint: disable=g-import-not-at-top
  from lottery_ticket.foundations.training import graph_mode  # pylint: disable=g-import-not-at-top,unused-import
  out = []
  x = batch_input
  for layer, (w, dy) in enumerate(zip(kernels, upstream)):
    y = tf.matmul(x, w)
    out += [y, tf.matmul(x, dy, transpose_a=True)]
    if layer:
      out.append(tf.matmul(dy, w, transpose_b=True))
    x = y
  if eval_input is not None:
    x = eval_input
    for w in kernels:
      x = tf.matmul(x, w)
      out.append(x)
  return out


def matmul_rate(num_networks, step, seconds=1.0, repeats=3):
  """Operations per second of the matrix products of a pack's steps.

  N networks' products of the step's own shapes (step_flops; evaluation as
  its amortised rows per step, rounded) run in a tf.while_loop in the
  library's session, one loop iteration per step, as the trainer runs them.

  Args:
    num_networks: N.
    step: a Step.
    seconds: about how long each timed loop runs.
    repeats: timed loops; the best counts.
  """
  import tensorflow.compat.v1 as tf  # pylint: disable=g-import-not-at-top
  from lottery_ticket.foundations.training import graph_mode  # pylint: disable=g-import-not-at-top,unused-import
  rows = int(round(step.eval_rows))
  timed = dataclasses.replace(step, eval_splits=(rows * step.interval,))
  rng = np.random.default_rng(0)

  def variable(*shape):
    return tf.Variable(rng.random(shape, dtype=np.float32) / shape[-1])

  with tf.Graph().as_default() as graph:
    nets = []
    for _ in range(num_networks):
      nets.append((variable(step.batch, step.widths[0]),
                   [variable(n, m) for n, m in step.layers],
                   [variable(step.batch, m) for _, m in step.layers],
                   variable(rows, step.widths[0]) if rows else None))

    def body(count, total):
      with tf.control_dependencies([count]):
        done = []
        for net in nets:
          done += _step_products(*net)
        # Grappler prunes products nothing reads: one element of each is.
        return count + 1, total + tf.add_n([p[0, 0] for p in done])

    steps = tf.placeholder(tf.int32, [])
    loop = tf.while_loop(lambda count, _: count < steps, body,
                         [tf.constant(0), tf.constant(0.0)],
                         parallel_iterations=1)
    count, elapsed = _loop_seconds(graph, loop, steps, seconds, repeats)
  return num_networks * count * sum(step_flops(timed).values()) / elapsed


def update_rate(num_networks, step, optimizer, seconds=1.0, repeats=3):
  """Network-steps/s of a pack's masked optimizer update alone.

  The other half of a training step beside its matrix products: every
  kernel's gradient times its mask, then the optimizer's update of kernels
  and biases with their slots, for N networks' variables as the pack holds
  them ([N, in, out] and [N, 1, out]), the gradients held fixed, in a
  tf.while_loop in the library's session. A step's update waits for its
  gradients, so the two halves run one after the other: a pack's step can
  be no faster than both at these rates in sequence.
  """
  import tensorflow.compat.v1 as tf  # pylint: disable=g-import-not-at-top
  from lottery_ticket.foundations.training import graph_mode  # pylint: disable=g-import-not-at-top,unused-import
  rng = np.random.default_rng(0)
  shapes = [(num_networks, n, m) for n, m in step.layers]
  shapes += [(num_networks, 1, m) for _, m in step.layers]
  with tf.Graph().as_default() as graph:
    variables = [tf.Variable(rng.random(shape, dtype=np.float32))
                 for shape in shapes]
    gradients = [tf.constant(rng.random(shape, dtype=np.float32))
                 for shape in shapes]
    masks = [tf.constant((rng.random(shape) < 0.5).astype(np.float32))
             for shape in shapes[:len(step.layers)]]
    instance = optimizers.optimizer_fn(optimizer)()

    def body(count):
      with tf.control_dependencies([count]):
        masked = [g * m for g, m in zip(gradients, masks)]
        masked += [tf.identity(g) for g in gradients[len(masks):]]
        update = instance.apply_gradients(zip(masked, variables))
      with tf.control_dependencies([update]):
        return count + 1

    steps = tf.placeholder(tf.int32, [])
    loop = tf.while_loop(lambda count: count < steps, body, [tf.constant(0)],
                         parallel_iterations=1)
    count, elapsed = _loop_seconds(graph, loop, steps, seconds, repeats)
  return num_networks * count / elapsed


def pack_rate(dataset, num_networks, optimizer, interval, iterations, short,
              repeats, train=train_pack):
  """Marginal network-steps/s of a pack: N (long - short) / (t_long - t_short).

  train_speed.marginal_rate's (best of `repeats` (long, short) pairs; with
  `short` 0 or lost in the noise, the long run's own rate). `train` is
  train_pack or what takes its arguments.
  """
  def seconds(steps):
    start = time.perf_counter()
    train(dataset, num_networks, steps, optimizer, interval)
    return time.perf_counter() - start
  return num_networks * train_speed.marginal_rate(seconds, iterations, short,
                                                  repeats)


def measure_size(dataset, num_networks, optimizer, iterations, short,
                 repeats, interval=train_options.TEST_INTERVAL, matmul_seconds=1.0,
                 experiment=False):
  """Everything measured for one pack size, in both modes.

  The session's threads are planned for this pack's step first, as the
  trainer plans them (the process's first session sizes its pools). The
  matrix-product loop runs about `matmul_seconds` per timing.

  Returns:
    dict mode -> {'steps': network-steps/s, 'flop_rate': matrix-product
    operations/s}; with `experiment`, only EXPERIMENT -> the lottery
    experiment's own path's network-steps/s (with evaluation).
  """
  from lottery_ticket.foundations.training import session as session_lib  # pylint: disable=g-import-not-at-top
  step = lenet_step(dataset, optimizer, False)
  session_lib.plan(session_lib.step_work(
      [(num_networks, n, m) for n, m in step.layers], step.batch,
      dataset.input_shape))
  out = {}
  for mode, evaluated in () if experiment else MODES:
    step = lenet_step(dataset, optimizer, evaluated, interval)
    flop_rate = matmul_rate(num_networks, step, matmul_seconds)
    progress.notice('  N = {}, {}: matrix products {:.1f} GFLOP/s; '
                    'training ({} and {} steps)...'.format(
                        num_networks, mode, flop_rate / 1e9, iterations,
                        short))
    steps = pack_rate(dataset, num_networks, optimizer,
                      interval if evaluated else None, iterations, short,
                      repeats)
    progress.notice('  N = {}, {}: {:.0f} network-steps/s'.format(
        num_networks, mode, steps))
    out[mode] = {'steps': steps, 'flop_rate': flop_rate}
    if not evaluated:
      out[mode]['update_rate'] = update_rate(num_networks, step, optimizer,
                                             matmul_seconds)
  if experiment:
    progress.notice('  N = {}, the lottery experiment\'s own path...'.format(
        num_networks))
    out[EXPERIMENT] = experiment_rate(dataset, num_networks, optimizer,
                                      interval, iterations, short, repeats)
    progress.notice('  N = {}, the lottery experiment\'s own path: {:.0f} '
                    'network-steps/s'.format(num_networks, out[EXPERIMENT]))
  return out


def _child(num_networks, optimizer, iterations, short, repeats, experiment):
  """measure_size in a fresh process; adds its peak RSS ('rss', bytes)."""
  return json.loads(train_speed.child_result(
      'lottery_ticket.bench.packed_speed', _CHILD_MARK, child=num_networks,
      optimizer=optimizer, iterations=iterations, short=short,
      repeats=repeats, experiment=bool(experiment)))


# The report ---------------------------------------------------------------------


def _row(cells, widths):
  return '  '.join('{:>{}}'.format(c, w) for c, w in zip(cells, widths))


def score(results, steps, bytes_per_second):
  """Adds each measurement's roofline, bound, ratio to N = 1 and percentage.

  Args:
    results: dict (size, mode) -> {'steps', 'flop_rate'}, with size 1 for
      every mode; updated in place.
    steps: dict mode -> its Step.
    bytes_per_second: the measured bandwidth.
  """
  for (size, mode), result in results.items():
    best, bound = roofline(size, steps[mode], result['flop_rate'],
                           bytes_per_second)
    result.update(roofline=best, bound=bound,
                  ratio=result['steps'] / results[1, mode]['steps'],
                  percent=100 * result['steps'] / best)


def _print_model(steps, say):
  """One network's FLOPs and bytes per step, term by term."""
  evaluated, bare = (steps[mode] for mode, _ in MODES)
  say('LeNet-300-100 {}, batch {}, {} slot(s) per variable; evaluation: '
      '{:,} examples every {} steps'.format(
          '-'.join(map(str, evaluated.widths)), evaluated.batch,
          evaluated.slots, evaluated.eval_examples, evaluated.interval))
  say('one network\'s step, as the roofline counts it:')
  for name, model in (('FLOPs', step_flops), ('bytes', step_bytes)):
    say('  {}: {}'.format(name, ', '.join(
        '{} {:,.0f}'.format(k, v) for k, v in model(evaluated).items())))
    say('  {} in all: {:,.0f} with evaluation, {:,.0f} without'.format(
        name, sum(model(evaluated).values()), sum(model(bare).values())))


def _print_table(results, rss, say):
  columns = ['N', 'mode', 'steps/s', 'x one', 'GFLOP/s', 'roofline',
             '% roofline', 'bound', 'peak RSS']
  widths = [3, 18, 8, 6, 8, 8, 10, 6, 9]
  say(_row(columns, widths))
  say('-' * len(_row(columns, widths)))
  for (size, mode), result in sorted(results.items()):
    say(_row([size, mode, '{:.0f}'.format(result['steps']),
              '{:.2f}'.format(result['ratio']),
              '{:.1f}'.format(result['flop_rate'] / 1e9),
              '{:.0f}'.format(result['roofline']),
              '{:.0f}%'.format(result['percent']), result['bound'],
              '{:.2f} GiB'.format(rss[size] / 2**30) if size in rss else '-'],
             widths))


def report(dataset, sizes, optimizer=constants.OPTIMIZER, iterations=2000,
           short=None, repeats=1, children=True,
           interval=train_options.TEST_INTERVAL, bandwidth_mb=BANDWIDTH_MB,
           matmul_seconds=1.0, out=None):
  """Measures every pack size and prints the table and the two final lines.

  Args:
    dataset: the data (children build train_speed's MNIST-shaped set).
    sizes: the pack sizes; 1 is always measured (the ratios' base).
    optimizer: an optimizers.NAMES entry.
    iterations: steps of each long timed run.
    short: steps of each short timed run (default: `interval`; 0: none,
      the long runs' own rates, set-up included).
    repeats: timed (long, short) pairs per rate; the best counts.
    children: measure each size in a child process (its own peak RSS);
      False measures in this process and leaves peak RSS out.
    interval: steps between evaluations in the evaluated mode.
    bandwidth_mb: megabytes of each array the bandwidth is measured on.
    matmul_seconds: about how long each matrix-product timing runs.
    out: the stream (default stdout).

  Returns:
    (results, rss): dict (size, mode) -> {'steps', 'flop_rate',
    'roofline', 'bound', 'ratio', 'percent'}, plus (largest size,
    EXPERIMENT) -> the experiment path's network-steps/s; and dict size
    (and EXPERIMENT, the experiment path's child) -> peak RSS in bytes
    (empty without children).
  """
  say = functools.partial(print, file=out or sys.stdout, flush=True)
  short = interval if short is None else short
  sizes = sorted(set(sizes) | {1})
  steps = {mode: lenet_step(dataset, optimizer, evaluated, interval)
           for mode, evaluated in MODES}
  _print_model(steps, say)
  progress.notice('packed_speed: memory bandwidth ({} MB arrays)'.format(
      bandwidth_mb))
  bytes_per_second = bandwidth(bandwidth_mb)
  results, rss = {}, {}
  last = 8 if 8 in sizes else sizes[-1]
  experiment = None
  for size in sizes:
    progress.notice('packed_speed: pack of {} ({} of sizes {})'.format(
        size, sizes.index(size) + 1, ','.join(map(str, sizes))))
    for path in (False, True) if size == last else (False,):
      if children:
        measured = _child(size, optimizer, iterations, short, repeats, path)
        rss[EXPERIMENT if path else size] = measured.pop('rss')
      else:
        measured = measure_size(dataset, size, optimizer, iterations, short,
                                repeats, interval, matmul_seconds, path)
      experiment = measured.pop(EXPERIMENT, experiment)
      for mode, _ in () if path else MODES:
        results[size, mode] = dict(measured[mode])
  # Measured again at the end: the best of both is the machine's.
  progress.notice('packed_speed: memory bandwidth again')
  bytes_per_second = max(bytes_per_second, bandwidth(bandwidth_mb))
  score(results, steps, bytes_per_second)
  say('memory bandwidth (axpy over {} MB arrays, best of the start and the '
      'end): {:.1f} GB/s'.format(bandwidth_mb, bytes_per_second / 1e9))
  say()
  _print_table(results, rss, say)
  say()
  if last in rss:
    say('peak RSS of a pack of {} (ru_maxrss of its own process, data and '
        'graph included): {:.2f} GiB, {} the {} GiB limit'.format(
            last, rss[last] / 2**30,
            'within' if rss[last] < MEMORY_LIMIT_GIB * 2**30 else 'OVER',
            MEMORY_LIMIT_GIB))
    say('peak RSS of the lottery experiment\'s own path, pack of {} (its own '
        'process, its own copy of the data): {:.2f} GiB'.format(
            last, rss[EXPERIMENT] / 2**30))
  say(parts_line(last, results[last, MODES[1][0]], steps[MODES[1][0]],
                 optimizer))
  for mode, _ in MODES:
    say('pack of {} {}: {:.0f}% of the roofline, {:.2f} x one network'.format(
        last, mode, results[last, mode]['percent'],
        results[last, mode]['ratio']))
  evaluated = results[last, MODES[0][0]]
  say('the lottery experiment\'s own path, pack of {}: {:.0f}% of the '
      'trainer\'s rate'.format(last, 100 * experiment / evaluated['steps']))
  say(headline(experiment, evaluated['roofline']))
  results[last, EXPERIMENT] = experiment
  return results, rss


def parts_line(num_networks, result, step, optimizer):
  """The pack's two halves of a step alone, and both in sequence.

  `pack of 8 without evaluation, its step in two halves alone: matrix
  products P, masked adam update U, one after the other S network-steps/s
  = Q% of the roofline`: S = 1 / (1/P + 1/U), the fastest this step's
  kernels allow, since an update waits for its gradients.
  """
  products = result['flop_rate'] / sum(step_flops(step).values())
  both = 1 / (1 / products + 1 / result['update_rate'])
  return ('pack of {} without evaluation, its step in two halves alone: '
          'matrix products {:.0f}, masked {} update {:.0f}, one after the '
          'other {:.0f} network-steps/s = {:.0f}% of the roofline'.format(
              num_networks, products, optimizer, result['update_rate'], both,
              100 * both / result['roofline']))


def _sizes(sizes):
  """Fire gives '1,2' as a tuple, '8' as an int, '1,2' quoted as a string."""
  if isinstance(sizes, int):
    return [sizes]
  if isinstance(sizes, str):
    sizes = sizes.split(',')
  sizes = [int(s) for s in sizes]
  if not sizes or min(sizes) < 1:
    raise ValueError('--sizes={} must be pack sizes of 1 or more'.format(
        ','.join(map(str, sizes))))
  return sizes


def main(sizes='1,2,4,8,16', iterations=2000, short=100, repeats=1,
         optimizer=constants.OPTIMIZER, children=True, child=0,
         experiment=False):
  """Prints each pack size's network-steps/s against the roofline.

  Args:
    sizes: the pack sizes N, comma-separated (1 is always measured).
    iterations: steps of each long timed run.
    short: steps of each short timed run (the marginal rate's base; 0:
      none, the long runs' own rates, set-up included).
    repeats: timed (long, short) pairs per rate; the best counts.
    optimizer: the optimizer (its slots count in the bytes moved).
    children: measure each size in a child process of its own, which also
      gives its peak resident memory.
    child: internal: measure this one size and print it for the parent.
    experiment: internal: the child measures the lottery experiment's own
      path instead.
  """
  optimizers.check_name(optimizer)
  dataset = train_speed.random_dataset()
  if child:
    measured = measure_size(dataset, child, optimizer, iterations, short,
                            repeats, experiment=experiment)
    # Its peak resident set size: getrusage's ru_maxrss, KiB on Linux.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    measured['rss'] = peak if sys.platform == 'darwin' else peak * 1024
    print(_CHILD_MARK + json.dumps(measured), flush=True)
    return
  progress.notice('packed_speed: about a minute per pack size and mode '
                  'at the defaults, more for N = 16')
  report(dataset, _sizes(sizes), optimizer, iterations, short, repeats,
         children)


RUNNER = command_line.command(main, 'bench.packed_speed')


if __name__ == '__main__':
  command_line.run(RUNNER)
