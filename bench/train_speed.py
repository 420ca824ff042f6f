"""Training throughput of the library's trainer against a plain feed_dict loop.

All train LeNet-300-100 (Adam 1.2e-3, batch 60) on MNIST-shaped random data
(55,000 train / 5,000 validation / 10,000 test) under the paper's protocol:
validation and test are evaluated every 100 iterations. The baseline is what
a straightforward tf.compat.v1 script does: one `session.run` per step with
`feed_dict`, and the evaluation sets fed in as arrays. The library is timed
as trainer.train on one network (a pack of one, how every command line
trains a lone run), with its default threads (foundations/training/session.py plans
them from the size of the step) and, each in a child process of its own,
with one thread per op and with one per core. Run:

  python -m lottery_ticket.bench.train_speed [--iterations=2000]

It also holds what the other benches share: the MNIST-shaped random data
(random_dataset), the marginal rate (marginal_rate), a measurement in a
child process (child_result) and one network's in-graph loop (Loop).
"""

import functools
import os
import subprocess
import sys
import time

import numpy as np

from lottery_ticket import command_line
from lottery_ticket.foundations import dataset_base
from lottery_ticket.foundations.training import optimizers
from lottery_ticket.foundations.storage import progress
from lottery_ticket.foundations.training import train_options
from lottery_ticket.mnist_fc import constants

INTERVAL = 100


def random_dataset(input_shape=(784,), validate_size=5000, seed=0):
  """Random data of MNIST's sizes (60,000 train, of which `validate_size`
  held out, and 10,000 test) in `input_shape`, its images aligned so that
  the splits and the trainer's graph hold them without a copy
  (dataset_base.aligned)."""
  rng = np.random.default_rng(seed)
  images = dataset_base.aligned(
      np.empty((70000,) + tuple(input_shape), np.float32))
  rng.random(dtype=np.float32, out=images)
  labels = rng.integers(0, 10, 70000)
  return dataset_base.DatasetBase(images[:60000], labels[:60000],
                                  images[60000:], labels[60000:],
                                  validate_size=validate_size,
                                  train_order_seed=seed)


def library(dataset, iterations):
  """Seconds trainer.train takes for one network (a pack of one, how every
  command line trains a lone run), set-up included."""
  from lottery_ticket.foundations import trainer  # pylint: disable=g-import-not-at-top
  start = time.time()
  trainer.train(
      dataset, constants.HYPERPARAMETERS, [trainer.Member()],
      optimizers.optimizer_fn(constants.OPTIMIZER), ('iterations', iterations),
      train_options.options(batch_size=60, test_interval=INTERVAL),
      save_network=False)
  return time.time() - start


def feed_dict_loop(dataset, iterations, config=None):
  """Seconds of one session.run per step with feed_dict, set-up included.

  Args:
    dataset: the data.
    iterations: steps to run.
    config: optional tf.ConfigProto (default: TensorFlow's own threading, as
      a plain script has it).
  """
  import tensorflow.compat.v1 as tf  # pylint: disable=g-import-not-at-top
  from lottery_ticket.foundations import model_fc  # pylint: disable=g-import-not-at-top
  with tf.Graph().as_default() as graph:
    tf.set_random_seed(0)
    inputs, labels = dataset.placeholders()
    model = model_fc.ModelFc(constants.HYPERPARAMETERS, inputs, labels)
    step = optimizers.optimizer_fn(constants.OPTIMIZER)().minimize(model.loss)
    with tf.Session(graph=graph, config=config) as sess:
      start = time.time()
      sess.run(tf.global_variables_initializer())
      order = dataset.train_order(0, iterations, 60)
      evaluate = [model.loss, model.accuracy]
      for iteration in range(iterations):
        if iteration % INTERVAL == 0:
          for split in (dataset.validate, dataset.test):
            sess.run(evaluate, {inputs: split.images, labels: split.labels})
        rows = order[iteration]
        sess.run(step, {inputs: dataset.train.images[rows],
                        labels: dataset.train.labels[rows]})
      return time.time() - start


