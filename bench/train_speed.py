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


def _dataset(seed=0):
  """MNIST-shaped random data, its images aligned so that the splits and the
  trainer's graph hold them without a copy (dataset_base.aligned)."""
  rng = np.random.default_rng(seed)
  images = dataset_base.aligned(np.empty((70000, 784), np.float32))
  rng.random(dtype=np.float32, out=images)
  labels = rng.integers(0, 10, 70000)
  return dataset_base.DatasetBase(images[:60000], labels[:60000],
                                  images[60000:], labels[60000:],
                                  validate_size=5000, train_order_seed=seed)


def _model(dataset):
  from lottery_ticket.foundations import model_fc  # pylint: disable=g-import-not-at-top
  inputs, labels = dataset.placeholders()
  model = model_fc.ModelFc(constants.HYPERPARAMETERS, inputs, labels)
  return model, inputs, labels


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
  with tf.Graph().as_default() as graph:
    tf.set_random_seed(0)
    model, inputs, labels = _model(dataset)
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


def steps_per_second(loop, dataset, iterations, repeats, on_run=None):
  """Marginal steps/s: (N - N0) / (t(N) - t(N0)), best of `repeats`.

  The difference of a long and a short run cancels the one-off set-up (graph
  building, copying the data into the graph), which a 50,000-iteration run
  amortises, and leaves the steady-state rate of the loop.

  Args:
    loop: callable(dataset, iterations) -> seconds.
    dataset: the data.
    iterations: the long run's length.
    repeats: how many (long, short) pairs to time.
    on_run: optional callable() called after each timed run (progress).
  """
  short = INTERVAL
  best = 0.0
  on_run = on_run or (lambda: None)
  for _ in range(repeats):
    long_run = loop(dataset, iterations)
    on_run()
    elapsed = long_run - loop(dataset, short)
    on_run()
    best = max(best, (iterations - short) / max(elapsed, 1e-9))
  return best


_CHILD_MARK = 'train_speed child result: '


def library_with_threads(intra_op_threads, iterations, repeats):
  """The trainer's steps/s in a child process with
  LOTTERY_TICKET_INTRA_OP_THREADS set (TensorFlow sizes its thread pool once
  per process, so each setting needs a process of its own)."""
  from lottery_ticket.foundations.training import session  # pylint: disable=g-import-not-at-top
  env = dict(os.environ, **{session.INTRA_ENV: str(intra_op_threads)})
  done = subprocess.run(
      [sys.executable, '-m', 'lottery_ticket.bench.train_speed',
       '--iterations={}'.format(iterations), '--repeats={}'.format(repeats),
       '--child=True'], check=True, stdout=subprocess.PIPE, text=True,
      env=env)
  line = [l for l in done.stdout.splitlines() if l.startswith(_CHILD_MARK)][-1]
  return float(line[len(_CHILD_MARK):])


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
  dataset = _dataset()
  if child:
    print(_CHILD_MARK + repr(steps_per_second(library, dataset, iterations,
                                              repeats)), flush=True)
    return
  loops = (library, feed_dict_loop,
           functools.partial(feed_dict_loop, config=session.session_config()))
  with progress.Bar(2 * repeats * len(loops) + 2, 'train_speed', unit='runs',
                    quiet=quiet) as bar:
    ours, base, tuned = [
        steps_per_second(loop, dataset, iterations, repeats,
                         on_run=bar.update) for loop in loops]
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
