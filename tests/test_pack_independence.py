"""A network's numbers do not depend on the pack it trains in.

Every command line trains a lone run as a pack of one, and --trials as a
pack of N; so a network must end byte for byte the same whatever its pack's
size and its position in it: its initial and final weights, its masks and
every file its run directory holds (packs of 1, 2, 3 and 8 at several
positions for the MLP, of 1 and 2 for LeNet-5 and for a tiny ResNet whose
batch norms and augmentation are per network; with masks, presets and
clipping, and a cosine schedule from a late start; SET and RigL updates are
checked through the command line in test_packed_sparse_train.py).
"""

import numpy as np
import packed_testlib as lib
import pytest

from lottery_ticket.foundations.training import augmentation
from lottery_ticket.foundations.training import optimizers
from lottery_ticket.foundations import trainer

# The property holds for the graphs runs build, optimized as they are.
pytestmark = pytest.mark.usefixtures('production_graphs')

PARAMS = dict(batch_size=20, test_interval=10, checkpoint_interval=15,
              clip_norm=0.5)


def _others(count, directory):
  """Pack mates: dense networks of other seeds and data orders."""
  return [trainer.Member(output_dir=str(directory / str(i)),
                                init_seed=50 + i, order_seed=70 + i)
          for i in range(count)]


COSINE = dict(name='momentum', schedule='cosine', total_steps=40)
LATE_START = dict(first_iteration=10, save_weights_at=[10, 20])


@pytest.mark.slow
@pytest.mark.parametrize('hyperparameters, dataset, optimizer, places, more', [
    # In the fast lane, MLPs in packs of 1 and 3 below (cosine), and Adam in
    # packs of 3 in test_packed_resume.py; packs of 2 and 8 in the full suite.
    pytest.param(lib.MLP, lib.small_mlp_dataset, dict(name='adam'),
                 ((1, 0), (2, 1), (3, 0), (8, 5)), {}, marks=pytest.mark.slow),
    (lib.MLP, lib.small_mlp_dataset, COSINE, ((1, 0), (3, 2)), LATE_START),
    (lib.lenet5(), lib.digit_images, dict(name='momentum'), ((1, 0), (2, 1)),
     {}),
    pytest.param(lib.resnet_tiny(), lib.digit_images, dict(name='momentum'),
                 ((1, 0), (2, 1)),
                 dict(augment=augmentation.Augmentation(padding=1)),
                 marks=pytest.mark.slow),
], ids=['mlp-adam', 'mlp-cosine-late-start', 'lenet5-momentum',
        'resnet-tiny-augmented'])
def test_size_and_position_leave_a_network_unchanged(tmp_path,
                                                     hyperparameters,
                                                     dataset, optimizer,
                                                     places, more):
  data = dataset()
  optimizer_fn = optimizers.optimizer_fn(**optimizer)
  # The masked network with presets and its own data order.
  member = lib.members(data, hyperparameters)[2]
  runs = {}
  for size, position in places:
    run_dir = str(tmp_path / '{}of{}'.format(position, size))
    mates = _others(size - 1, tmp_path / 'mates{}'.format(size))
    pack = mates[:position] + [member._replace(output_dir=run_dir)]
    pack += mates[position:]
    results = lib.pack(data, hyperparameters, pack, optimizer_fn,
                       ('iterations', 30), **dict(PARAMS, **more))
    runs[run_dir] = results[position]
  first = next(iter(runs))
  for run_dir, (initial, final) in runs.items():
    lib.assert_same_weights(initial, runs[first][0])
    lib.assert_same_weights(final, runs[first][1])
    assert lib.tree_bytes(run_dir) == lib.tree_bytes(first), run_dir
  initial, final = runs[first]
  assert all(not np.array_equal(initial[name], final[name])
             for name in initial), 'training changed nothing'
