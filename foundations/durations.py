"""Training lengths, parsed in one place.

A training length is ('iterations', N) or ('epochs', N), and on the command
line also '500it', '3ep', 'iterations:500' or 'epochs=3'. N is a whole
number: the trainer runs whole iterations of whole epochs, so '2.5ep' or
('iterations', 100.5) is refused rather than truncated.
"""

import math
import numbers
import re

UNITS = ('iterations', 'epochs')
_ALIASES = {'it': 'iterations', 'iter': 'iterations', 'iters': 'iterations',
            'iteration': 'iterations', 'iterations': 'iterations',
            'step': 'iterations', 'steps': 'iterations',
            'ep': 'epochs', 'epoch': 'epochs', 'epochs': 'epochs'}


def parse(training_len):
  """Normalises a training length to (unit, count).

  Args:
    training_len: ('iterations'|'epochs', N), or a string such as '500it',
      '3ep', 'iterations:500', 'epochs=3'.

  Returns:
    (unit, count) with unit in UNITS and count a non-negative int.

  Raises:
    ValueError: naming the value when the unit or count is not understood.
  """
  if isinstance(training_len, str):
    number = r'(\d+(?:\.\d*)?|\.\d+)'
    match = re.fullmatch(r'\s*(?:([a-z]+)\s*[:=,]\s*{0}|{0}\s*([a-z]+))\s*'
                         .format(number), training_len.lower())
    if not match:
      raise ValueError('training_len {!r} is not like 500it, 3ep or '
                       'iterations:500'.format(training_len))
    unit, count = ((match.group(1), match.group(2)) if match.group(1)
                   else (match.group(4), match.group(3)))
  elif isinstance(training_len, (list, tuple)) and len(training_len) == 2:
    unit, count = training_len
  else:
    raise ValueError('training_len {!r} is neither (unit, count) nor a string '
                     'like 500it'.format(training_len))
  canonical = _ALIASES.get(str(unit).lower())
  if canonical is None:
    raise ValueError('training_len unit {!r} is neither iterations nor '
                     'epochs'.format(unit))
  count = _whole(count, canonical, training_len)
  if count < 0:
    raise ValueError('training_len count must be >= 0, got {}'.format(count))
  return canonical, count


def _whole(count, unit, training_len):
  """`count` as an int, refusing fractions (truncating would train less)."""
  if isinstance(count, str):
    try:
      count = float(count) if '.' in count else int(count)
    except ValueError:
      count = None
  if isinstance(count, numbers.Real) and not isinstance(count, bool):
    if isinstance(count, numbers.Integral) or float(count).is_integer():
      return int(count)
    if math.isfinite(count):
      raise ValueError('training_len {!r} is not a whole number of {}: give '
                       'e.g. {}{}'.format(training_len, unit, math.ceil(count),
                                          'it' if unit == 'iterations'
                                          else 'ep'))
  raise ValueError('training_len count {!r} is not an integer'.format(count))


def to_iterations(training_len, steps_per_epoch):
  """The number of training steps a training length stands for."""
  unit, count = parse(training_len)
  return count if unit == 'iterations' else count * int(steps_per_epoch)


def format_len(training_len):
  """The compact string form, e.g. '500it' or '3ep'."""
  unit, count = parse(training_len)
  return '{}{}'.format(count, 'it' if unit == 'iterations' else 'ep')
