"""Pruning at initialisation's own settings, its sanity-check ablations
(Frankle et al. 2021) and the warning of a collapsed layer."""

import numpy as np
import pytest

from lottery_ticket.foundations import sparsity_distribution as dist
from lottery_ticket.mnist_fc import config as config_lib
from lottery_ticket.mnist_fc import experiments
from lottery_ticket.mnist_fc import sparse_setup

TINY = dict(dataset='digits', layers=(16,), batch_size=32, test_interval=10,
            grad_batch_size=100, grow_batch_size=100, training_len='10it',
            save_summaries=False)


def _config(**flags):
  resolved = experiments.SPARSE_TRAIN.resolve(dict(TINY, **flags))
  return config_lib.complete(resolved, resolved.make_dataset())


def _start(**flags):
  config = _config(**flags)
  return config, sparse_setup.prepare(config, config.make_dataset())


def _shapes(masks):
  return {n: list(m.shape) for n, m in masks.items()}


def test_layer_scope_keeps_the_distributions_counts():
  config, start = _start(method='synflow', sparsity=0.9, prune_rounds=3,
                         prune_scope='layer')
  counts = dist.layer_counts(_shapes(start.masks), 0.9, 'uniform')
  assert {n: int(m.sum()) for n, m in start.masks.items()} == counts
  assert config.sparse.prune_rounds == 3


def test_global_scope_keeps_the_total():
  _, start = _start(method='magnitude_init', sparsity=0.9)
  counts = dist.layer_counts(_shapes(start.masks), 0.9, 'uniform')
  assert sum(int(m.sum()) for m in start.masks.values()) == sum(
      counts.values())


@pytest.mark.parametrize('flags, message', [
    (dict(method='snip', prune_rounds=5), '--prune_rounds=5 is read only'),
    (dict(method='magnitude_init', prune_rounds=5), 'synflow, force or'),
    (dict(method='grasp', prune_scope='layer'), '--prune_scope=layer is read'),
])
def test_settings_a_method_does_not_read_are_refused(flags, message):
  with pytest.raises(ValueError, match=message):
    experiments.SPARSE_TRAIN.resolve(dict(TINY, sparsity=0.5, **flags))
