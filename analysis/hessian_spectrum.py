r"""Eigenvalues of the loss Hessian of a saved network, saved beside it.

  python -m lottery_ticket.analysis.hessian_spectrum \
      --source=results/lottery/trial0/5/same_init --spectrum=both

The Hessian is that of the mean cross-entropy over a split (the whole
training set by default, as the reference's hessian.gin: batch_size 60000),
or a fixed, seeded sample of it (num_examples), at the saved weights:
  sparse  over the surviving kernel weights (mask 1) and all biases;
  dense   the reference's dense spectrum (google-research/rigl
          rigl_tf2/train.py, is_dense_spectrum): the Hessian over every
          weight with the rows and columns of pruned weights masked to zero,
          so the sparse spectrum plus one zero eigenvalue per pruned weight;
  full    the full Hessian over every weight, pruned ones included (same
          effective weights): how the loss curves if pruned weights could
          move.
`both` computes sparse and dense.
Methods:
  exact    the full Hessian, assembled in row blocks, then LAPACK's
           symmetric eigensolver; its memory (2 * n^2 * 8 bytes) is checked
           first against memory_limit (default: half the available memory);
  lanczos  Lanczos with full reorthogonalisation on Hessian-vector
           products: the top eigenvalues (with error bounds), and a density
           by stochastic Lanczos quadrature, for networks of any size;
  auto     exact up to AUTO_EXACT_MAX coordinates when it fits, else lanczos.

Results go to <run_dir>/hessian/<source label>-<spectrum>-<method>.json
(e.g. final-sparse-exact.json) with a plot <source label>-spectrum.png of
every spectrum of that source. A result already there is reused when it was
computed with the same settings; other settings need overwrite=True.
"""

import glob
import os
import time

import numpy as np

from lottery_ticket import command_line
from lottery_ticket.analysis import hessian_exact
from lottery_ticket.analysis import lanczos
from lottery_ticket.analysis import memory
from lottery_ticket.foundations import choices
from lottery_ticket.foundations.storage import progress
from lottery_ticket.foundations import save_restore
from lottery_ticket.foundations.storage import integrity

METHODS = ('auto', 'exact', 'lanczos')
SPECTRA = ('sparse', 'dense', 'full')
# The loss_on_batch coordinates each spectrum is computed over: dense is
# derived from the sparse Hessian; full is loss_on_batch's 'dense'.
_COMPUTED_OVER = {'sparse': 'sparse', 'dense': 'sparse', 'full': 'dense'}
AUTO_EXACT_MAX = 4096
# num_examples of a Hessian over the whole split.
ALL_EXAMPLES = 'all'
DENSITY_POINTS = 512


def coordinate_count(network, spectrum):
  """Coordinates of a spectrum of a network (one of SPECTRA)."""
  from lottery_ticket.foundations import model_base  # pylint: disable=g-import-not-at-top
  return sum(int(np.count_nonzero(network.masks[name]))
             if spectrum == 'sparse' and not model_base.is_unmasked(name)
             else int(np.size(value))
             for name, value in network.weights.items())


def resolve_method(method, size, memory_limit=None):
  """'exact' or 'lanczos' for a requested method and a problem size.

  Raises:
    ValueError: for an unknown method, or 'exact' when it does not fit.
  """
  choices.check('method', method, METHODS)
  if method == 'exact':
    hessian_exact.check_memory(size, memory_limit)
  if method != 'auto':
    return method
  fits = (hessian_exact.required_bytes(size) <=
          memory.resolve_limit(memory_limit)[0])
  return 'exact' if size <= AUTO_EXACT_MAX and fits else 'lanczos'


def compute(network, spectrum, method, settings, memory_limit=None,
            block_size=hessian_exact.DEFAULT_BLOCK_SIZE, quiet=False):
  """Computes one spectrum (no caching).

  Args:
    network: a network_source.Network.
    spectrum: one of SPECTRA.
    method: 'exact' or 'lanczos' (resolved).
    settings: what a stored result must share to be reused (see
      hessian_spectrum).
    memory_limit: for the exact method.
    block_size: Hessian rows per block of products (exact method).
    quiet: show no progress bar nor estimate (they go to a terminal's
      stderr only, the estimate of a long exact Hessian to any stderr).

  Returns:
    the result dict (raw: eigenvalues or Ritz values and quadrature).
  """
  dataset = network.run_config.make_dataset()
  from lottery_ticket.analysis import loss_on_batch  # pylint: disable=g-import-not-at-top
  images, labels = loss_on_batch.fixed_batch(
      dataset, settings['split'], None if settings['num_examples'] ==
      ALL_EXAMPLES else settings['num_examples'], settings['data_seed'])
  started = time.time()
  with loss_on_batch.LossOnBatch(network, images, labels, dataset.num_classes,
                                 _COMPUTED_OVER[spectrum]) as problem:
    operator = problem.operator
    result = {
        'source': network.source, 'label': network.label,
        'run_dir': network.run_dir, 'spectrum': spectrum, 'method': method,
        'num_coordinates': operator.size, 'settings': settings,
        'num_examples_used': int(len(labels)),
        'loss': operator.loss(), 'batch_accuracy': problem.accuracy,
        'gradient_norm': float(np.linalg.norm(operator.gradient())),
    }
    if method == 'exact':
      result['eigenvalues'] = hessian_exact.eigenvalues(
          operator, block_size, memory_limit, quiet).tolist()
    else:
      steps = settings['lanczos_steps']
      products = min(steps, operator.size) * (1 + settings['probes'])
      with progress.Bar(products, 'Lanczos ({} spectrum)'.format(spectrum),
                        unit='products', quiet=quiet) as bar:
        values, bounds = lanczos.top_eigenvalues(
            operator.matvec, operator.size, min(steps, operator.size),
            steps=steps, seed=settings['seed'], on_step=bar.update)
        nodes, weights = lanczos.quadrature(
            operator.matvec, operator.size, steps, settings['probes'],
            seed=settings['seed'] + 1, on_step=bar.update)
      result.update(ritz_values=values.tolist(), ritz_bounds=bounds.tolist(),
                    slq_nodes=[n.tolist() for n in nodes],
                    slq_weights=[w.tolist() for w in weights])
  if spectrum == 'dense':
    result = _with_pruned_zeros(
        result, coordinate_count(network, 'dense') - result['num_coordinates'])
  result['seconds'] = round(time.time() - started, 3)
  return result


