"""Fire CLI: one sparse-training run of any method of sparse_methods (dense,
small_dense, prune, lottery, scratch, set, rigl, rigl_inverted, and pruning at
initialisation: snip, grasp, synflow, force, iter_snip, magnitude_init,
random_init).

  python -m lottery_ticket.mnist_fc.runners.sparse_train \\
      --method=rigl --sparsity=0.9 --output_dir=/tmp/sparse/rigl \\
      --dataset=digits --training_len=2000it --seed=1

  # The paper's settings (LeNet-5 or the MLP on MNIST) for any method:
  python -m lottery_ticket.mnist_fc.runners.sparse_train \\
      --preset=mlp --method=prune --output_dir=/tmp/sparse/prune

  # Lottery and scratch train the final mask of a finished run:
  python -m lottery_ticket.mnist_fc.runners.sparse_train --preset=mlp \\
      --method=lottery --mask_from=/tmp/sparse/prune --output_dir=/tmp/sparse/lt

  # Start from a saved configuration and change single values:
  python -m lottery_ticket.mnist_fc.runners.sparse_train \\
      --config=/tmp/sparse/rigl/config.json --drop_fraction=0.5 \\
      --output_dir=/tmp/sparse/rigl_df05

  # Trials 0-3 (seeds 0-3, into /tmp/sparse/set/trial0..trial3) trained
  # together in one graph, each as the command with that --seed and
  # --output_dir=/tmp/sparse/set/trial{t} trains it alone:
  python -m lottery_ticket.mnist_fc.runners.sparse_train --preset=mlp \\
      --method=set --sparsity=0.9 --output_dir=/tmp/sparse/set --trials=4

Re-running a command resumes a killed run from its latest checkpoint; a
finished run is left as it is; another configuration is refused (give
--overwrite to start over). Bad input exits with status 2 and one line.
"""

import functools

from lottery_ticket import command_line
from lottery_ticket.mnist_fc import experiments
from lottery_ticket.mnist_fc import sparse_presets
from lottery_ticket.mnist_fc import trials as trials_lib
from lottery_ticket.mnist_fc.runners import common


output_directories = trials_lib.output_directories


RUNNER = common.make_runner(
    name='sparse_train',
    summary='One sparse-training run into --output_dir (or --trials packed).',
    arguments=(common.OUTPUT_DIR, common.CONFIG, common.OVERWRITE,
               trials_lib.TRIALS),
    experiment=experiments.SPARSE_TRAIN, summarized=output_directories,
    epilog='save_freq and log_freq are accepted as the paper\'s names of '
    'checkpoint_interval and test_interval.\n\nPresets (--preset=NAME, '
    'resolved for --method):\n' + sparse_presets.describe())
validate_flags = functools.partial(command_line.validate_flags, RUNNER)

if __name__ == '__main__':
  command_line.run(RUNNER)
