"""What this library's runners share on top of `lottery_ticket.command_line`.

Their common arguments (`--output_dir`, `--config`, `--overwrite`), and
`make_runner`, which gives a runner the concerns of its kind of run
(experiments.py), their check (`validate_flags`), the function it runs and
the release of the run directories it locked when it fails or is
interrupted in-process.

A runner imports its library module (and so TensorFlow) when it runs, not
at its top: its `--help` and `validate_flags` read only the declarations,
which import no TensorFlow.
"""

import functools
import importlib

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


def make_runner(name, summary, arguments, experiment, summarized,
                epilog=''):
  """A command_line.Runner of one kind of run.

  Args:
    name, summary, arguments, epilog: as command_line.Runner's; `name` is
      also the library module (mnist_fc/{name}.py) and its function the
      runner calls with the values read (an empty text as None).
    experiment: the experiments.Experiment it runs: its concerns give the
      flags, its resolve checks them.
    summarized: callable(**values) -> the run directories whose line the
      runner prints once they are trained (runs.print_summary).

  Returns:
    The Runner, its cleanup releasing the run directories' locks.
  """

  def run(**values):
    library = importlib.import_module('lottery_ticket.mnist_fc.' + name)
    getattr(library, name)(**{k: None if v == '' else v
                              for k, v in values.items()})
    runs.print_summary(summarized(**values))

  return command_line.Runner(
      name=name, function=run, summary=summary, arguments=arguments,
      concerns=experiment.concerns,
      resolve=functools.partial(experiment.resolve, source=name),
      default_overrides=experiment.default_overrides, epilog=epilog,
      cleanup=runs.release_all)
