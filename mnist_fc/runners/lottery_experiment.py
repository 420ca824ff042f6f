"""Fire CLI: the lottery ticket experiment, one trial.

  python -m lottery_ticket.mnist_fc.runners.lottery_experiment \\
      --output_dir=/tmp/lt/trial0 --iterations=5 --dataset=digits \\
      --training_len=1000it --seed=0

Re-running the same command resumes an interrupted experiment.
"""

from lottery_ticket.foundations import paths
from lottery_ticket.mnist_fc import constants
from lottery_ticket.mnist_fc import lottery_experiment as lottery_lib
from lottery_ticket.mnist_fc import run_config
from lottery_ticket.mnist_fc.runners import cli


def lottery_experiment(output_dir, iterations=5,
                       experiment_name=constants.EXPERIMENT_NAME,
                       presets=None, rewind_iteration=0, pruning='layerwise',
                       config=None, **flags):
  """Trains, prunes, resets and retrains for levels 0..iterations."""
  lottery_lib.lottery_experiment(
      output_dir, iterations=iterations, experiment_name=experiment_name,
      presets=presets, rewind_iteration=rewind_iteration, pruning=pruning,
      config=config, **flags)
  cli.print_summary([paths.run(output_dir, level, experiment_name)
                     for level in range(int(iterations) + 1)])


def output_directory(output_dir, **unused_flags):
  """The directory a line of a sweep writes (for the argfile runner)."""
  return output_dir


lottery_experiment.__doc__ += '\n\nRunConfig flags:\n' + run_config.flags_help()

if __name__ == '__main__':
  cli.run(lottery_experiment, 'lottery_experiment')
