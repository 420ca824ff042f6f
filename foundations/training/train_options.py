"""The training settings trainer.train reads, declared once, and its hooks.

`SETTINGS` are the settings of the training concern that the trainer itself
reads: batch size, regularisation and clipping, and how often it evaluates,
checkpoints and writes summaries. Each is an hparams.Setting, so it is
declared in one place with its type, default, bounds and help;
mnist_fc/settings.py's training concern includes them, which makes each a
flag, a config.json key and (unless it only says how often something is
written) part of the run identity. A resolved configuration's
`config.training` is handed to the trainer as it is; a caller without a
configuration gets the same fields from `options(batch_size=32, ...)`,
checked by the same settings.

`Hooks` is the code a caller adds to training (a mask update after each
step, extra metrics, measurements at record points), made per network by
trainer.train's `build_hooks(index, network, optimizer)` once the trainer
has created the optimizer, so hooks that reset optimizer slots or read
momentum receive it directly.

Neither imports TensorFlow.
"""

import dataclasses
from typing import Any, Callable, Mapping, Optional

from lottery_ticket.foundations import hparams

S = hparams.Setting

# The lottery ticket paper's batch size and evaluation interval.
BATCH_SIZE = 60
TEST_INTERVAL = 100
CHECKPOINT_INTERVAL = 5000

# What weight decay applies to: the kernels, or every trainable variable.
WEIGHT_DECAY_ON = ('kernels', 'all')

SETTINGS = (
    S('weight_decay', 'float', 0.0, 'L2 penalty weight_decay * sum(w^2) / 2 on '
      'the --weight_decay_on variables', minimum=0),
    S('weight_decay_on', 'str', 'kernels', 'what weight decay applies to: '
      'kernels, or all trainable variables (biases and batch-norm scales and '
      "shifts too, as OpenLTH's SGD weight_decay does)",
      choices=WEIGHT_DECAY_ON),
    S('clip_norm', 'float', 0.0, 'clip gradients to this global norm (0: no '
      'clipping)', minimum=0),
    S('clip_value', 'float', 0.0, 'clip every gradient entry to [-v, v] (0: no '
      'clipping)', minimum=0),
    S('batch_size', 'int', BATCH_SIZE, 'examples per step', minimum=1),
    S('test_interval', 'int', TEST_INTERVAL, 'evaluate test and validation '
      'every N iterations (and at the first and the last)', minimum=1),
    S('checkpoint_interval', 'int', CHECKPOINT_INTERVAL, 'checkpoint every N '
      'iterations so a killed run resumes (0: never)', minimum=0,
      identity=False),
    S('save_summaries', 'bool', True, 'write TensorBoard summaries',
      identity=False),
)
_TRAINER = hparams.Concern('training', SETTINGS)


def options(**changes):
  """The trainer's settings with `changes` applied, as one frozen object.

  For a caller that has no configuration (a script, a test, a benchmark);
  a runner hands its `config.training`, which has the same fields.

  Raises:
    ValueError: in one line naming an unknown setting or a bad value.
  """
  values = hparams.defaults((_TRAINER,))
  values.update(hparams.parse_values((_TRAINER,), changes,
                                     'train_options.options()'))
  return _TRAINER.values(values)


def check(training):
  """`training` if it has every setting the trainer reads.

  Raises:
    TypeError: naming the settings it lacks.
  """
  missing = [s.name for s in SETTINGS if not hasattr(training, s.name)]
  if missing:
    raise TypeError('training must have the trainer\'s settings (see '
                    'train_options.options()); {!r} lacks {}'.format(
                        type(training).__name__, ', '.join(missing)))
  return training


@dataclasses.dataclass(frozen=True)
class Hooks(object):
  """Code run by the trainer at fixed points of training.

  Attributes:
    after_step: callable(global_step) -> op or None, built into every
      optimizer step after the update (e.g. a mask update under tf.cond).
    extra_metrics: dict name -> tensor, evaluated and recorded under the
      split 'extra' at every test point (gradient norms, distances, ...).
    on_start: callable(sess), called once the variables are initialised or
      restored, before the first evaluation (e.g. to fill local variables).
    on_record: callable(sess, iteration, recorder), called at every record
      point (for measurements that need several session runs).
  """
  after_step: Optional[Callable[[Any], Any]] = None
  extra_metrics: Optional[Mapping[str, Any]] = None
  on_start: Optional[Callable[[Any], None]] = None
  on_record: Optional[Callable[[Any, int, Any], None]] = None


def due(iteration, interval, total):
  """Whether something done every `interval` iterations (0: never) is due at
  `iteration` of a training of `total` (always at the last)."""
  return bool(interval) and (iteration % int(interval) == 0 or
                             iteration == total)


def checked_hooks(hooks):
  """`hooks` if it is a Hooks.

  Raises:
    TypeError: naming what a hook builder returned instead.
  """
  if not isinstance(hooks, Hooks):
    raise TypeError('build_hooks must return trainer.Hooks, got {!r}'.format(
        type(hooks).__name__))
  return hooks
