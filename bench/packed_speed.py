"""Aggregate training speed of packs of N networks, of N processes, and the limit.

LeNet-300-100, batch 60, Adam, on MNIST-shaped random data (55,000 train /
5,000 validation / 10,000 test, held once). Two tables, for N = 1, 2, 4,
8, 16: under the paper's protocol (validation and test evaluated every 100
iterations), and without evaluation (the training steps alone). Each gives
the aggregate network-steps per second of

  packed     : packed_trainer.train_packed training N networks in one graph,
               and its ratio to one network trained by trainer.train;
  limit      : the matrix products of those N networks' steps alone (forward,
               weight and input gradients; under the protocol also the
               evaluation's forward products, 15,000 examples per network
               every 100 steps), timed in a TensorFlow loop, the best of 1
               thread per op with 2 ops at a time and 2 threads per op;
  processes  : (protocol table) N separate trainer.train processes, as the
               local sweep executor runs them: as many at a time as there
               are cores, the threads split among them;

and then the peak resident memory of a pack of 8. It starts by measuring how
many cores' worth of matrix products the machine gives at that moment (two
processes' rate over one's): on a shared or virtual machine that is often
less than the number of cores, and it bounds every parallel rate.

Rates are marginal: (steps of a long run - steps of a short run) / (their
time difference), which cancels the set-up that a 50,000-iteration run
amortises. Run:

  python -m lottery_ticket.bench.packed_speed [--iterations=2000]
      [--sizes=1,2,4,8,16] [--noprocesses] [--repeats=1] [--norss]

On a machine shared with other work every number is lower than on a quiet
one, and the ratios move; --repeats=R takes each rate's best of R.
"""

import os
import resource
import subprocess
import sys
import time

import fire
import numpy as np
import tensorflow.compat.v1 as tf

from lottery_ticket.argfiles.engine import resources
from lottery_ticket.bench import train_speed
from lottery_ticket.foundations import graph_mode  # pylint: disable=unused-import
from lottery_ticket.foundations import model_fc
from lottery_ticket.foundations import optimizers
from lottery_ticket.foundations import packed_trainer
from lottery_ticket.foundations import session as session_lib
from lottery_ticket.foundations import trainer
from lottery_ticket.mnist_fc import constants

BATCH = 60
INTERVAL = train_speed.INTERVAL
EVAL_EXAMPLES = 5000 + 10000
SHORT = INTERVAL
WIDTHS = [784] + [units for units, _ in constants.HYPERPARAMETERS['layers']]


def _options(interval=INTERVAL):
  return trainer.TrainOptions(batch_size=BATCH, test_interval=interval,
                              validate_interval=interval, save_network=False)


def packed_seconds(dataset, num_networks, iterations, interval=INTERVAL):
  """Seconds train_packed takes for N networks and `iterations` steps."""
  members = [packed_trainer.Member(init_seed=seed, order_seed=seed)
             for seed in range(num_networks)]
  start = time.time()
  packed_trainer.train_packed(dataset, constants.HYPERPARAMETERS, members,
                              optimizers.optimizer_fn('adam'),
                              ('iterations', iterations), _options(interval))
  return time.time() - start


def alone_seconds(dataset, iterations, interval=INTERVAL):
  """Seconds trainer.train takes for one network (its graph built first)."""
  with tf.Graph().as_default() as graph:
    inputs, labels = dataset.placeholders()
    tf.set_random_seed(0)
    model = model_fc.ModelFc(constants.HYPERPARAMETERS, inputs, labels)
    with session_lib.new_session(graph) as sess:
      start = time.time()
      trainer.train(sess, dataset, model, optimizers.optimizer_fn('adam'),
                    ('iterations', iterations), None, _options(interval))
      return time.time() - start


def marginal(seconds, iterations, repeats):
  """Best (iterations - SHORT) / (seconds(iterations) - seconds(SHORT))."""
  best = 0.0
  for _ in range(repeats):
    elapsed = seconds(iterations) - seconds(SHORT)
    best = max(best, (iterations - SHORT) / max(elapsed, 1e-9))
  return best


# Separate processes ------------------------------------------------------------


def _worker_command(iterations):
  return [sys.executable, '-m', 'lottery_ticket.bench.packed_speed',
          '--worker_iterations={}'.format(iterations)]


