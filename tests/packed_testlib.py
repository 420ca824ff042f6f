"""Shared pieces of the packed-training tests (this module holds no tests).

A network trained in a pack must equal the same network trained in a pack of
one, or in any other pack: `pack` trains members with trainer.train and
`members` makes three kinds of network (dense; masked with its own data
order; masked with presets), so a test compares them bit for bit.
"""

import hashlib
import os

import numpy as np

from lottery_ticket.datasets import dataset_cifar10
from lottery_ticket.datasets import registry
from lottery_ticket.foundations.models import architectures
from lottery_ticket.foundations import dataset_base
from lottery_ticket.foundations.models import packed_model
from lottery_ticket.foundations.storage import integrity
from lottery_ticket.foundations.training import train_options
from lottery_ticket.foundations import trainer

MLP = {'layers': [(16, 'relu'), (12, 'relu'), (4, None)]}


def lenet5():
  """LeNet-5's architecture (6, 16 filters; 120-84-10) for 8x8 digits."""
  return architectures.architecture('lenet5')


def resnet_tiny():
  """A ResNet-8 of width 2 (model_cifar), for 8x8 digits."""
  return {'resnet_depth': 8, 'resnet_width': 2}


def digit_images():
  """The offline digits as 8x8x1 images, with a validation split."""
  return registry.make_dataset('digits', flatten=False, train_order_seed=5,
                               validate_size=100)


def initial_shapes(dataset, hyperparameters, model_class=None):
  """dict tensor name -> shape of the network's kernels and biases."""
  values = trainer.initial_values(
      model_class or packed_model.model_class(hyperparameters),
      hyperparameters, dataset, trainer.Member())
  out = {}
  for name, value in values.items():
    layer, kind = name.split('/')[-1].rsplit('_', 1)
    if kind == 'w':
      out[layer] = value.shape
    elif kind == 'b':
      out[layer + '_bias'] = value.shape
  return out


# What the tests' trainings write unless a test asks otherwise: no
# checkpoints and no TensorBoard events (whose timestamps differ run to run).
QUIET = dict(checkpoint_interval=0, save_summaries=False)


def settings_and_arguments(params):
  """Splits keyword arguments into the training settings
  (train_options.options of them, QUIET by default) and trainer.train's
  other arguments."""
  names = {s.name for s in train_options.SETTINGS}
  settings = dict(QUIET, **{k: v for k, v in params.items() if k in names})
  return (train_options.options(**settings),
          {k: v for k, v in params.items() if k not in names})


def pack(dataset, hyperparameters, members, optimizer_fn, training_len,
         **params):
  """trainer.train with the settings among `params` as its training."""
  training, arguments = settings_and_arguments(params)
  return trainer.train(dataset, hyperparameters, members, optimizer_fn,
                       training_len, training, **arguments)


def members(dataset, hyperparameters, run_dirs=(None, None, None),
            model_class=None):
  """Three members: dense; masked (other order seed); masks and presets."""
  shapes = initial_shapes(dataset, hyperparameters, model_class)
  rng = np.random.default_rng(7)
  kernels = [name for name in shapes if not name.endswith('_bias')]
  masks = {name: (rng.random(shapes[name]) < 0.6).astype(np.float32)
           for name in kernels}
  presets = {name: rng.normal(scale=0.3, size=shapes[name]).astype(np.float32)
             for name in shapes}
  choices = [dict(init_seed=1),
             dict(init_seed=2, order_seed=11, masks=masks),
             dict(init_seed=3, order_seed=12, masks=masks, presets=presets)]
  return [trainer.Member(output_dir=d, **c)
          for d, c in zip(run_dirs, choices)]


def assert_same_weights(packed, expected):
  """Two dicts of arrays are equal bit for bit."""
  assert sorted(packed) == sorted(expected)
  for name in expected:
    np.testing.assert_array_equal(packed[name], expected[name], err_msg=name)


def metrics(run_dir):
  return integrity.read_json(os.path.join(run_dir, 'metrics.json'))


def small_mlp_dataset():
  """The conftest's tiny 4-class problem (20 features), built directly."""
  rng = np.random.default_rng(0)
  images = rng.normal(size=(600, 20)).astype(np.float32)
  labels = (images[:, 0] > 0).astype(np.int32) + 2 * (images[:, 1] > 0)
  return dataset_base.DatasetBase(images[:500], labels[:500], images[500:],
                                  labels[500:], validate_size=50,
                                  train_order_seed=3)


# Files whose bytes name a time, a process or a host, not a result.
CIRCUMSTANTIAL = ('DONE', '.lock')


def tree_bytes(root):
  """{relative path: bytes} of every result file under root (summaries/,
  DONE and the lock left out)."""
  out = {}
  for directory, subdirectories, names in os.walk(root):
    subdirectories[:] = [d for d in subdirectories if d != 'summaries']
    for name in names:
      if name in CIRCUMSTANTIAL:
        continue
      path = os.path.join(directory, name)
      with open(path, 'rb') as f:
        out[os.path.relpath(path, root)] = f.read()
  return out


def file_digests(directory):
  """relative path -> md5 of every file beneath `directory` (locks too: a
  refusal must leave none behind)."""
  out = {}
  for root, _, files in os.walk(directory):
    for name in files:
      path = os.path.join(root, name)
      with open(path, 'rb') as f:
        out[os.path.relpath(path, directory)] = hashlib.md5(
            f.read()).hexdigest()
  return out


def assert_same_trees(got, expected):
  """Two run trees hold the same result files, byte for byte."""
  got, expected = tree_bytes(got), tree_bytes(expected)
  assert sorted(got) == sorted(expected)
  differing = [p for p in got if got[p] != expected[p]]
  assert not differing, differing


def tiny_cifar10(directory, per_batch=24, seed=0):
  """Six CIFAR-10 binary batches of `per_batch` random records each, in the
  published on-disk format (a label byte, then the red, green and blue
  planes)."""
  rng = np.random.default_rng(seed)
  os.makedirs(directory, exist_ok=True)
  for name in dataset_cifar10.TRAIN_BATCHES + (dataset_cifar10.TEST_BATCH,):
    records = np.empty((per_batch, dataset_cifar10.RECORD_BYTES), np.uint8)
    records[:, 0] = rng.integers(0, 10, per_batch)
    records[:, 1:] = rng.integers(0, 256, (per_batch, 3072))
    records.tofile(os.path.join(directory, name))
  return directory
