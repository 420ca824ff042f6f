"""Fire CLI: the reinitialisation controls of a finished lottery level.

  python -m lottery_ticket.mnist_fc.runners.reinitialize \\
      --output_dir=/tmp/lt/trial0 --level=3 --mode=reinit

Modes: reinit (fresh random init), reuse (re-sampled from the surviving
initial weights), reuse_sign (re-sampled magnitudes, original signs).
"""

from lottery_ticket.mnist_fc import reinitialize as reinitialize_lib
from lottery_ticket.mnist_fc import run_config
from lottery_ticket.mnist_fc.runners import cli

output_directory = reinitialize_lib.output_directory


def reinitialize(output_dir, level, mode='reinit', source_experiment='same_init',
                 distribution=None, config=None, **flags):
  """Retrains a level's masks from a new initialisation."""
  reinitialize_lib.reinitialize(
      output_dir, level, mode=mode, source_experiment=source_experiment,
      distribution=distribution, config=config, **flags)
  cli.print_summary([output_directory(output_dir, level, mode)])


reinitialize.__doc__ += '\n\nRunConfig flags:\n' + run_config.flags_help()

if __name__ == '__main__':
  cli.run(reinitialize, 'reinitialize')
