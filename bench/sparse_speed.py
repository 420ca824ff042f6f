"""Training throughput of SET and RigL next to dense training.

The network (LeNet-300-100 by default, or LeNet-5 with --network=lenet5)
trains with SGD and momentum, batch 128 (the gradient-flow paper's MNIST
setting), on MNIST-shaped random data, in the trainer's in-graph loop
(`trainer.build_loop`, a pack of one). The sparse networks keep 10% of their weights
(uniform) and, for SET and RigL, update their masks every 100 steps inside
the loop, with the library's defaults: RigL grows by the gradient on a fixed
batch of `grow_batch_size` examples. "static" is the same sparse network
without mask updates, so the cost of the updates alone is 1 - rigl / static.
The "+norms" variants also measure what a sparse run records around each
update by default: the gradient norm on the first `update_norm_batch_size`
(256) examples of the measurement batch just before and just after it (two
more gradient evaluations).

Every graph is built once; then the methods take turns running chunks of
steps, and each keeps its fastest chunk, so a passing load on a shared
machine spreads over all of them. Rates are steps per CPU second of this
process, with one thread, which counts this process's work only. Run:

  python -m lottery_ticket.bench.sparse_speed [--network=mlp|lenet5]
      [--rounds=8] [--chunk=500] [--grow_batch_size=256]
"""

import numpy as np

from lottery_ticket import command_line
from lottery_ticket.bench import train_speed
from lottery_ticket.foundations.models import architectures
from lottery_ticket.foundations.training import optimizers
from lottery_ticket.foundations.storage import progress
from lottery_ticket.foundations.training import schedules
from lottery_ticket.foundations.sparse import sparsity_distribution
from lottery_ticket.mnist_fc import small_dense
from lottery_ticket.mnist_fc import config as config_lib
from lottery_ticket.mnist_fc import settings

BATCH_SIZE = 128
UPDATE_FREQ = 100
SPARSITY = 0.9
PROBE_SIZE = 1000
UPDATE_NORM_SIZE = 256  # the update_norm_batch_size setting's default
METHODS = ('dense', 'static', 'set', 'rigl', 'set+norms', 'rigl+norms')
NETWORKS = ('mlp', 'lenet5')


def hyperparameters(network):
  """(hyperparameters, input shape) of the paper's MLP or LeNet-5."""
  if network == 'mlp':
    return {'layers': [(300, 'relu'), (100, 'relu'), (10, None)]}, (784,)
  if network == 'lenet5':
    spec = architectures.architecture('lenet5')
    spec['padding'] = 'VALID'
    return spec, (28, 28, 1)
  raise ValueError('No such network: {!r} (choose from: {})'.format(
      network, ', '.join(NETWORKS)))


def _masks(method, spec, input_shape):
  if method == 'dense':
    return None
  shapes, _ = small_dense.kernel_shapes(spec, input_shape)
  counts = sparsity_distribution.layer_counts(shapes, SPARSITY)
  return sparsity_distribution.random_masks(shapes, counts, seed=0)


def _loop(method, network, dataset, total_steps, threads, grow_batch_size):
  """One method's training loop (a train_speed.Loop)."""
  # TensorFlow's modules, imported here: the bench's --help needs none.
  from lottery_ticket.foundations.training import fixed_batch  # pylint: disable=g-import-not-at-top
  from lottery_ticket.foundations.sparse import mask_updates  # pylint: disable=g-import-not-at-top
  from lottery_ticket.foundations.models import packed_model  # pylint: disable=g-import-not-at-top
  spec, input_shape = hyperparameters(network)
  growth, _, norms = method.partition('+')

  def drop_and_grow(model, optimizer):
    images, labels = fixed_batch.draw(dataset, PROBE_SIZE, 0)
    probe = fixed_batch.FixedBatch(images[:UPDATE_NORM_SIZE],
                                   labels[:UPDATE_NORM_SIZE])
    decisions = fixed_batch.FixedBatch(*fixed_batch.draw(
        dataset, grow_batch_size, 0, skip=PROBE_SIZE))
    return mask_updates.drop_and_grow(
        packed_model.NetworkView(model, 0),
        'random' if growth == 'set' else 'gradient',
        schedules.update_steps(UPDATE_FREQ, total_steps, total_steps),
        schedules.drop_fraction_fn('cosine', 0.3, total_steps),
        batch=decisions, optimizer=optimizer,
        probe=probe if norms else None).after_step, [probe, decisions]
  return train_speed.Loop(
      spec, dataset, lambda: optimizers.make_optimizer('momentum', 0.05),
      BATCH_SIZE, masks=_masks(method, spec, input_shape), threads=threads,
      after_step=drop_and_grow if growth in ('set', 'rigl') else None)


def main(network='mlp', rounds=8, chunk=500, threads=1,
         grow_batch_size=settings.SPARSE.get('grow_batch_size').default,
         quiet=False):
  """Prints steps/s of dense, static sparse, SET and RigL, and the ratios.

  Args:
    network: 'mlp' (LeNet-300-100) or 'lenet5'.
    rounds: how many chunks each method runs (after one warm-up chunk).
    chunk: steps per chunk (a multiple of 100, so every chunk holds the
      same number of mask updates).
    threads: the sessions' intra- and inter-op thread count.
    grow_batch_size: examples in RigL's growth batch.
    quiet: no progress bar (it shows on a terminal's stderr only).
  """
  chunk = int(chunk)
  if chunk % UPDATE_FREQ:
    raise ValueError('chunk must be a multiple of {}'.format(UPDATE_FREQ))
  dataset = train_speed.random_dataset(hyperparameters(network)[1],
                                        validate_size=0)
  total = (int(rounds) + 1) * chunk
  loops = {m: _loop(m, network, dataset, total, threads, int(grow_batch_size))
           for m in METHODS}
  best = {m: (np.inf, np.inf) for m in METHODS}  # (CPU, wall) seconds
  with progress.Bar((int(rounds) + 1) * len(loops), 'sparse_speed',
                    unit='chunks', quiet=quiet) as bar:
    for loop in loops.values():
      loop.run(chunk)  # warm-up
      bar.update()
    for _ in range(int(rounds)):
      for method, loop in loops.items():
        best[method] = tuple(map(min, best[method], loop.run(chunk)))
        bar.update()
  for loop in loops.values():
    loop.close()
  rate = {m: chunk / best[m][0] for m in METHODS}
  print('{}, batch {}, sparsity {:.0%}, mask update every {} steps, RigL '
        'growth batch {}; {} thread(s); best of {} chunks of {} steps'.format(
            network, BATCH_SIZE, SPARSITY, UPDATE_FREQ, grow_batch_size,
            threads, rounds, chunk))
  print('{:10s}  {:>13s} {:>10s} {:>10s} {:>13s}'.format(
      'method', 'steps/cpu-s', 'x dense', 'x static', 'wall steps/s'))
  for method in METHODS:
    print('{:10s}  {:13.0f} {:10.3f} {:10.3f} {:13.0f}'.format(
        method, rate[method], rate[method] / rate['dense'],
        rate[method] / rate['static'], chunk / best[method][1]))


RUNNER = command_line.command(main, 'bench.sparse_speed')


if __name__ == '__main__':
  command_line.run(RUNNER)
