"""Fire CLI: the reinitialisation controls of a finished lottery level.

  python -m lottery_ticket.mnist_fc.runners.reinitialize \\
      --output_dir=/tmp/lt/trial0 --level=3 --mode=reinit

Modes: reinit (fresh random init), reuse (re-sampled from the surviving
initial weights), reuse_sign (re-sampled magnitudes, original signs).
"""

import functools

from lottery_ticket.foundations import hparams
from lottery_ticket.mnist_fc import reinitialize as reinitialize_lib
from lottery_ticket.mnist_fc import train as train_lib
from lottery_ticket.mnist_fc import trials as trials_lib
from lottery_ticket.mnist_fc.runners import cli

S = hparams.Setting
output_directory = reinitialize_lib.output_directory


def output_directories(output_dir, level, mode='reinit', trials=0, seed=0,
                       **unused_flags):
  """The run directories a line of a sweep writes (for the argfile runner):
  {trial}/{level}/{mode} of the trial directory output_dir, or with --trials
  of each trial directory under the base output_dir."""
  return [output_directory(trial_dir, level, mode)
          for trial_dir in trials_lib.output_directories(output_dir, trials,
                                                         seed)]


def reinitialize(output_dir, level, mode='reinit', source_experiment='same_init',
                 distribution=None, config=None, overwrite=False, **flags):
  """Retrains a level's masks from a new initialisation."""
  reinitialize_lib.reinitialize(
      output_dir, level, mode=mode, source_experiment=source_experiment,
      distribution=distribution or None, config=config or None,
      overwrite=cli.OVERWRITE.parse(overwrite), **flags)
  cli.print_summary([output_directory(output_dir, level, mode)])


RUNNER = cli.Runner(
    name='reinitialize', function=reinitialize,
    summary="The controls of a finished lottery level: its masks trained "
    'from another initialisation, into {output_dir}/{level}/{mode}/.',
    arguments=(
        S('output_dir', 'str', None, 'the trial directory of a lottery '
          'experiment (required)', derived='required'),
        S('level', 'int', None, 'the pruning level whose masks to use '
          '(required)', minimum=0, derived='required'),
        S('mode', 'str', 'reinit', 'reinit (fresh random initialisation), '
          'reuse (re-sampled from the surviving initial weights), reuse_sign '
          '(re-sampled magnitudes, original signs)',
          choices=reinitialize_lib.MODES),
        S('source_experiment', 'str', 'same_init', 'the experiment name '
          'holding the masks'),
        S('distribution', 'str', None, 'a saved network to re-sample from',
          derived="the level's initial weights"),
        S('config', 'str', None, 'a config.json to start from',
          derived="the source run's"),
        cli.OVERWRITE),
    concerns=train_lib.CONCERNS)
validate_flags = functools.partial(cli.validate_flags, RUNNER)

if __name__ == '__main__':
  cli.run(RUNNER)
