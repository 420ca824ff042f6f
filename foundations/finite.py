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
