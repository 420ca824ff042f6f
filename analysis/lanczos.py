"""Lanczos iterations on a symmetric operator, and what they tell.

`tridiagonalize` runs m Lanczos steps from a starting vector with full
reorthogonalisation (each new vector is orthogonalised, twice, against all
earlier ones), which keeps the basis orthonormal in finite precision and so
avoids spurious copies of converged eigenvalues. The eigenvalues of the
m x m tridiagonal matrix (Ritz values) approximate the extreme eigenvalues of
the operator first, so a few dozen steps give the top of the spectrum.

Stochastic Lanczos quadrature (Golub & Welsch; Ghorbani et al. 2019) turns
the same iterations into a spectral density: for a random unit vector v,
v^T f(H) v is approximated by sum_j w_j f(theta_j), with theta_j the Ritz
values and w_j the squared first components of their eigenvectors. Averaged
over several vectors and smoothed with a Gaussian this estimates the density
of eigenvalues (integrating to 1).
"""

import dataclasses

import numpy as np


@dataclasses.dataclass
class Tridiagonal(object):
  """The Lanczos coefficients: diagonal `alphas`, off-diagonal `betas`.

  `residual` is the norm of the next (unused) Lanczos vector, the size of
  the remainder when the iterations stopped.
  """
  alphas: np.ndarray
  betas: np.ndarray
  residual: float

  def ritz(self):
    """(Ritz values ascending, eigenvectors of the tridiagonal as columns)."""
    matrix = (np.diag(self.alphas) + np.diag(self.betas, 1) +
              np.diag(self.betas, -1))
    return np.linalg.eigh(matrix)


def tridiagonalize(matvec, size, steps, start=None, seed=0, on_step=None):
  """Runs Lanczos with full reorthogonalisation.

  Args:
    matvec: callable(float64 [size]) -> float64 [size], a symmetric operator.
    size: the operator's dimension.
    steps: the number of iterations (at most `size`).
    start: optional starting vector, non-zero, of length `size` (default: a
      seeded Gaussian vector).
    seed: seed of the default starting vector.
    on_step: optional callable() called after each iteration (e.g. a
      progress bar's update: each iteration is one operator product).

  Returns:
    a Tridiagonal; fewer than `steps` coefficients when an invariant
    subspace was found (the Ritz values are then exact).

  Raises:
    ValueError: if steps < 1.
  """
  size = int(size)
  steps = min(int(steps), size)
  if steps < 1:
    raise ValueError('Lanczos needs at least one step, got {}'.format(steps))
  if start is None:
    start = np.random.default_rng(int(seed)).standard_normal(size)
  basis = np.zeros((steps, size), np.float64)
  basis[0] = start / np.linalg.norm(start)
  alphas, betas = [], []
  for step in range(steps):
    w = np.asarray(matvec(basis[step]), np.float64)
    if on_step is not None:
      on_step()
    alpha = float(basis[step] @ w)
    alphas.append(alpha)
    w = w - alpha * basis[step]
    if step:
      w -= betas[-1] * basis[step - 1]
    for _ in range(2):  # twice is enough (Kahan: "twice is enough")
      w -= basis[:step + 1].T @ (basis[:step + 1] @ w)
    beta = float(np.linalg.norm(w))
    scale = max(abs(a) for a in alphas) or 1.0
    if step + 1 == steps or beta <= 1e-10 * scale:
      break
    betas.append(beta)
    basis[step + 1] = w / beta
  # steps >= 1: the loop ran, and its last beta is the residual.
  return Tridiagonal(np.array(alphas), np.array(betas), beta)


def top_eigenvalues(matvec, size, k, steps=None, seed=0, on_step=None):
  """The k largest eigenvalues by Lanczos, with error bounds.

  Args:
    matvec: the symmetric operator.
    size: its dimension.
    k: how many eigenvalues.
    steps: Lanczos iterations (default: max(3k, k + 40), at most size).
    seed: seed of the starting vector.
    on_step: see tridiagonalize.

  Returns:
    (values descending, bounds): bounds[i] = |beta_m * last component of
    the i-th Ritz vector| bounds the distance from values[i] to an
    eigenvalue of the operator.
  """
  k = int(k)
  if k < 1:
    raise ValueError('k must be >= 1, got {}'.format(k))
  steps = int(steps) if steps else max(3 * k, k + 40)
  tri = tridiagonalize(matvec, size, min(steps, size), seed=seed,
                       on_step=on_step)
  values, vectors = tri.ritz()
  order = np.argsort(values)[::-1][:k]
  bounds = np.abs(tri.residual * vectors[-1, order])
  if tri.alphas.size == size or tri.residual == 0.0:
    bounds = np.zeros_like(bounds)
  return values[order], bounds


def quadrature(matvec, size, steps, probes, seed=0, on_step=None):
  """Stochastic Lanczos quadrature nodes and weights.

  Args:
    matvec: the symmetric operator.
    size: its dimension.
    steps: Lanczos iterations per probe.
    probes: how many random (Rademacher) starting vectors.
    seed: seed of the probes.
    on_step: see tridiagonalize.

  Returns:
    (nodes, weights): lists (one per probe) of Ritz values and their
    weights (each list of weights sums to 1).
  """
  nodes, weights = [], []
  for probe in range(int(probes)):
    rng = np.random.default_rng([int(seed), probe])
    start = rng.choice([-1.0, 1.0], size=int(size))
    tri = tridiagonalize(matvec, size, steps, start=start, on_step=on_step)
    values, vectors = tri.ritz()
    nodes.append(values)
    weights.append(vectors[0] ** 2)
  return nodes, weights


def density(grid, nodes, weights, sigma):
  """A Gaussian-smoothed spectral density at the points of `grid`.

  Args:
    grid: points at which to evaluate.
    nodes, weights: per probe, eigenvalue locations and weights (as from
      `quadrature`; an exact spectrum is one probe of n nodes of weight 1/n).
    sigma: the Gaussian's standard deviation (> 0).

  Returns:
    float64 array of the density at each grid point (integrates to ~1).
  """
  grid = np.asarray(grid, np.float64)
  sigma = float(sigma)
  if sigma <= 0:
    raise ValueError('sigma must be > 0, got {}'.format(sigma))
  total = np.zeros_like(grid)
  for probe_nodes, probe_weights in zip(nodes, weights):
    probe_nodes = np.asarray(probe_nodes, np.float64)
    probe_weights = np.asarray(probe_weights, np.float64)
    for start in range(0, probe_nodes.size, 4096):  # bounded temporaries
      chunk = slice(start, start + 4096)
      gaps = (grid[:, None] - probe_nodes[None, chunk]) / sigma
      total += np.exp(-0.5 * gaps ** 2) @ probe_weights[chunk]
  return total / (len(nodes) * sigma * np.sqrt(2.0 * np.pi))
