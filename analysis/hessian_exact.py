"""The exact Hessian spectrum: the full matrix, row block by row block.

Row i of the Hessian is H @ e_i. Rows are computed `block_size` at a time
with vectorised Hessian-vector products, made exactly symmetric
((H + H^T) / 2, removing float32 round-off) and handed to LAPACK's symmetric
eigensolver. The float64 matrix and the copy the eigensolver works on need
about 2 * n^2 * 8 bytes; that is checked against a memory limit before any
product is computed.
"""

import numpy as np

from lottery_ticket.analysis import memory

BYTES_PER_ENTRY = 8  # float64
COPIES = 2  # the assembled Hessian and the eigensolver's working copy
DEFAULT_BLOCK_SIZE = 32


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


def assemble(operator, block_size=DEFAULT_BLOCK_SIZE, memory_limit=None):
  """The full symmetric Hessian of a HessianOperator.

  Args:
    operator: a hessian_operator.HessianOperator (or anything with `size`
      and `matmat`).
    block_size: rows computed per vectorised product.
    memory_limit: see check_memory.

  Returns:
    a float64 [size, size] symmetric array.
  """
  size = operator.size
  check_memory(size, memory_limit)
  block_size = max(1, int(block_size))
  hessian = np.empty((size, size), np.float64)
  for start in range(0, size, block_size):
    stop = min(size, start + block_size)
    basis = np.zeros((stop - start, size), np.float32)
    basis[np.arange(stop - start), np.arange(start, stop)] = 1.0
    hessian[start:stop] = operator.matmat(basis)
  # Symmetrise in place, without a second full-size temporary.
  for start in range(0, size, block_size):
    stop = min(size, start + block_size)
    mean = 0.5 * (hessian[start:stop, start:] + hessian[start:, start:stop].T)
    hessian[start:stop, start:] = mean
    hessian[start:, start:stop] = mean.T
  return hessian


def eigenvalues(operator, block_size=DEFAULT_BLOCK_SIZE, memory_limit=None):
  """All eigenvalues of the Hessian, ascending (float64)."""
  return np.linalg.eigvalsh(assemble(operator, block_size, memory_limit))
