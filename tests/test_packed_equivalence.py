"""A network trained in a pack equals the same network trained alone, bit for bit.

Each test trains three networks together (dense; masked with its own data
order; masked from presets) and each of them alone with trainer.train, and
compares initial and final weights, every record (training, validation and
test losses and accuracies) and the files each run writes.
"""

import os

import numpy as np
import packed_testlib as lib
import pytest

from lottery_ticket.foundations import optimizers
from lottery_ticket.foundations import packed_trainer
from lottery_ticket.foundations import trainer


def _compare(dataset, hyperparameters, optimizer_fn, tmp_path, training_len,
             **params):
  packed_dirs = [str(tmp_path / 'packed' / str(i)) for i in range(3)]
  members = lib.members(dataset, hyperparameters, packed_dirs)
  results = lib.pack(dataset, hyperparameters, members, optimizer_fn,
                     training_len, **params)
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
    assert lib.tree(packed_dirs[index]) == lib.tree(alone_dir)
  return results


@pytest.mark.parametrize('name, batch_size', [
    ('sgd', 10), ('momentum', 60), ('adam', 60), ('rmsprop', 100)])
def test_mlp_pack_equals_alone(name, batch_size, tmp_path):
  dataset = lib.small_mlp_dataset()
  _compare(dataset, lib.MLP, optimizers.optimizer_fn(name), tmp_path,
           ('iterations', 100), batch_size=batch_size, test_interval=20,
           checkpoint_interval=30)


# The conv layers with the two update rules that keep slots; the others'
# updates are checked on the MLP above, and LeNet-5 with momentum in packs
# of other sizes in test_pack_independence.py.
@pytest.mark.parametrize('name', ['adam', 'rmsprop'])
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
  [(initial, final)] = lib.pack(
      dataset, lib.MLP, [member], optimizers.optimizer_fn('adam'),
      ('epochs', 2), batch_size=10, test_interval=40)
  expected = lib.alone(dataset, lib.MLP, member,
                       optimizers.optimizer_fn('adam'), ('epochs', 2),
                       batch_size=10, test_interval=40)
  lib.assert_same_weights(initial, expected[0])
  lib.assert_same_weights(final, expected[1])



def test_a_pack_may_start_at_iteration_k(tmp_path):
  """A training that continues another from its iteration k (late rewinding)."""
  dataset = lib.small_mlp_dataset()
  optimizer_fn = optimizers.optimizer_fn('sgd', 0.1, schedule='cosine',
                                         total_steps=90)
  _compare(dataset, lib.MLP, optimizer_fn, tmp_path, ('iterations', 90),
           batch_size=10, test_interval=20, first_iteration=30,
           save_weights_at=[30, 60], checkpoint_interval=40)


def test_a_diverging_network_stops_as_alone_and_the_others_finish(tmp_path):
  dataset = lib.small_mlp_dataset()
  dirs = [str(tmp_path / 'packed' / str(i)) for i in range(3)]
  members = lib.members(dataset, lib.MLP, dirs)
  huge = {name: np.full_like(value, 1e30) for name, value in
          lib.members(dataset, lib.MLP)[2].presets.items()}
  members[1] = members[1]._replace(presets=huge)
  params = dict(batch_size=10, test_interval=20, checkpoint_interval=20)
  optimizer_fn = optimizers.optimizer_fn('sgd', 0.1)
  with pytest.raises(packed_trainer.PackDiverged) as caught:
    lib.pack(dataset, lib.MLP, members, optimizer_fn, ('iterations', 60),
             **params)
  assert sorted(caught.value.errors) == [1]
  alone_dir = str(tmp_path / 'alone')
  with pytest.raises(trainer.NonFiniteError) as alone_error:
    lib.alone(dataset, lib.MLP, members[1]._replace(output_dir=alone_dir),
              optimizer_fn, ('iterations', 60), **params)
  assert str(caught.value.errors[1]) == str(alone_error.value)
  assert dirs[1] in str(caught.value)
  with open(os.path.join(alone_dir, 'metrics.json')) as f:
    expected = f.read()
  with open(os.path.join(dirs[1], 'metrics.json')) as f:
    assert f.read() == expected  # NaN included, so compared as text
  assert lib.tree(dirs[1]) == lib.tree(alone_dir)  # no final/, no checkpoint
  assert caught.value.results[1] is None
  for index in (0, 2):
    expected = lib.alone(dataset, lib.MLP, members[index]._replace(
        output_dir=str(tmp_path / 'alone{}'.format(index))), optimizer_fn,
                         ('iterations', 60), **params)
    lib.assert_same_weights(caught.value.results[index][1], expected[1])
    assert lib.tree(dirs[index]) == lib.tree(
        str(tmp_path / 'alone{}'.format(index)))
