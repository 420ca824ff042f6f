"""The exact Hessian spectrum: the full matrix, row block by row block.

Row i of the Hessian is H @ e_i. Rows are computed `block_size` at a time
with blocks of Hessian-vector products, made exactly symmetric
((H + H^T) / 2, removing float32 round-off) and handed to LAPACK's symmetric
eigensolver. The float64 matrix and the copy the eigensolver works on need
about 2 * n^2 * 8 bytes; that is checked against a memory limit before any
product is computed.

Time grows as n products of n coordinates plus an n^3 eigensolver, so a
network of 17,000 coordinates takes a quarter of an hour where one of 4,000
takes seconds. The first few row blocks are timed, and when the whole
computation will take more than LONG_SECONDS it says so (with its estimate)
before going on; a progress bar with the time left follows the rows.
"""

import time

import numpy as np

from lottery_ticket.analysis import memory
from lottery_ticket.foundations.storage import progress

BYTES_PER_ENTRY = 8  # float64
COPIES = 2  # the assembled Hessian and the eigensolver's working copy
DEFAULT_BLOCK_SIZE = 32
# An estimate above this many seconds is announced before the work goes on.
LONG_SECONDS = 60.0
# Row blocks timed for the estimate (after a first one that warms up).
TIMED_BLOCKS = 2
# The eigensolver's time is measured on a matrix this large (best of
# PROBE_RUNS: the first call also starts LAPACK's threads) and scaled by n^3.
EIGENSOLVER_PROBE = 600
PROBE_RUNS = 2

_clock = time.monotonic  # replaced by tests


def required_bytes(size):
  """Memory the exact spectrum of `size` coordinates needs."""
  return COPIES * BYTES_PER_ENTRY * int(size) ** 2


def check_memory(size, limit=None):
  """Raises ValueError (one line) when the exact Hessian would not fit.

  Args:
    size: number of coordinates.
    limit: bytes or a size string ('4GB'); default: a fraction of the
      available memory.

  Returns:
    (needed bytes, limit bytes).
  """
  needed = required_bytes(size)
  allowed, origin = memory.resolve_limit(limit)
  if needed > allowed:
    raise ValueError(
        'the exact Hessian of {:,} coordinates needs {} (Hessian plus '
        'eigensolver copy, float64), over the limit of {} ({}); use '
        "method='lanczos' or raise memory_limit".format(
            size, memory.format_bytes(needed), memory.format_bytes(allowed),
            origin))
  return needed, allowed


def eigensolver_seconds(size):
  """Estimated seconds of the symmetric eigensolver on a size x size matrix.

  Measured on a small random matrix here and now, scaled by size^3.
  """
  probe = min(int(size), EIGENSOLVER_PROBE)
  if probe < 1:
    return 0.0
  matrix = np.random.default_rng(0).standard_normal((probe, probe))
  matrix += matrix.T
  best = float('inf')
  for _ in range(PROBE_RUNS):
    started = _clock()
    np.linalg.eigvalsh(matrix)
    best = min(best, _clock() - started)
  return best * (float(size) / probe) ** 3


def assemble(operator, block_size=DEFAULT_BLOCK_SIZE, memory_limit=None,
             quiet=False):
  """The full symmetric Hessian of a HessianOperator.

  Args:
    operator: a hessian_operator.HessianOperator (or anything with `size`
      and `matmat`).
    block_size: rows computed per block of products.
    memory_limit: see check_memory.
    quiet: print neither the estimate of a long computation nor progress.

  Returns:
    a float64 [size, size] symmetric array.
  """
  size = operator.size
  check_memory(size, memory_limit)
  block_size = max(1, int(block_size))
  hessian = np.empty((size, size), np.float64)
  starts = list(range(0, size, block_size))
  timed_from = None
  with progress.Bar(size, 'exact Hessian', unit='rows', quiet=quiet) as bar:
    for index, start in enumerate(starts):
      stop = min(size, start + block_size)
      # Rows start..stop of the identity: H times them is those rows of H.
      hessian[start:stop] = operator.matmat(
          np.eye(stop - start, size, start, np.float32))
      bar.update(stop - start)
      if index == 0:
        timed_from = (_clock(), stop)  # the first block also warms up
      elif index == TIMED_BLOCKS and index + 1 < len(starts):
        # Announce a long computation, with its estimate.
        rows = (_clock() - timed_from[0]) / (stop - timed_from[1]) * size
        solver = eigensolver_seconds(size)
        if rows + solver > LONG_SECONDS:
          bar.note('the exact Hessian of {:,} coordinates will take about {} '
                   '({} for the rows, {} for the eigensolver); method=lanczos '
                   'takes a fraction of that'.format(
                       size, progress.format_duration(rows + solver),
                       progress.format_duration(rows),
                       progress.format_duration(solver)))
  # Symmetrise in place, without a second full-size temporary.
  for start in range(0, size, block_size):
    stop = min(size, start + block_size)
    mean = 0.5 * (hessian[start:stop, start:] + hessian[start:, start:stop].T)
    hessian[start:stop, start:] = mean
    hessian[start:, start:stop] = mean.T
  return hessian


def eigenvalues(operator, block_size=DEFAULT_BLOCK_SIZE, memory_limit=None,
                quiet=False):
  """All eigenvalues of the Hessian, ascending (float64); see assemble."""
  return np.linalg.eigvalsh(assemble(operator, block_size, memory_limit,
                                     quiet))
