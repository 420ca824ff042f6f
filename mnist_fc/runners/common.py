"""What this library's runners share on top of `lottery_ticket.command_line`.

Their common arguments (`--output_dir`, `--config`, `--overwrite`), and
`make_runner`, which gives a runner the concerns of its kind of run
(experiments.py), their check (`validate_flags`) and the release of the run
directories it locked when it fails or is interrupted in-process.

A runner module imports its library module (and so TensorFlow) inside the
function it runs, not at its top: its `--help` and `validate_flags` read
only the declarations, which import no TensorFlow.
"""

import functools

from lottery_ticket import command_line
from lottery_ticket.foundations import hparams
from lottery_ticket.mnist_fc import runs

S = hparams.Setting
OUTPUT_DIR = S('output_dir', 'str', None, 'the directory this run writes '
               '(required)', derived='required')
CONFIG = S('config', 'str', '', 'a config.json to start from; flags given '
           'beside it override single values')
OVERWRITE = S('overwrite', 'bool', False, 'start over when the output '
              'directory holds a run of another configuration (its outputs '
              'are removed)')


def make_runner(name, function, summary, arguments, experiment, epilog=''):
  """A command_line.Runner of one kind of run.

  Args:
    name, function, summary, arguments, epilog: as command_line.Runner's.
    experiment: the experiments.Experiment it runs: its concerns give the
      flags, its resolve checks them.

  Returns:
    The Runner, its cleanup releasing the run directories' locks.
  """
  return command_line.Runner(
      name=name, function=function, summary=summary, arguments=arguments,
      concerns=experiment.concerns,
      resolve=functools.partial(experiment.resolve, source=name),
      default_overrides=experiment.default_overrides, epilog=epilog,
      cleanup=runs.release_all)
