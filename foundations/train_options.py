"""What trainer.train does besides the optimizer steps: one typed object.

`TrainOptions` holds the batch size, the evaluation, recording and saving
schedule, regularisation and the progress label, each field checked when
the object is made, so a bad value is refused in one line naming the field
before anything is built or written. `Hooks` is the code a caller adds to
training (a mask update after each step, extra metrics, measurements at
record points), made per network by trainer.train's `build_hooks(index,
network, optimizer)` once the trainer has created the optimizer, so hooks
that reset optimizer slots or read momentum receive it directly.

Neither imports TensorFlow.
"""

import dataclasses
import math
import numbers
from typing import Any, Callable, Mapping, Optional, Tuple

DEFAULT_BATCH_SIZE = 60
DEFAULT_EVAL_CHUNK_SIZE = 10000
DEFAULT_KEEP_CHECKPOINTS = 2
WEIGHT_DECAY_ON = ('kernels', 'all')


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


@dataclasses.dataclass(frozen=True)
class TrainOptions(object):
  """How trainer.train trains, evaluates, records and saves.

  Every field is checked when the object is made (ValueError naming the
  field and the value); `dataclasses.replace(options, field=value)` gives a
  checked copy with one value changed.

  Attributes:
    batch_size: examples per optimizer step (>= 1).
    test_interval: evaluate the test split every N iterations, and at
      iterations 0 and the last (None: never).
    validate_interval: evaluate the validation split every N iterations
      (None: same as test_interval); ignored without a validation split.
    train_interval: record the mean training batch loss and accuracy over
      the steps since the last record every N iterations (None: at
      test_interval, or only at the end without one).
    checkpoint_interval: checkpoint every N iterations, so that a re-run
      with the same output directory resumes (0: no checkpoints).
    keep_checkpoints: how many checkpoints to keep (0 keeps every one).
    save_weights_at: iterations at which to save the weights under
      weights_at/{k}/ (for late rewinding).
    save_network: save initial/, final/ and masks/.
    save_summaries: also write TensorBoard scalars.
    weight_decay: L2 coefficient (0.5 * wd * sum w^2), >= 0.
    weight_decay_on: what weight decay applies to: 'kernels', or 'all'
      trainable variables (biases, batch-norm scales and shifts too: what
      OpenLTH's SGD weight_decay does, training/optimizers.py).
    clip_norm: clip the gradients to this global norm (0: no clipping).
    clip_value: clip each gradient entry to [-v, v] (0: no clipping).
    eval_chunk_size: the largest number of examples evaluated at once.
    progress: the label of the console progress lines (None: silent).
    first_iteration: the iteration training starts at (0: the start): a
      training that continues another one from its iteration k (late
      rewinding as in OpenLTH, the copies of an instability analysis) runs
      iterations k..T with the global step, hence the learning-rate
      schedule and the data order, going on from k.
  """
  batch_size: int = DEFAULT_BATCH_SIZE
  test_interval: Optional[int] = None
  validate_interval: Optional[int] = None
  train_interval: Optional[int] = None
  checkpoint_interval: int = 0
  keep_checkpoints: int = DEFAULT_KEEP_CHECKPOINTS
  save_weights_at: Tuple[int, ...] = ()
  save_network: bool = True
  save_summaries: bool = False
  weight_decay: float = 0.0
  weight_decay_on: str = 'kernels'
  clip_norm: float = 0.0
  clip_value: float = 0.0
  eval_chunk_size: int = DEFAULT_EVAL_CHUNK_SIZE
  progress: Optional[str] = None
  first_iteration: int = 0

  def __post_init__(self):
    checked = {
        'first_iteration': _integer(self, 'first_iteration', 0),
        'batch_size': _integer(self, 'batch_size', 1),
        'keep_checkpoints': _integer(self, 'keep_checkpoints', 0),
        'eval_chunk_size': _integer(self, 'eval_chunk_size', 1),
        'save_weights_at': _iterations(self, 'save_weights_at'),
        'checkpoint_interval': _integer(self, 'checkpoint_interval', 0),
    }
    # The configuration's settings, as they are: 0 turns each off.
    for name in ('weight_decay', 'clip_norm', 'clip_value'):
      checked[name] = _real(self, name)
    for name in ('test_interval', 'validate_interval', 'train_interval'):
      checked[name] = _optional(self, name, _integer, 1)
    if self.weight_decay_on not in WEIGHT_DECAY_ON:
      _refuse('weight_decay_on', self.weight_decay_on,
              'must be one of {}'.format(', '.join(WEIGHT_DECAY_ON)))
    for name in ('save_network', 'save_summaries'):
      if not isinstance(getattr(self, name), (bool, type(None))):
        _refuse(name, getattr(self, name), 'must be true or false')
      checked[name] = bool(getattr(self, name))
    if self.progress is not None and not isinstance(self.progress, str):
      _refuse('progress', self.progress, 'must be a label (a string) or None')
    for name, value in checked.items():
      object.__setattr__(self, name, value)  # normalised (frozen otherwise)

  @property
  def validation_interval(self):
    """The validation interval in effect (test_interval when unset)."""
    if self.validate_interval is None:
      return self.test_interval
    return self.validate_interval

  @property
  def record_interval(self):
    """The training-record interval in effect."""
    return self.train_interval or self.test_interval

  def boundaries(self, total):
    """The iterations of a training of `total` iterations at which it
    stops to record, evaluate, checkpoint or save something."""
    points = {total}
    for interval in (self.test_interval, self.validation_interval,
                     self.record_interval, self.checkpoint_interval):
      if interval:
        points.update(range(interval, total + 1, interval))
    points.update(k for k in self.save_weights_at if 0 < k <= total)
    return sorted(points)


def due(iteration, interval, total):
  """Whether something done every `interval` iterations (None: never) is
  due at `iteration` of a training of `total` (always at the last)."""
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


def _refuse(name, value, requirement):
  raise ValueError('training option {} {}, got {!r}'.format(
      name, requirement, value))


def _integer(options, name, minimum, value=None):
  value = getattr(options, name) if value is None else value
  if isinstance(value, bool) or not isinstance(value, numbers.Integral):
    _refuse(name, value, 'must be a whole number >= {}'.format(minimum))
  if value < minimum:
    _refuse(name, value, 'must be >= {}'.format(minimum))
  return int(value)


def _real(options, name, value=None):
  value = getattr(options, name) if value is None else value
  if isinstance(value, bool) or not isinstance(value, numbers.Real):
    _refuse(name, value, 'must be a number')
  if not math.isfinite(value):
    _refuse(name, value, 'must be finite')
  if value < 0:
    _refuse(name, value, 'must be >= 0')
  return float(value)


def _optional(options, name, check, *args, **kwargs):
  value = getattr(options, name)
  if value is None:
    return None
  return check(options, name, *args, value=value, **kwargs)


def _iterations(options, name):
  value = getattr(options, name)
  if value is None:
    return ()
  if isinstance(value, (str, bytes)) or not hasattr(value, '__iter__'):
    _refuse(name, value, 'must be a list of iterations')
  return tuple(sorted({_integer(options, name, 0, value=v) for v in value}))
