"""Fire CLI: the lottery ticket experiment, one trial or several packed.

  python -m lottery_ticket.mnist_fc.runners.lottery_experiment \\
      --output_dir=/tmp/lt/trial0 --iterations=5 --dataset=digits \\
      --training_len=1000it --seed=0

  python -m lottery_ticket.mnist_fc.runners.lottery_experiment \\
      --output_dir=/tmp/lt --trials=4 --iterations=5 --dataset=digits

The second trains trials 0-3 (seeds 0-3, into /tmp/lt/trial0..trial3)
together, level by level, in one graph: each trial directory is what the
first command gives with that trial's seed and directory.

Re-running the same command resumes an interrupted experiment; re-running it
with other settings is refused (give --overwrite to start over).
"""

import functools

from lottery_ticket import command_line
from lottery_ticket.foundations import hparams
from lottery_ticket.foundations import paths
from lottery_ticket.mnist_fc import constants
from lottery_ticket.mnist_fc import experiments
from lottery_ticket.mnist_fc import trials as trials_lib
from lottery_ticket.mnist_fc.runners import common

S = hparams.Setting


def level_directories(output_dir, iterations, experiment_name, trials=0,
                      seed=0, **unused_flags):
  """The level directories of a line's trials (what the runner prints)."""
  return [paths.run(trial_dir, level, experiment_name)
          for trial_dir in trials_lib.output_directories(output_dir, trials,
                                                         seed)
          for level in range(iterations + 1)]


output_directories = trials_lib.output_directories


RUNNER = common.make_runner(
    name='lottery_experiment',
    summary='The lottery ticket experiment (one trial, or --trials packed): '
    'train, prune, reset the survivors, retrain, for levels 0..iterations.',
    arguments=(
        common.OUTPUT_DIR,
        experiments.ITERATIONS,
        S('experiment_name', 'str', constants.EXPERIMENT_NAME, 'the run name '
          'inside each level directory (a plain name)'),
        S('presets', 'str', '', 'a saved network level 0 starts from'),
        common.CONFIG, common.OVERWRITE, trials_lib.TRIALS),
    experiment=experiments.LOTTERY, summarized=level_directories)
validate_flags = functools.partial(command_line.validate_flags, RUNNER)

if __name__ == '__main__':
  command_line.run(RUNNER)
