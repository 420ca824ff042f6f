"""A packed training run that a test kills and runs again (no tests here).

  python packed_job.py OUTPUT_DIR ITERATIONS

trains packed_testlib.members (three MLPs on the tiny problem, Adam) into
OUTPUT_DIR/0, /1, /2 with a checkpoint every 100 iterations.
"""

import os
import sys

import packed_testlib as lib

from lottery_ticket.foundations import optimizers


def main(output_dir, iterations):
  dataset = lib.small_mlp_dataset()
  members = lib.members(dataset, lib.MLP, [os.path.join(output_dir, str(i))
                                           for i in range(3)])
  lib.pack(dataset, lib.MLP, members, optimizers.optimizer_fn('adam'),
           ('iterations', int(iterations)), batch_size=10, test_interval=50,
           checkpoint_interval=100)


if __name__ == '__main__':
  main(*sys.argv[1:])