class Loop(object):
  """One network's training loop, the trainer's in-graph one
  (`trainer.build_loop`, a pack of one), built once and run chunk by chunk
  (sparse_speed, cifar_speed)."""

  def __init__(self, spec, dataset, optimizer_fn, batch_size, masks=None,
               threads=None, after_step=None, augment=None, seeds=None):
    """Builds the graph and its session, and loads the network's start.

    Args:
      spec: the network's hyperparameters.
      dataset: the data.
      optimizer_fn: callable() -> the optimizer.
      batch_size: examples per step.
      masks: the network's masks (None: dense).
      threads: the session's intra- and inter-op thread count (None: the
        library's, session.session_config).
      after_step: optional callable(model, optimizer) -> (the network's
        after-step hook, the fixed batches it reads), called in the graph.
      augment: an augmentation.Augmentation, or None.
      seeds: the augmentation's seeds.
    """
    # TensorFlow's modules, imported here: the benches' --help needs none.
    import tensorflow.compat.v1 as tf  # pylint: disable=g-import-not-at-top
    from lottery_ticket.foundations.training import graph_mode  # pylint: disable=g-import-not-at-top,unused-import
    from lottery_ticket.foundations.training import graph_data  # pylint: disable=g-import-not-at-top
    from lottery_ticket.foundations.models import packed_model  # pylint: disable=g-import-not-at-top
    from lottery_ticket.foundations.training import session  # pylint: disable=g-import-not-at-top
    from lottery_ticket.foundations import trainer  # pylint: disable=g-import-not-at-top
    self._dataset, self._batch_size, self._step = dataset, batch_size, 0
    model_class = packed_model.model_class(spec)
    initial = trainer.initial_values(model_class, spec, dataset,
                                     trainer.Member(masks=masks))
    with tf.Graph().as_default() as graph:
      inputs, labels = dataset.placeholders()
      model = packed_model.packed_class(model_class)(1, spec, inputs, labels)
      data = graph_data.GraphData(dataset)
      global_step = tf.train.get_or_create_global_step()
      optimizer = trainer.create_optimizer(model, optimizer_fn)
      hook, batches = (after_step(model, optimizer) if after_step
                       else (None, []))
      loop = trainer.build_loop(
          model, data, optimizer, global_step, batch_size,
          after_steps=[hook], augment=augment, seeds=seeds)
      self._indices, self._metrics = loop.indices, loop.metrics
      init = tf.global_variables_initializer()
      # Fed, not graph constants (a VGG's would bloat the graph).
      variables = {v.op.name: v for v in tf.global_variables()}
      feeds = {tf.placeholder(tf.float32, value[None].shape): value[None]
               for value in initial.values()}
      load = [variables[name].assign(placeholder)
              for name, placeholder in zip(initial, feeds)]
    if threads is None:
      self._sess = session.new_session(graph)
    else:
      self._sess = tf.Session(graph=graph, config=tf.ConfigProto(
          intra_op_parallelism_threads=int(threads),
          inter_op_parallelism_threads=int(threads)))
    self._sess.run(init)
    self._sess.run(load, feeds)
    data.initialize(self._sess)
    for batch in batches:
      batch.initialize(self._sess)

  def run(self, steps):
    """(CPU seconds, wall seconds) of the next `steps` training steps."""
    order = self._dataset.train_order(self._step, steps, self._batch_size)
    cpu, wall = time.process_time(), time.perf_counter()
    self._sess.run(self._metrics, {self._indices: order[:, None, :]})
    self._step += steps
    return time.process_time() - cpu, time.perf_counter() - wall

  def close(self):
    self._sess.close()


def marginal_rate(seconds, iterations, short, repeats):
  """Marginal steps/s: (N - N0) / (t(N) - t(N0)), best of `repeats`.

  The difference of a long and a short run cancels the one-off set-up (graph
  building, copying the data into the graph), which a 50,000-iteration run
  amortises, and leaves the steady-state rate of the loop. With `short` 0,
  or when the difference is lost in the noise (under a tenth of the long
  run: too few steps), the long run's own rate, set-up included, is taken
  instead: an underestimate, never a wild number.

  Args:
    seconds: callable(steps) -> the seconds a run of that many steps takes.
    iterations: the long run's length.
    short: the short run's length.
    repeats: how many (long, short) pairs to time.
  """
  best = 0.0
  for _ in range(repeats):
    long_run = seconds(iterations)
    elapsed = long_run - seconds(short) if short else 0
    if elapsed > long_run / 10:
      best = max(best, (iterations - short) / elapsed)
    else:
      best = max(best, iterations / long_run)
  return best


