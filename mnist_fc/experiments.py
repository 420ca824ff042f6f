"""The kinds of run, each declared once: what it is called and what it takes.

A kind of run (an experiment in config.json's words) takes some concerns of
the configuration (config.py) and a few settings of its own. Its runner
builds its command line from this declaration and its library module trains
by it; neither imports TensorFlow to read it, so `--help` and the sweep's
checks of a line are instant.
"""

import dataclasses
from typing import Mapping, Optional, Tuple

from lottery_ticket.foundations import hparams
from lottery_ticket.mnist_fc import config as config_lib
from lottery_ticket.mnist_fc import settings
from lottery_ticket.mnist_fc import constants


@dataclasses.dataclass(frozen=True)
class Experiment(object):
  """A kind of run.

  Attributes:
    name: its name in config.json ('lottery', 'train', ...).
    concerns: the configuration Concerns it takes.
    default_overrides: defaults differing from the settings' own.
    aliases: flag name -> setting name, for names another codebase uses.
  """
  name: str
  concerns: Tuple[hparams.Concern, ...]
  default_overrides: Optional[Mapping[str, object]] = None
  aliases: Optional[Mapping[str, str]] = None

  def resolve(self, flags, config=None, source=None):
    """The Config of a run of this kind from flags and a config.json.

    Raises:
      ValueError: in one line, for an unknown flag, a bad value, or an alias
        given beside the setting it names.
    """
    flags = dict(flags)
    for alias, name in (self.aliases or {}).items():
      if alias in flags:
        if name in flags:
          raise ValueError('--{} and --{} name the same setting; give '
                           'one'.format(alias, name))
        flags[name] = flags.pop(alias)
    return config_lib.resolve(self.concerns, flags, config,
                              source=source or self.name,
                              default_overrides=self.default_overrides)


LOTTERY = Experiment('lottery', settings.BASE + (settings.LOTTERY,))
TRAIN = Experiment('train', settings.BASE)
REINITIALIZE = Experiment('reinitialize', settings.BASE)
SPARSE_TRAIN = Experiment(
    'sparse_train', settings.BASE + (settings.SPARSE,),
    # sparse_train's defaults where they differ from the other runners'.
    default_overrides={'lr_schedule': 'cosine'},
    aliases=settings.ALIASES)

# lottery: the pruning levels after level 0. Level L of random pruning draws
# from seed * SEED_STRIDE + L: a later level would draw another seed's.
ITERATIONS = hparams.Setting(
    'iterations', 'int', 5, 'pruning levels after the dense level 0',
    minimum=0, below=constants.SEED_STRIDE, identity=False)

# train: how several --masks combine.
COMBINE = ('union', 'intersection')

# reinitialize: the controls, and the level whose masks they train.
MODES = ('reinit', 'reuse', 'reuse_sign')
# Initialisation streams of the controls start here (the lottery run uses 0);
# level L's is REINIT_STREAM + L, which must stay below the seed's stride or
# it would be another seed's initialisation (constants.SEED_STRIDE).
REINIT_STREAM = 500
LEVEL = hparams.Setting(
    'level', 'int', None, 'the pruning level whose masks to use (required)',
    minimum=0, maximum=constants.SEED_STRIDE - REINIT_STREAM - 1,
    derived='required')
