"""Milliseconds per training step of the CIFAR ResNets and VGGs on this CPU.

The trainer's own in-graph step (trainer.build_loop: gather the batch,
augment it, batch norms in training mode, SGD with momentum) for one network
on CIFAR-shaped random data, timed as a marginal rate: (time of `steps`
steps - time of `warmup` steps) / (steps - warmup), which cancels the
set-up.

  python -m lottery_ticket.bench.cifar_speed [--networks=resnet20,vgg16]
      [--batch_size=128] [--steps=20] [--warmup=5] [--augment=True]
"""

import numpy as np

from lottery_ticket import command_line
from lottery_ticket.bench import train_speed
from lottery_ticket.foundations import dataset_base
from lottery_ticket.foundations.training import optimizers


def random_cifar(train=2048, test=128, seed=0):
  """CIFAR-shaped random images and labels."""
  rng = np.random.default_rng(seed)
  images = rng.normal(size=(train + test, 32, 32, 3)).astype(np.float32)
  labels = rng.integers(0, 10, train + test).astype(np.int32)
  return dataset_base.DatasetBase(images[:train], labels[:train],
                                  images[train:], labels[train:],
                                  train_order_seed=1)


def ms_per_step(name, batch_size=128, steps=20, warmup=5, augment=True,
                dataset=None):
  """Marginal milliseconds per training step of architecture `name`."""
  from lottery_ticket.foundations.models import architectures  # pylint: disable=g-import-not-at-top
  from lottery_ticket.foundations.training import augmentation  # pylint: disable=g-import-not-at-top
  loop = train_speed.Loop(
      architectures.architecture(name), dataset or random_cifar(),
      optimizers.optimizer_fn('momentum', learning_rate=0.1), batch_size,
      augment=augmentation.Augmentation() if augment else None, seeds=[1])
  loop.run(2)  # first run: allocations, oneDNN primitives
  short = loop.run(warmup)[1]
  long = loop.run(steps)[1]
  loop.close()
  return 1000.0 * (long - short) / (steps - warmup)


def main(networks='resnet20,vgg16', batch_size=128, steps=20, warmup=5,
         augment=True):
  """Prints ms/step per network."""
  if isinstance(networks, str):
    networks = networks.split(',')
  dataset = random_cifar()
  for name in networks:
    value = ms_per_step(name, batch_size, steps, warmup, augment, dataset)
    print('{}: {:.1f} ms/step at batch {} ({:.1f} examples/s)'.format(
        name, value, batch_size, 1000.0 * batch_size / value))


RUNNER = command_line.command(main, 'bench.cifar_speed')


if __name__ == '__main__':
  command_line.run(RUNNER)
