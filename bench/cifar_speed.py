"""Milliseconds per training step of the CIFAR ResNets and VGGs on this CPU.

The trainer's own in-graph step (trainer.build_loop: gather the batch,
augment it, batch norms in training mode, SGD with momentum) for one network
on CIFAR-shaped random data, timed as a marginal rate: (time of `steps`
steps - time of `warmup` steps) / (steps - warmup), which cancels the
set-up.

  python -m lottery_ticket.bench.cifar_speed [--networks=resnet20,vgg16]
      [--batch_size=128] [--steps=20] [--warmup=5] [--augment=True]
"""

import time

import numpy as np

from lottery_ticket import command_line
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
  import tensorflow.compat.v1 as tf  # pylint: disable=g-import-not-at-top
  from lottery_ticket.foundations.training import graph_mode  # pylint: disable=g-import-not-at-top,unused-import
  from lottery_ticket.foundations.training import augmentation  # pylint: disable=g-import-not-at-top
  from lottery_ticket.foundations.training import graph_data  # pylint: disable=g-import-not-at-top
  from lottery_ticket.foundations.models import packed_model  # pylint: disable=g-import-not-at-top
  from lottery_ticket.foundations.training import session as session_lib  # pylint: disable=g-import-not-at-top
  from lottery_ticket.foundations import trainer  # pylint: disable=g-import-not-at-top
  dataset = dataset or random_cifar()
  hyperparameters = architectures.architecture(name)
  model_class = packed_model.model_class(hyperparameters)
  starting = trainer.initial_values(model_class, hyperparameters, dataset,
                                    trainer.Member())
  with tf.Graph().as_default() as graph:
    data = graph_data.GraphData(dataset)
    global_step = tf.train.get_or_create_global_step()
    inputs, labels = dataset.placeholders()
    model = packed_model.packed_class(model_class)(1, hyperparameters, inputs,
                                                   labels)
    optimizer = trainer.create_optimizer(model, optimizers.optimizer_fn(
        'momentum', learning_rate=0.1))
    loop = trainer.build_loop(
        model, data, optimizer, global_step, batch_size,
        augment=augmentation.Augmentation() if augment else None, seeds=[1])
    variables = {v.op.name: v for v in tf.global_variables()}
    feeds = {tf.placeholder(tf.float32, value[None].shape): value[None]
             for value in starting.values()}
    load = [variables[name].assign(placeholder)
            for name, placeholder in zip(starting, feeds)]
    with session_lib.new_session(graph) as sess:
      sess.run(tf.global_variables_initializer())
      data.initialize(sess)
      sess.run(load, feeds)

      def run(count, start):
        order = dataset.train_order(start, count, batch_size)[:, None]
        began = time.perf_counter()
        sess.run(loop.metrics, {loop.indices: order})
        return time.perf_counter() - began

      run(2, 0)  # first run: allocations, oneDNN primitives
      short = run(warmup, 2)
      long = run(steps, 2 + warmup)
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