def _with_pruned_zeros(result, pruned):
  """The dense spectrum from the sparse one: an eigenvalue 0 per pruned weight.

  Masking the rows and columns of the pruned weights leaves the sparse
  Hessian as one diagonal block and zeros elsewhere. Exact: the eigenvalues
  gain `pruned` zeros. Lanczos: 0 joins the Ritz values (bound 0), and each
  quadrature probe's density gets a point mass at 0 of weight pruned / n.
  """
  sparse = result['num_coordinates']
  total = sparse + int(pruned)
  result['num_coordinates'] = total
  if pruned and 'eigenvalues' in result:
    result['eigenvalues'] = np.sort(np.concatenate(
        [result['eigenvalues'], np.zeros(int(pruned))])).tolist()
  elif pruned:
    at = sum(1 for v in result['ritz_values'] if v > 0.0)
    for key in ('ritz_values', 'ritz_bounds'):
      result[key] = list(result[key][:at]) + [0.0] + list(result[key][at:])
    result['slq_nodes'] = [list(n) + [0.0] for n in result['slq_nodes']]
    result['slq_weights'] = [[w * sparse / total for w in weights] +
                             [pruned / total]
                             for weights in result['slq_weights']]
  return result


def present(result, top_k=20, sigma_fraction=0.01):
  """Adds the top eigenvalues and a smoothed density to a raw result.

  Args:
    result: from `compute` (or read back).
    top_k: how many of the largest eigenvalues to list (Lanczos: at most
      half its steps).
    sigma_fraction: Gaussian width as a fraction of the spectrum's range.

  Returns:
    result, with 'top_eigenvalues' (descending), 'top_bounds' (Lanczos error
    bounds, zeros for exact), 'density_grid', 'density' and 'sigma'.
  """
  top_k = max(1, int(top_k))
  if result['method'] == 'exact':
    values = np.asarray(result['eigenvalues'])
    result['top_eigenvalues'] = values[::-1][:top_k].tolist()
    result['top_bounds'] = [0.0] * len(result['top_eigenvalues'])
    nodes, weights = [values], [np.full(values.size, 1.0 / max(values.size, 1))]
  else:
    # Ritz values converge from both ends of the spectrum inwards: only the
    # upper half of them stands for the top of the spectrum.
    top_k = min(top_k, max(1, len(result['ritz_values']) // 2))
    result['top_eigenvalues'] = result['ritz_values'][:top_k]
    result['top_bounds'] = result['ritz_bounds'][:top_k]
    nodes, weights = result['slq_nodes'], result['slq_weights']
  everything = np.concatenate([np.asarray(n, np.float64) for n in nodes])
  low, high = float(everything.min()), float(everything.max())
  span = max(high - low, 1e-12 * max(1.0, abs(high)), 1e-12)
  sigma = float(sigma_fraction) * span
  grid = np.linspace(low - 5 * sigma - 0.02 * span, high + 5 * sigma + 0.02 * span,
                     DENSITY_POINTS)
  result.update(sigma=sigma, density_grid=grid.tolist(),
                density=lanczos.density(grid, nodes, weights, sigma).tolist())
  return result


def _reuse(path, settings):
  stored = integrity.read_json(path)
  there = stored.get('settings', {})
  differing = sorted(k for k in set(settings) | set(there)
                     if settings.get(k) != there.get(k))
  if differing:
    raise ValueError(
        '{} was computed with other settings ({}); pass overwrite=True to '
        'recompute it'.format(path, ', '.join(
            '{}={} there vs {}'.format(k, there.get(k), settings.get(k))
            for k in differing)))
  return stored


def hessian_spectrum(source, spectrum='sparse', method='auto', top_k=20,
                     num_examples=ALL_EXAMPLES, split='train', data_seed=0,
                     lanczos_steps=100, probes=3, seed=0, sigma_fraction=0.01,
                     memory_limit=None, block_size=hessian_exact.DEFAULT_BLOCK_SIZE,
                     masks=None, config=None, overwrite=False, plot=True,
                     quiet=False):
  """Computes (or reuses) Hessian spectra of a saved network and plots them.

  Args:
    source: a run directory (its final weights), a saved network directory
      (final/, initial/, weights_at/<k>/) or a TF checkpoint.
    spectrum: 'sparse', 'dense' (the reference's: sparse plus zeros),
      'full' (every weight, pruned ones free) or 'both' (sparse and dense).
    method: 'auto', 'exact' or 'lanczos'.
    top_k: how many of the largest eigenvalues to report (Lanczos: at most
      lanczos_steps / 2).
    num_examples: 'all' (the whole split, the reference's), or the size of
      a fixed, seeded sample of it.
    split: the split the batch comes from ('train', 'validate', 'test').
    data_seed: seed of the batch.
    lanczos_steps: Lanczos iterations (top eigenvalues and each SLQ probe).
    probes: random vectors of stochastic Lanczos quadrature.
    seed: seed of the Lanczos starting vectors.
    sigma_fraction: width of the density's Gaussians, as a fraction of the
      spectrum's range.
    memory_limit: bytes or '8GB' for the exact method (default: half the
      available memory).
    block_size: Hessian rows computed per block of products (exact).
    masks: masks overriding the source's (a path or dict).
    config: config.json overriding the run directory's.
    overwrite: recompute even when a result is stored.
    plot: write the spectrum plot.
    quiet: print nothing (no results, progress bar nor time estimate).

  Returns:
    dict spectrum name -> result dict (with 'path', and 'plot' when drawn).

  Raises:
    ValueError: for bad arguments, an unreadable or mismatching network, or
      an exact spectrum that does not fit in memory.
  """
  choices.check('spectrum', spectrum, SPECTRA + ('both',))
  from lottery_ticket.analysis import network_source  # pylint: disable=g-import-not-at-top
  network = network_source.load(source, masks=masks, config=config)
  directory = network.results_dir('hessian')
  spectra = ('sparse', 'dense') if spectrum == 'both' else (spectrum,)
  results = {}
  for name in spectra:
    # The dense spectrum is computed from the sparse Hessian.
    size = coordinate_count(network, 'sparse' if name == 'dense' else name)
    if size < 1:
      raise ValueError('the {} spectrum of {} has no coordinates'.format(
          name, network.source))
    resolved = resolve_method(method, size, memory_limit)
    # The settings a stored result must share to be reused.
    settings = {'split': split, 'num_examples': (
        ALL_EXAMPLES if num_examples in (None, ALL_EXAMPLES)
        else int(num_examples)), 'data_seed': int(data_seed)}
    if resolved == 'lanczos':
      settings.update(lanczos_steps=int(lanczos_steps), probes=int(probes),
                      seed=int(seed))
    if name == 'dense':
      settings['definition'] = 'masked'  # not the full Hessian of old files
    if masks is not None:
      settings['masks'] = masks if isinstance(masks, str) else 'given as a dict'
    path = os.path.join(directory, '{}-{}-{}.json'.format(
        network.label, name, resolved))
    reused = os.path.exists(path) and not overwrite
    if reused:
      result = _reuse(path, settings)
    else:
      result = compute(network, name, resolved, settings, memory_limit,
                       block_size, quiet)
      save_restore.write_json(path, result)
    results[name] = present(result, top_k, sigma_fraction)
    result['path'] = path
    if not quiet:
      print(summary_line(result, reused))
  if plot:
    from lottery_ticket.analysis import spectrum_plots  # pylint: disable=g-import-not-at-top
    # Every spectrum stored of this source, this call's and earlier ones.
    stored = [present(r, top_k, sigma_fraction) for r in map(
        integrity.read_json, sorted(glob.glob(os.path.join(
            directory, glob.escape(network.label) + '-*.json'))))
              if r.get('label') == network.label]
    drawn = spectrum_plots.plot_spectra(stored, os.path.join(
        directory, network.label + '-spectrum.png'))
    for result in results.values():
      result['plot'] = drawn
    if not quiet:
      print('plot: {}'.format(drawn))
  return results


def summary_line(result, reused=False):
  """One line: which spectrum, how, the top eigenvalues, where it is."""
  top = ', '.join('{:.4g}'.format(v) for v in result['top_eigenvalues'][:5])
  return '{} spectrum of {} ({}, {:,} coordinates, loss {:.4f}): top eigenvalues ' \
         '{}{}; {} {}'.format(
             result['spectrum'], result['source'], result['method'],
             result['num_coordinates'], result['loss'], top,
             ', ...' if len(result['top_eigenvalues']) > 5 else '',
             'reused' if reused else 'saved', result['path'])


# Its command line: flags from the signature, help from the docstring.
RUNNER = command_line.command(hessian_spectrum, 'analysis.hessian_spectrum')


if __name__ == '__main__':
  command_line.run(RUNNER)
