"""What this library's runners share on top of `lottery_ticket.command_line`.

Their common arguments (`--output_dir`, `--config`, `--overwrite`), and
`make_runner`, which gives a runner the configuration check of its concerns
(`validate_flags`) and the release of the run directories it locked when it
fails or is interrupted in-process.
"""

import functools

from lottery_ticket import command_line
from lottery_ticket.foundations import hparams
from lottery_ticket.mnist_fc import config as config_lib
from lottery_ticket.mnist_fc import runs

S = hparams.Setting
OUTPUT_DIR = S('output_dir', 'str', None, 'the directory this run writes '
               '(required)', derived='required')
CONFIG = S('config', 'str', '', 'a config.json to start from; flags given '
           'beside it override single values')
OVERWRITE = S('overwrite', 'bool', False, 'start over when the output '
              'directory holds a run of another configuration (its outputs '
              'are removed)')


def make_runner(name, function, summary, arguments, concerns, resolve=None,
                default_overrides=None, epilog=''):
  """A command_line.Runner of this library's runs.

  Args:
    name, function, summary, arguments, concerns, default_overrides, epilog:
      as command_line.Runner's.
    resolve: callable(flags) -> Config; default: config.resolve of the
      concerns with the default overrides.

  Returns:
    The Runner, its cleanup releasing the run directories' locks.
  """
  if resolve is None:
    resolve = functools.partial(config_lib.resolve, tuple(concerns),
                                source=name,
                                default_overrides=default_overrides)
  return command_line.Runner(
      name=name, function=function, summary=summary, arguments=arguments,
      concerns=concerns, resolve=resolve, default_overrides=default_overrides,
      epilog=epilog, cleanup=runs.release_all)
