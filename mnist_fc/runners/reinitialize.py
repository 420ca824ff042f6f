"""Fire CLI: the reinitialisation controls of a finished lottery level.

  python -m lottery_ticket.mnist_fc.runners.reinitialize \\
      --output_dir=/tmp/lt/trial0 --level=3 --mode=reinit

  python -m lottery_ticket.mnist_fc.runners.reinitialize \\
      --output_dir=/tmp/lt --trials=4 --level=3 --mode=reinit

Modes: reinit (fresh random init), reuse (re-sampled from the surviving
initial weights), reuse_sign (re-sampled magnitudes, original signs). The
second command trains the controls of trials 0-3 (/tmp/lt/trial0..trial3)
together in one graph, each as the first command trains it alone with
--output_dir=/tmp/lt/trial{t} --seed={t}.
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


def output_directories(output_dir, level, mode='reinit', trials=0, seed=0,
                       **unused_flags):
  """The run directories a line of a sweep writes (for the argfile runner):
  {trial}/{level}/{mode} of the trial directory output_dir, or with --trials
  of each trial directory under the base output_dir."""
  return [paths.run(trial_dir, level, mode)
          for trial_dir in trials_lib.output_directories(output_dir, trials,
                                                         seed)]


RUNNER = common.make_runner(
    name='reinitialize',
    summary="The controls of a finished lottery level: its masks trained "
    'from another initialisation, into {output_dir}/{level}/{mode}/.',
    arguments=(
        S('output_dir', 'str', None, 'the trial directory of a lottery '
          'experiment (with --trials: the directory of its trial{t} '
          'directories; required)', derived='required'),
        experiments.LEVEL,
        S('mode', 'str', 'reinit', 'reinit (fresh random initialisation), '
          'reuse (re-sampled from the surviving initial weights), reuse_sign '
          '(re-sampled magnitudes, original signs)',
          choices=experiments.MODES),
        S('source_experiment', 'str', constants.EXPERIMENT_NAME, 'the '
          'experiment name holding the masks'),
        S('distribution', 'str', None, 'a saved network to re-sample from',
          derived="the level's initial weights"),
        S('config', 'str', None, 'a config.json to start from',
          derived="the source run's"),
        common.OVERWRITE, trials_lib.TRIALS),
    experiment=experiments.REINITIALIZE, summarized=output_directories)
validate_flags = functools.partial(command_line.validate_flags, RUNNER)

if __name__ == '__main__':
  command_line.run(RUNNER)