def processes_seconds(num_runs, iterations):
  """Wall time of num_runs one-network processes, as the local executor runs them.

  As many run at once as the executor would start (the cores, or fewer
  runs), each with the thread counts it would give them.
  """
  parallelism = min(num_runs, resources.cpu_count())
  env = dict(os.environ, **resources.thread_environment(
      resources.threads_per_run(parallelism)))
  waiting = list(range(num_runs))
  running = []
  start = time.time()
  while waiting or running:
    while waiting and len(running) < parallelism:
      waiting.pop()
      running.append(subprocess.Popen(_worker_command(iterations), env=env,
                                      stdout=subprocess.DEVNULL))
    time.sleep(0.02)
    for process in list(running):
      if process.poll() is not None:
        running.remove(process)
        if process.returncode:
          raise RuntimeError('a worker process failed ({})'.format(
              process.returncode))
  return time.time() - start


def worker(iterations):
  """One process's work: one network trained for `iterations` steps."""
  alone_seconds(train_speed._dataset(), iterations)  # pylint: disable=protected-access


# The matrix-product limit -------------------------------------------------------


def _products(inputs, kernels, upstream):
  """The matrix products of one training step of one network."""
  out = []
  for layer, (x, w, dy) in enumerate(zip(inputs, kernels, upstream)):
    out.append(tf.matmul(x, w))
    out.append(tf.matmul(x, dy, transpose_a=True))
    if layer:
      out.append(tf.matmul(dy, w, transpose_b=True))
  return out


def tf_limit_seconds(num_networks, steps, eval_rows=0):
  """Seconds of `steps` steps of N networks' matrix products in a TF loop.

  Args:
    num_networks: N.
    steps: loop iterations timed.
    eval_rows: 0 for training products only; else also the forward
      products of this many evaluation examples per step and network.
  """
  rng = np.random.default_rng(0)

  def variable(*shape):
    return tf.Variable(rng.random(shape, dtype=np.float32))

  with tf.Graph().as_default() as graph:
    nets = []
    for _ in range(num_networks):
      nets.append(([variable(BATCH, n) for n in WIDTHS[:-1]],
                   [variable(a, b) for a, b in zip(WIDTHS[:-1], WIDTHS[1:])],
                   [variable(BATCH, n) for n in WIDTHS[1:]]))
    evaluation = variable(max(eval_rows, 1), WIDTHS[0])

    def body(step, total):
      with tf.control_dependencies([step]):
        done = []
        for inputs, kernels, upstream in nets:
          done += _products(inputs, kernels, upstream)
          if eval_rows:
            current = evaluation
            for w in kernels:
              current = tf.matmul(current, w)
            done.append(current)
        # Products whose outputs nothing reads would be pruned by Grappler;
        # one element of each is read.
        return step + 1, total + tf.add_n([p[0, 0] for p in done])

    count = tf.placeholder(tf.int32, [])
    loop = tf.while_loop(lambda step, _: step < count, body,
                         [tf.constant(0), tf.constant(0.0)],
                         parallel_iterations=1)
    best = None
    for intra, inter in ((1, 2), (2, 1)):
      config = tf.ConfigProto(intra_op_parallelism_threads=intra,
                              inter_op_parallelism_threads=inter)
      with tf.Session(graph=graph, config=config) as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(loop, {count: 2})
        start = time.time()
        sess.run(loop, {count: steps})
        elapsed = time.time() - start
      best = elapsed if best is None else min(best, elapsed)
    return best


def limit_rate(num_networks, eval_rows=0, seconds=1.5):
  """Network-steps/s of the matrix products alone, timed for ~`seconds`."""
  steps = max(5, int(200 / num_networks))
  elapsed = tf_limit_seconds(num_networks, steps, eval_rows)
  steps = max(steps, int(steps * seconds / max(elapsed, 1e-9)))
  return num_networks * steps / tf_limit_seconds(num_networks, steps, eval_rows)


# Memory -----------------------------------------------------------------------


def peak_rss_gb(num_networks, iterations=SHORT):
  """Peak resident memory of a process training a pack of N, in GiB."""
  done = subprocess.run([sys.executable, '-m', 'lottery_ticket.bench.packed_speed',
                         '--rss_networks={}'.format(num_networks),
                         '--worker_iterations={}'.format(iterations)],
                        check=True, stdout=subprocess.PIPE, text=True)
  return float(done.stdout.split()[-1])


