"""A network trained in a pack equals the same network trained alone, bit for bit.

Each test trains three networks together (dense; masked with its own data
order; masked from presets) and each of them alone with trainer.train, and
compares initial and final weights, every record (training, validation and
test losses and accuracies) and the files each run writes.
"""

import os

import packed_testlib as lib
import pytest

from lottery_ticket.foundations import optimizers
from lottery_ticket.foundations import packed_trainer

OPTIMIZERS = ('sgd', 'momentum', 'adam', 'rmsprop')


def _compare(dataset, hyperparameters, optimizer_fn, tmp_path, training_len,
             **params):
  packed_dirs = [str(tmp_path / 'packed' / str(i)) for i in range(3)]
  members = lib.members(dataset, hyperparameters, packed_dirs)
  results = packed_trainer.train_packed(dataset, hyperparameters, members,
                                        optimizer_fn, training_len, **params)
  assert len(results) == len(members)
  for index, member in enumerate(members):
    alone_dir = str(tmp_path / 'alone' / str(index))
    initial, final = lib.alone(dataset, hyperparameters,
                               member._replace(output_dir=alone_dir),
                               optimizer_fn, training_len, **params)
    lib.assert_same_weights(results[index][0], initial)
    lib.assert_same_weights(results[index][1], final)
    assert lib.metrics(packed_dirs[index]) == lib.metrics(alone_dir)
    for log in ('train.log', 'test.log', 'validate.log'):
      with open(os.path.join(alone_dir, log)) as f:
        expected = f.read()
      with open(os.path.join(packed_dirs[index], log)) as f:
        assert f.read() == expected, log
    # The same files, but checkpoints' .meta graphs (nothing reads them).
    assert lib.tree(packed_dirs[index]) == [
        p for p in lib.tree(alone_dir) if not p.endswith('.meta')]
  return results


@pytest.mark.parametrize('name, batch_size', [
    ('sgd', 10), ('momentum', 60), ('adam', 60), ('rmsprop', 100)])
def test_mlp_pack_equals_alone(name, batch_size, tmp_path):
  dataset = lib.small_mlp_dataset()
  _compare(dataset, lib.MLP, optimizers.optimizer_fn(name), tmp_path,
           ('iterations', 100), batch_size=batch_size, test_interval=20)


@pytest.mark.parametrize('name', OPTIMIZERS)
def test_lenet5_pack_equals_alone(name, tmp_path):
  dataset = lib.digit_images()
  _compare(dataset, lib.lenet5(), optimizers.optimizer_fn(name), tmp_path,
           ('iterations', 100), batch_size=20, test_interval=50)


def test_decay_clipping_schedule_and_saving_equal_alone(tmp_path):
  dataset = lib.small_mlp_dataset()
  optimizer_fn = optimizers.optimizer_fn('momentum', 0.2, schedule='cosine',
                                         total_steps=90, warmup_steps=10)
  _compare(dataset, lib.MLP, optimizer_fn, tmp_path, ('iterations', 90),
           batch_size=10, test_interval=30, validate_interval=45,
           train_interval=15, weight_decay=1e-3, clip_norm=0.5,
           clip_value=0.05, checkpoint_interval=30, keep_checkpoints=0,
           save_weights_at=[0, 20])


def test_epochs_and_a_pack_of_one(tmp_path):
  dataset = lib.small_mlp_dataset()
  member = lib.members(dataset, lib.MLP)[1]
  [(initial, final)] = packed_trainer.train_packed(
      dataset, lib.MLP, [member], optimizers.optimizer_fn('adam'),
      ('epochs', 2), batch_size=10, test_interval=40)
  expected = lib.alone(dataset, lib.MLP, member,
                       optimizers.optimizer_fn('adam'), ('epochs', 2),
                       batch_size=10, test_interval=40)
  lib.assert_same_weights(initial, expected[0])
  lib.assert_same_weights(final, expected[1])

