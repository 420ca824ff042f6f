"""Shared fixtures of the analysis tests (this module holds no tests).

`lottery_tree()` trains, once per test process, a tiny real lottery
experiment on the offline digits data: trial0 with levels 0 and 1
(same_init) and the reinit control of level 1. `fake_run()` writes a run
directory by hand (configuration, weights, masks, metrics) without training;
`write_run()` one with a given configuration and metrics, and a mask of an
exact density.
"""

import atexit
import functools
import os
import shutil
import tempfile

import numpy as np

from lottery_ticket.foundations import paths
from lottery_ticket.foundations import save_restore

FLAGS = dict(dataset='digits', layers=(20,), training_len='200it',
             test_interval=50, checkpoint_interval=0, save_summaries=False)


@functools.lru_cache(maxsize=1)
def lottery_tree():
  """The experiment directory of a tiny trained lottery experiment."""
  from lottery_ticket.mnist_fc import lottery_experiment  # pylint: disable=g-import-not-at-top
  from lottery_ticket.mnist_fc import reinitialize  # pylint: disable=g-import-not-at-top
  root = tempfile.mkdtemp(prefix='analysis-tree-')
  atexit.register(shutil.rmtree, root, True)
  trial = paths.trial(root, 0)
  lottery_experiment.lottery_experiment(trial, iterations=1, **FLAGS)
  reinitialize.reinitialize(trial, 1, mode='reinit')
  return root


def run_config_dict(layers=(6,), **overrides):
  """The flat settings a format-1 config.json kept under 'run'."""
  from lottery_ticket.mnist_fc import config as config_lib  # pylint: disable=g-import-not-at-top
  from lottery_ticket.mnist_fc import settings  # pylint: disable=g-import-not-at-top
  flags = dict(FLAGS, layers=layers)
  flags.update(overrides)
  values = config_lib.resolve(settings.BASE, flags).values
  return {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}


def fake_run(run_dir, layers=(6,), inputs=64, classes=10, sparsity=0.5,
             seed=0, metrics=None, extra_config=None, done=True):
  """Writes a run directory with random weights and masks; returns weights.

  Args:
    run_dir: the directory to write.
    layers: hidden layer sizes.
    inputs, classes: input features and classes (digits: 64, 10).
    sparsity: fraction of each kernel's weights masked out.
    seed: seed of the weights and masks.
    metrics: metrics.json content (default: one test record).
    extra_config: more config.json keys.
    done: write the DONE marker.
  """
  rng = np.random.default_rng(seed)
  sizes = [inputs] + list(layers) + [classes]
  weights, masks = {}, {}
  for index, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
    name = 'layer{}'.format(index)
    mask = (rng.random((fan_in, fan_out)) >= sparsity).astype(np.float32)
    kernel = rng.normal(0, 1 / np.sqrt(fan_in), (fan_in, fan_out))
    weights[name] = (kernel * mask).astype(np.float32)
    weights[name + '_bias'] = rng.normal(0, 0.1, fan_out).astype(np.float32)
    masks[name] = mask
  os.makedirs(run_dir, exist_ok=True)
  config = {'run': run_config_dict(layers)}
  config.update(extra_config or {})
  save_restore.write_json(paths.config(run_dir), config)
  save_restore.write_json(paths.metrics(run_dir), metrics or {
      'test': [{'iteration': 0, 'loss': 2.0, 'accuracy': 0.1}]})
  save_restore.save_network(paths.final(run_dir), weights)
  save_restore.save_network(paths.initial(run_dir), weights)
  save_restore.save_network(paths.masks(run_dir), masks)
  if done:
    save_restore.write_json(paths.done_marker(run_dir), {})
  return weights, masks


def write_run(run_dir, config, metrics, density=None):
  """Writes a finished run: config.json and metrics.json as given, and, with
  `density`, one 10x10 mask 'layer0' with exactly 100 * density ones (so the
  run's percent of weights remaining is 100 * density)."""
  os.makedirs(run_dir, exist_ok=True)
  save_restore.write_json(paths.config(run_dir), config)
  save_restore.write_json(paths.metrics(run_dir), metrics)
  if density is not None:
    mask = np.zeros(100, np.float32)
    mask[:int(round(100 * density))] = 1
    save_restore.save_network(paths.masks(run_dir),
                              {'layer0': mask.reshape(10, 10)})
  save_restore.write_json(paths.done_marker(run_dir), {})
