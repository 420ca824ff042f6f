"""Optimizers by name, with a learning rate that follows the training step.

The learning rate is handed to the optimizer as a callable. A TF1 optimizer
calls it when `apply_gradients` builds the update, which the trainer does
inside its `tf.while_loop`; the rate is therefore recomputed from the global
step at every iteration. (A rate tensor built outside the loop would be read
once per `session.run` and stay frozen for a whole chunk of steps.)

The names and defaults are read without TensorFlow (the configuration's
choices); TensorFlow is imported by the functions that build optimizers.
"""

import functools

from lottery_ticket.foundations.training import schedules

NAMES = ('sgd', 'momentum', 'adam', 'rmsprop')
# Learning rates used when none is given: the lottery ticket paper's Adam and
# SGD rates, the gradient-flow paper's LeNet-5 momentum rate, Keras' RMSProp.
DEFAULT_LEARNING_RATES = {'sgd': 0.1, 'momentum': 0.05, 'adam': 1.2e-3,
                          'rmsprop': 1e-3}
DEFAULT_MOMENTUM = 0.9


def check_name(name):
  """Returns name, or raises ValueError naming the choices."""
  if name not in NAMES:
    raise ValueError('No such optimizer: {!r} (choose from: {})'.format(
        name, ', '.join(NAMES)))
  return name


def make_optimizer(name, learning_rate, momentum=DEFAULT_MOMENTUM):
  """A tf.compat.v1 optimizer.

  Args:
    name: one of NAMES ('momentum' is SGD with heavy-ball momentum,
      'rmsprop' uses `momentum` too).
    learning_rate: a float, a tensor or a callable returning one.
    momentum: the momentum coefficient.

  Returns:
    A tf.compat.v1.train.Optimizer.
  """
  import tensorflow.compat.v1 as tf  # pylint: disable=g-import-not-at-top
  check_name(name)
  if name == 'sgd':
    return tf.train.GradientDescentOptimizer(learning_rate)
  if name == 'momentum':
    return tf.train.MomentumOptimizer(learning_rate, float(momentum))
  if name == 'adam':
    return tf.train.AdamOptimizer(learning_rate)
  return tf.train.RMSPropOptimizer(learning_rate, momentum=float(momentum))


def optimizer_fn(name, learning_rate=None, momentum=DEFAULT_MOMENTUM,
                 schedule='constant', total_steps=None, warmup_steps=0,
                 drops=(), drop_factor=schedules.DEFAULT_DROP_FACTOR):
  """optimizer_fn() for trainer.train, with a scheduled learning rate.

  Args:
    name: one of NAMES.
    learning_rate: the initial rate (None: DEFAULT_LEARNING_RATES[name]).
    momentum: for 'momentum' and 'rmsprop'.
    schedule: 'constant', 'cosine' or 'step' (see
      schedules.learning_rate_fn).
    total_steps: the training length (needed by 'cosine').
    warmup_steps: steps of linear warm-up (see schedules.learning_rate_fn).
    drops, drop_factor: 'step': the iterations of the drops and their
      factor.

  Returns:
    A callable returning a new optimizer; with a schedule other than
    'constant' it must be called after the global step exists.
  """
  check_name(name)
  if learning_rate is None:
    learning_rate = DEFAULT_LEARNING_RATES[name]
  if schedule == 'constant' and not warmup_steps:
    return functools.partial(make_optimizer, name, float(learning_rate),
                             momentum)
  rate = schedules.learning_rate_fn(learning_rate, schedule, total_steps or 1,
                                    warmup_steps=warmup_steps, drops=drops,
                                    drop_factor=drop_factor)

  def current_rate():
    import tensorflow.compat.v1 as tf  # pylint: disable=g-import-not-at-top
    return rate(tf.train.get_global_step().read_value())

  return functools.partial(make_optimizer, name, current_rate, momentum)
