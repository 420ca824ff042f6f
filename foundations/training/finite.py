"""Numbers that must stay finite: presets, weights and the training loss.

A NaN or an infinity spreads through every later step and every analysis
that reads it (a pruning level "ranks" NaN weights by storage position), so
it is refused where it first appears, in one line that names it.
"""

import numpy as np


class NonFiniteError(ValueError):
  """A value that must be finite is NaN or infinite (a user error: exit 2)."""


def count_non_finite(value):
  """How many entries of an array-like are NaN or infinite."""
  value = np.asarray(value)
  if not np.issubdtype(value.dtype, np.inexact):
    return 0
  return int(value.size - np.count_nonzero(np.isfinite(value)))


def check(name, value, what='tensor'):
  """Returns `value` if every entry is finite.

  Args:
    name: the name to report (a tensor or layer name).
    value: an array-like.
    what: what `name` is ('preset', 'weight', ...).

  Raises:
    NonFiniteError: naming `what`, `name` and how many entries are bad.
  """
  bad = count_non_finite(value)
  if bad:
    raise NonFiniteError('{} {!r} holds {} non-finite value{} (NaN or '
                         'infinite) out of {}'.format(
                             what, name, bad, '' if bad == 1 else 's',
                             np.size(value)))
  return value


DIVERGED = ('training diverged: {what} at iteration {iteration}; the learning '
            'rate is probably too high for this network and optimizer (lower '
            'it, or clip the gradients)')


def check_steps(first_bad_step, weights_finite, iteration, steps):
  """Raises NonFiniteError when a chunk of `steps` after `iteration` diverged.

  Args:
    first_bad_step: the index within the chunk of the first step whose
      training loss was not finite, or -1.
    weights_finite: whether every weight was finite after the chunk.
    iteration: the iteration the chunk started at.
    steps: how many steps the chunk ran.
  """
  if first_bad_step >= 0:
    raise NonFiniteError(DIVERGED.format(
        what='the training loss is not finite (NaN or infinite)',
        iteration=iteration + int(first_bad_step) + 1))
  if not weights_finite:
    raise NonFiniteError(DIVERGED.format(
        what='a weight is not finite (NaN or infinite)',
        iteration=iteration + steps))