_CHILD_MARK = 'train_speed child result: '


def child_result(module, mark, env=None, **flags):
  """What `python -m module --flag=value ...` prints after `mark` (on the
  last line so marked): a measurement a child process made in a process of
  its own (TensorFlow sizes its thread pools once per process; a peak
  resident set size is a process's own)."""
  done = subprocess.run(
      [sys.executable, '-m', module] +
      ['--{}={}'.format(name, value) for name, value in flags.items()],
      check=True, stdout=subprocess.PIPE, text=True, env=env)
  line = [l for l in done.stdout.splitlines() if l.startswith(mark)][-1]
  return line[len(mark):]


def library_with_threads(intra_op_threads, iterations, repeats):
  """The trainer's steps/s in a child process with
  LOTTERY_TICKET_INTRA_OP_THREADS set (TensorFlow sizes its thread pool once
  per process, so each setting needs a process of its own)."""
  from lottery_ticket.foundations.training import session  # pylint: disable=g-import-not-at-top
  env = dict(os.environ, **{session.INTRA_ENV: str(intra_op_threads)})
  return float(child_result('lottery_ticket.bench.train_speed', _CHILD_MARK,
                            env, iterations=iterations, repeats=repeats,
                            child=True))


def main(iterations=3000, repeats=2, quiet=False, child=False):
  """Prints steps/s of both loops and their ratio, and the trainer's default
  threads against one thread per op and one per core.

  Args:
    iterations: steps of each long timed run.
    repeats: timed (long, short) pairs per loop; the best counts.
    quiet: no progress bar (it shows on a terminal's stderr only).
    child: internal: time the trainer alone and print it for the parent.
  """
  from lottery_ticket.foundations.training import session  # pylint: disable=g-import-not-at-top
  dataset = random_dataset()
  if child:
    print(_CHILD_MARK + repr(marginal_rate(
        functools.partial(library, dataset), iterations, INTERVAL, repeats)),
          flush=True)
    return
  loops = (library, feed_dict_loop,
           functools.partial(feed_dict_loop, config=session.session_config()))
  with progress.Bar(2 * repeats * len(loops) + 2, 'train_speed', unit='runs',
                    quiet=quiet) as bar:

    def run(loop, steps):
      seconds = loop(dataset, steps)
      bar.update()
      return seconds
    ours, base, tuned = [
        marginal_rate(functools.partial(run, loop), iterations, INTERVAL,
                      repeats) for loop in loops]
    threads = {}
    for count in (1, 0):
      threads[count] = library_with_threads(count, iterations, repeats)
      bar.update()
  print('LeNet-300-100, batch 60, eval (5,000 val + 10,000 test) every {} its'
        .format(INTERVAL))
  print('feed_dict loop                       : {:6.0f} steps/s'.format(base))
  print('feed_dict loop, library thread config : {:6.0f} steps/s'.format(tuned))
  print('library trainer (a pack of one)       : {:6.0f} steps/s'.format(ours))
  print('ratio (trainer / feed_dict loop)      : {:6.2f}x'.format(ours / base))
  print('ratio (trainer / same-threads loop)   : {:6.2f}x'.format(ours / tuned))
  intra = session.session_config().intra_op_parallelism_threads
  print('trainer, default threads ({})          : {:6.0f} steps/s'.format(
      'one per op' if intra == 1 else intra or 'one per core', ours))
  print('trainer, one thread per op (child)     : {:6.0f} steps/s = {:.2f}x '
        'the default'.format(threads[1], threads[1] / ours))
  print('trainer, one thread per core (child)   : {:6.0f} steps/s = {:.2f}x '
        'the default'.format(threads[0], threads[0] / ours))


RUNNER = command_line.command(main, 'bench.train_speed')


if __name__ == '__main__':
  command_line.run(RUNNER)
