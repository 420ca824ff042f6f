"""Memory sizes: parsing them, reading what is available, checking a need.

The exact Hessian needs memory quadratic in the number of coordinates, so it
is checked against a limit before any work starts.
"""

import re

from lottery_ticket.argfiles.engine import resources

# Without an explicit limit, this fraction of the available memory may be used.
DEFAULT_FRACTION = 0.5

_UNITS = {'': 1, 'b': 1, 'k': 10**3, 'kb': 10**3, 'm': 10**6, 'mb': 10**6,
          'g': 10**9, 'gb': 10**9, 't': 10**12, 'tb': 10**12,
          'kib': 2**10, 'mib': 2**20, 'gib': 2**30, 'tib': 2**40}


def parse_bytes(value):
  """A memory size in bytes from a number or a string like '4GB', '512MiB'.

  Raises:
    ValueError: naming the value when it is not a non-negative size.
  """
  if isinstance(value, (int, float)) and not isinstance(value, bool):
    number, unit = float(value), ''
  else:
    match = re.fullmatch(r'\s*([0-9]*\.?[0-9]+(?:e[0-9]+)?)\s*([a-z]*)\s*',
                         str(value).lower())
    if not match or match.group(2) not in _UNITS:
      raise ValueError('memory size {!r} is not like 4GB, 512MiB or a number '
                       'of bytes'.format(value))
    number, unit = float(match.group(1)), match.group(2)
  if number < 0:
    raise ValueError('memory size must be >= 0, got {!r}'.format(value))
  return int(number * _UNITS[unit])


def resolve_limit(limit=None):
  """(limit in bytes, how it was chosen) for an optional user limit."""
  if limit is None:
    # MemAvailable where there is one (a modest 2 GiB when nothing says).
    available = int((resources.available_memory_gb() or 2.0) * 2**30)
    return int(DEFAULT_FRACTION * available), '{:.0%} of the {} available'.format(
        DEFAULT_FRACTION, format_bytes(available))
  return parse_bytes(limit), 'memory_limit'


def format_bytes(count):
  """A short human-readable size, e.g. '1.5 GiB'."""
  if abs(count) < 1024:
    return '{:.0f} B'.format(count)
  for unit in ('KiB', 'MiB', 'GiB', 'TiB'):
    count /= 1024.0
    if abs(count) < 1024 or unit == 'TiB':
      return '{:.1f} {}'.format(count, unit)