def parallel_capacity(seconds=1.0):
  """How many cores' worth of matrix products the machine gives right now.

  Times a large matrix product in one process, then in `cpu_count` processes
  at once (each on one thread); on a shared or virtual machine the answer
  is often below the number of cores, and every parallel rate above is
  bounded by it.
  """
  count = resources.cpu_count()
  command = [sys.executable, '-c', _CAPACITY_PROBE, str(seconds)]
  env = dict(os.environ, **resources.thread_environment(1))
  alone = float(subprocess.run(command, env=env, check=True, text=True,
                               stdout=subprocess.PIPE).stdout)
  together = [subprocess.Popen(command, env=env, text=True,
                               stdout=subprocess.PIPE) for _ in range(count)]
  rates = [float(p.communicate()[0]) for p in together]
  return sum(rates) / alone


_CAPACITY_PROBE = """
import sys, time
import numpy as np
a = np.ones((512, 512), np.float32)
end = time.time() + float(sys.argv[1])
count = 0
while time.time() < end:
  a.dot(a)
  count += 1
print(count / float(sys.argv[1]))
"""


def _sizes(sizes):
  if isinstance(sizes, int):
    return (sizes,)
  if isinstance(sizes, str):
    return [int(s) for s in sizes.split(',')]
  return [int(s) for s in sizes]


def _row(cells, widths):
  return ' | '.join('{:>{}}'.format(c, w) for c, w in zip(cells, widths))


def main(iterations=2000, sizes='1,2,4,8,16', processes=True, repeats=1,
         rss=True, worker_iterations=None, rss_networks=None):
  """Prints the rates and ratios with and without evaluation, and the memory.

  Args:
    iterations: steps of each timed run (the short one has 100).
    sizes: the pack sizes N, comma-separated.
    processes: also time N separate processes (under the protocol).
    repeats: take each rate's best of this many measurements.
    rss: also measure the peak memory of a pack of 8.
    worker_iterations, rss_networks: internal (the benchmark's own child
      processes).
  """
  if rss_networks:
    packed_seconds(train_speed._dataset(), int(rss_networks),  # pylint: disable=protected-access
                   int(worker_iterations))
    # Linux reports KiB: the peak of this process, data and graph included.
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20)
    return
  if worker_iterations:
    worker(int(worker_iterations))
    return
  sizes = _sizes(sizes)
  dataset = train_speed._dataset()  # pylint: disable=protected-access
  print('LeNet-300-100, Adam, batch {}; aggregate network-steps/s; {} cores, '
        'giving {:.2f} cores\' worth of matrix products at the start'.format(
            BATCH, resources.cpu_count(), parallel_capacity()), flush=True)
  for evaluated in (True, False):
    interval = INTERVAL if evaluated else None
    print()
    print('With validation and test ({:,} examples) every {} iterations (the '
          "paper's protocol):".format(EVAL_EXAMPLES, INTERVAL) if evaluated
          else 'Without evaluation (the training steps alone):')
    one = marginal(lambda n: alone_seconds(dataset, n, interval), iterations,
                   repeats)
    print('one network, trainer.train: {:.0f} steps/s'.format(one), flush=True)
    eval_rows = EVAL_EXAMPLES // INTERVAL if evaluated else 0
    columns = ['N', 'packed', 'x one', 'limit', '% of limit']
    if evaluated and processes:
      columns += ['processes', 'packed/procs']
    widths = [max(len(c), 7) for c in columns]
    print(_row(columns, widths))
    print('-' * len(_row(columns, widths)))
    for size in sizes:
      packed = size * marginal(
          lambda n: packed_seconds(dataset, size, n, interval), iterations,
          repeats)
      limit = limit_rate(size, eval_rows)
      cells = [size, '{:.0f}'.format(packed), '{:.2f}x'.format(packed / one),
               '{:.0f}'.format(limit), '{:.0f}%'.format(100 * packed / limit)]
      if evaluated and processes:
        procs = size * marginal(lambda n: processes_seconds(size, n),
                                iterations, repeats)
        cells += ['{:.0f}'.format(procs), '{:.2f}x'.format(packed / procs)]
      print(_row(cells, widths), flush=True)
  if rss:
    print()
    print('peak resident memory on full-size MNIST-shaped data (held once): '
          'a pack of 8 {:.2f} GiB, one network {:.2f} GiB (so 8 processes '
          'about 8 times that)'.format(peak_rss_gb(8), peak_rss_gb(1)))


if __name__ == '__main__':
  fire.Fire(main)
