"""Tests of the Hessian tools: products, the exact spectrum, Lanczos, storage.

No training: networks are random weights written by hand (see
analysis_support.fake_run) or built in a fresh graph.
"""

import json
import os

import numpy as np
import pytest
import tensorflow.compat.v1 as tf

import analysis_support as support
from lottery_ticket.analysis import hessian_exact
from lottery_ticket.analysis import hessian_operator
from lottery_ticket.analysis import hessian_spectrum
from lottery_ticket.analysis import lanczos
from lottery_ticket.analysis import loss_on_batch
from lottery_ticket.analysis import memory
from lottery_ticket.analysis import network_source
from lottery_ticket.foundations import model_fc
from lottery_ticket.foundations import paths
from lottery_ticket.foundations import save_restore


def _quadratic(sess_graph, matrix, vector):
  """Variables x [3, 2] and y [4]; loss 0.5 z^T A z + b^T z, z = (x, y)."""
  with sess_graph.as_default():
    x = tf.get_variable('x', initializer=tf.constant(
        np.arange(6, dtype=np.float32).reshape(3, 2) / 10), use_resource=True)
    y = tf.get_variable('y', initializer=tf.constant(
        np.ones(4, np.float32)), use_resource=True)
    z = tf.concat([tf.reshape(x, [-1]), y], 0)
    a = tf.constant(matrix, tf.float32)
    loss = 0.5 * tf.reduce_sum(z * tf.linalg.matvec(a, z)) + tf.reduce_sum(
        tf.constant(vector, tf.float32) * z)
  return [x, y], loss


def _symmetric(size, seed=0):
  rng = np.random.default_rng(seed)
  matrix = rng.normal(size=(size, size))
  return (matrix + matrix.T) / 2


@pytest.mark.slow
def test_exact_hessian_of_a_quadratic_is_its_matrix():
  matrix = _symmetric(10)
  graph = tf.Graph()
  variables, loss = _quadratic(graph, matrix, np.arange(10.0))
  with graph.as_default(), tf.Session(graph=graph) as sess:
    sess.run(tf.global_variables_initializer())
    operator = hessian_operator.HessianOperator(sess, loss, variables)
    assert operator.size == 10
    np.testing.assert_allclose(hessian_exact.assemble(operator, block_size=3),
                               matrix, atol=1e-5)
    # Chosen coordinates give the principal submatrix.
    chosen = hessian_operator.HessianOperator(
        sess, loss, variables, [np.array([0, 4, 5]), None])
    keep = [0, 4, 5, 6, 7, 8, 9]
    np.testing.assert_allclose(hessian_exact.assemble(chosen),
                               matrix[np.ix_(keep, keep)], atol=1e-5)
    np.testing.assert_allclose(np.sort(hessian_exact.eigenvalues(operator)),
                               np.linalg.eigvalsh(matrix), atol=1e-5)


def _tiny_mlp(graph):
  rng = np.random.default_rng(1)
  with graph.as_default():
    inputs = tf.constant(rng.normal(size=(40, 7)).astype(np.float32))
    labels = tf.constant(rng.integers(0, 3, 40).astype(np.int32))
    tf.set_random_seed(3)
    model = model_fc.ModelFc({'layers': [(5, 'tanh'), (3, None)]}, inputs,
                             labels)
  return model


def _finite_difference_hessian(sess, model, step=1e-3):
  """Central differences of the gradient, one coordinate at a time."""
  variables = model.trainable_variables
  gradient = tf.concat([tf.reshape(g, [-1])
                        for g in tf.gradients(model.loss, variables)], 0)
  values = [sess.run(v) for v in variables]
  flat = np.concatenate([v.ravel() for v in values]).astype(np.float64)
  sizes = [v.size for v in values]

  def load(point):
    for variable, piece, value in zip(variables, np.split(point, np.cumsum(
        sizes)[:-1]), values):
      variable.load(piece.reshape(value.shape).astype(np.float32), sess)

  rows = []
  for index in range(flat.size):
    shifted = flat.copy()
    shifted[index] += step
    load(shifted)
    plus = sess.run(gradient).astype(np.float64)
    shifted[index] -= 2 * step
    load(shifted)
    minus = sess.run(gradient).astype(np.float64)
    rows.append((plus - minus) / (2 * step))
  load(flat)
  hessian = np.array(rows)
  return (hessian + hessian.T) / 2


@pytest.mark.slow
def test_exact_hessian_of_a_tiny_mlp_matches_finite_differences():
  graph = tf.Graph()
  model = _tiny_mlp(graph)
  with graph.as_default(), tf.Session(graph=graph) as sess:
    sess.run(tf.global_variables_initializer())
    operator = hessian_operator.HessianOperator(sess, model.loss,
                                                model.trainable_variables)
    exact = hessian_exact.assemble(operator, block_size=8)
    assert exact.shape == (7 * 5 + 5 + 5 * 3 + 3,) * 2
    reference = _finite_difference_hessian(sess, model)
    scale = np.abs(reference).max()
    np.testing.assert_allclose(exact, reference, atol=2e-3 * scale)
    np.testing.assert_array_equal(exact, exact.T)
    # Lanczos finds the same top eigenvalue from products alone.
    top, bounds = lanczos.top_eigenvalues(operator.matvec, operator.size, 3,
                                          steps=30)
    exact_values = np.linalg.eigvalsh(exact)
    np.testing.assert_allclose(top, exact_values[::-1][:3], rtol=1e-4,
                               atol=1e-5 * scale)
    assert np.all(bounds >= 0)


def test_lanczos_on_a_matrix():
  matrix = _symmetric(60, seed=2)
  values = np.linalg.eigvalsh(matrix)
  matvec = lambda v: matrix @ v
  top, bounds = lanczos.top_eigenvalues(matvec, 60, 2, steps=40)
  np.testing.assert_allclose(top, values[::-1][:2], atol=1e-6 + bounds.max())
  # As many steps as dimensions: every eigenvalue, exactly.
  ritz, _ = lanczos.tridiagonalize(matvec, 60, 60).ritz()
  np.testing.assert_allclose(ritz, values, atol=1e-8)
  # The quadrature's density integrates to one.
  nodes, weights = lanczos.quadrature(matvec, 60, 20, probes=3)
  assert all(abs(w.sum() - 1) < 1e-10 for w in weights)
  grid = np.linspace(values.min() - 3, values.max() + 3, 2000)
  density = lanczos.density(grid, nodes, weights, sigma=0.3)
  area = np.sum(0.5 * (density[1:] + density[:-1]) * np.diff(grid))
  assert area == pytest.approx(1.0, abs=1e-3)
  with pytest.raises(ValueError, match='at least one step'):
    lanczos.tridiagonalize(matvec, 60, 0)


def test_memory_check_names_both_numbers():
  with pytest.raises(ValueError) as error:
    hessian_exact.check_memory(100000, limit='1GB')
  message = str(error.value)
  assert len(message.splitlines()) == 1
  assert '149.0 GiB' in message and '953.7 MiB' in message
  assert 'memory_limit' in message and 'lanczos' in message
  assert hessian_exact.check_memory(100, limit=10**6)[0] == 160000
  assert memory.parse_bytes('512MiB') == 512 * 2**20
  with pytest.raises(ValueError, match='not like 4GB'):
    memory.parse_bytes('lots')


@pytest.mark.slow
def test_sparse_spectrum_is_a_principal_submatrix_of_the_dense_one(tmp_path):
  run_dir = str(tmp_path / 'run')
  _, masks = support.fake_run(run_dir, layers=(4,), sparsity=0.6)
  network = network_source.load(run_dir)
  dataset = network.run_config.make_dataset()
  images, labels = loss_on_batch.fixed_batch(dataset, 'train', 30)
  with loss_on_batch.LossOnBatch(network, images, labels, dataset.num_classes,
                                 'sparse') as sparse:
    sparse_hessian = hessian_exact.assemble(sparse.operator)
  with loss_on_batch.LossOnBatch(network, images, labels, dataset.num_classes,
                                 'dense') as dense:
    dense_hessian = hessian_exact.assemble(dense.operator)
  keep = []
  offset = 0
  for name in ('layer0', 'layer0_bias', 'layer1', 'layer1_bias'):
    size = network.weights[name].size
    chosen = (np.flatnonzero(masks[name].ravel()) if name in masks
              else np.arange(size))
    keep.extend(offset + chosen)
    offset += size
  assert sparse_hessian.shape[0] == len(keep) == (
      hessian_spectrum.coordinate_count(network, 'sparse'))
  np.testing.assert_allclose(sparse_hessian,
                             dense_hessian[np.ix_(keep, keep)], atol=1e-5)


@pytest.mark.slow
def test_spectrum_saved_reused_and_plotted(tmp_path):
  run_dir = str(tmp_path / 'run')
  support.fake_run(run_dir, layers=(4,), sparsity=0.5)
  settings = dict(num_examples=40, top_k=5, lanczos_steps=40, probes=2,
                  quiet=True)
  exact = hessian_spectrum.hessian_spectrum(run_dir, spectrum='both',
                                            method='exact', **settings)
  for name in ('sparse', 'dense'):
    result = exact[name]
    assert result['path'] == os.path.join(run_dir, 'hessian',
                                          'final-{}-exact.json'.format(name))
    assert len(result['eigenvalues']) == result['num_coordinates']
    assert os.path.getsize(result['plot']) > 0
  first_mtime = os.path.getmtime(exact['sparse']['path'])
  again = hessian_spectrum.hessian_spectrum(run_dir, method='exact', **settings)
  assert os.path.getmtime(again['sparse']['path']) == first_mtime
  assert again['sparse']['eigenvalues'] == exact['sparse']['eigenvalues']
  with pytest.raises(ValueError, match='overwrite=True'):
    hessian_spectrum.hessian_spectrum(run_dir, method='exact',
                                      **dict(settings, num_examples=41))
  redone = hessian_spectrum.hessian_spectrum(
      run_dir, method='exact', overwrite=True, **dict(settings, num_examples=41))
  assert redone['sparse']['settings']['num_examples'] == 41
  # Lanczos agrees with the exact top eigenvalue (same batch and weights).
  lanczos_result = hessian_spectrum.hessian_spectrum(
      run_dir, spectrum='dense', method='lanczos', **settings)['dense']
  assert lanczos_result['top_eigenvalues'][0] == pytest.approx(
      exact['dense']['top_eigenvalues'][0], rel=1e-4)
  with open(lanczos_result['path']) as f:
    stored = json.load(f)
  assert len(stored['slq_nodes']) == 2


def test_exact_spectrum_refuses_to_start_beyond_the_memory_limit(tmp_path):
  run_dir = str(tmp_path / 'run')
  support.fake_run(run_dir, layers=(4,))
  with pytest.raises(ValueError, match='over the limit of 1000 B'):
    hessian_spectrum.hessian_spectrum(run_dir, method='exact',
                                      memory_limit=1000, quiet=True)
  assert not os.path.exists(os.path.join(run_dir, 'hessian'))
  # auto falls back on Lanczos instead.
  assert hessian_spectrum.resolve_method('auto', 500, 1000) == 'lanczos'
  assert hessian_spectrum.resolve_method('auto', 5, 10**6) == 'exact'


def test_a_checkpoint_that_does_not_match_the_network(tmp_path):
  run_dir = str(tmp_path / 'run')
  weights, _ = support.fake_run(run_dir, layers=(4,))
  wrong = dict(weights, layer0=np.zeros((64, 5), np.float32))
  save_restore.save_network(str(tmp_path / 'wrong'), wrong)
  with pytest.raises(ValueError) as error:
    hessian_spectrum.hessian_spectrum(str(tmp_path / 'wrong'),
                                      config=paths.config(run_dir),
                                      masks={}, quiet=True, plot=False)
  assert 'does not match' in str(error.value)
  assert len(str(error.value).splitlines()) == 1
  lacking = {k: v for k, v in weights.items() if k != 'layer1_bias'}
  save_restore.save_network(paths.final(run_dir), lacking)
  with pytest.raises(ValueError, match='lacks layer1_bias'):
    hessian_spectrum.hessian_spectrum(run_dir, quiet=True, plot=False)
  with pytest.raises(ValueError, match='No network at'):
    network_source.load(str(tmp_path / 'nothing-here'))


def test_tf_checkpoints_are_read_as_effective_weights(tmp_path):
  run_dir = str(tmp_path / 'run')
  weights, masks = support.fake_run(run_dir, layers=(4,))
  graph = tf.Graph()
  with graph.as_default():
    inputs = tf.placeholder(tf.float32, [None, 64])
    labels = tf.placeholder(tf.int32, [None])
    noisy = {k: v + (1.0 if not k.endswith('_bias') else 0.0)
             for k, v in weights.items()}  # pruned kernel entries become 1
    model_fc.ModelFc({'layers': [(4, 'relu'), (10, None)]}, inputs, labels,
                     presets=noisy, masks=masks)
    with tf.Session(graph=graph) as sess:
      sess.run(tf.global_variables_initializer())
      # The kernel variable holds the preset times the mask; overwrite it so
      # the checkpoint has non-zero values under the mask, as training may.
      for variable in tf.global_variables():
        if variable.op.name.endswith('_w'):
          variable.load(np.full(variable.shape.as_list(), 2.0, np.float32), sess)
      directory = os.path.join(run_dir, 'checkpoints')
      tf.train.Saver().save(sess, os.path.join(directory, 'model'),
                            global_step=100)
  network = network_source.load(os.path.join(run_dir, 'checkpoints'))
  assert network.label == 'checkpoints-model-100'
  for name, mask in masks.items():
    np.testing.assert_array_equal(network.masks[name], mask)
    np.testing.assert_array_equal(network.weights[name], 2.0 * mask)
  np.testing.assert_allclose(network.weights['layer0_bias'],
                             weights['layer0_bias'])


class _SlowMatrix(object):
  """A matrix operator whose every product takes 10 s of a fake clock."""

  def __init__(self, matrix, clock):
    self.matrix = matrix
    self.size = matrix.shape[0]
    self.products = 0
    self._clock = clock

  def matmat(self, rows):
    self.products += 1
    self._clock.now += 10.0
    return rows.astype(np.float64) @ self.matrix


class _FakeClock(object):

  def __init__(self):
    self.now = 0.0

  def __call__(self):
    return self.now


def test_a_long_exact_hessian_says_so_with_its_estimate(monkeypatch, capsys):
  clock = _FakeClock()
  monkeypatch.setattr(hessian_exact, '_clock', clock)
  matrix = _symmetric(12)
  operator = _SlowMatrix(matrix, clock)
  # 12 rows in blocks of 2: 6 products; rows 3-6 take 20 s of fake time, so
  # 12 rows are estimated at 60 s, plus the eigensolver (~0 s of fake time).
  monkeypatch.setattr(hessian_exact, 'LONG_SECONDS', 59.0)
  values = hessian_exact.eigenvalues(operator, block_size=2)
  np.testing.assert_allclose(values, np.linalg.eigvalsh(matrix), atol=1e-9)
  err = capsys.readouterr().err.strip().splitlines()
  assert err == ['the exact Hessian of 12 coordinates will take about 01:00 '
                 '(01:00 for the rows, 00:00 for the eigensolver); '
                 'method=lanczos takes a fraction of that']
  monkeypatch.setattr(hessian_exact, 'LONG_SECONDS', 61.0)  # not long: silent
  hessian_exact.assemble(_SlowMatrix(matrix, clock), block_size=2)
  hessian_exact.assemble(_SlowMatrix(matrix, clock), block_size=2, quiet=True)
  assert capsys.readouterr().err == ''


def test_lanczos_reports_each_product():
  matrix = _symmetric(30)
  calls = []
  lanczos.top_eigenvalues(lambda v: matrix @ v, 30, 3, steps=10,
                          on_step=lambda: calls.append(1))
  lanczos.quadrature(lambda v: matrix @ v, 30, 10, 2,
                     on_step=lambda: calls.append(1))
  assert len(calls) == 30


def _np_full_hessian(weights, images, labels):
  """The Hessian over (layer0, layer0_bias, layer1, layer1_bias) of the
  one-hidden-layer MLP, by central differences of its numpy gradient.

  Returns:
    (hessian, mask of kept coordinates for given masks -> callable).
  """
  import sparse_testlib  # pylint: disable=g-import-not-at-top
  names = ('layer0', 'layer0_bias', 'layer1', 'layer1_bias')
  base = {n: np.asarray(weights[n], np.float64) for n in names}
  sizes = [base[n].size for n in names]
  flat = np.concatenate([base[n].ravel() for n in names])

  def gradient(vector):
    parts, start = {}, 0
    for name, size in zip(names, sizes):
      parts[name] = vector[start:start + size].reshape(base[name].shape)
      start += size
    grads = sparse_testlib.np_loss_and_grads(parts, images, labels)[1]
    return np.concatenate([np.ravel(grads[n]) for n in names])

  step = 1e-5
  columns = []
  for index in range(flat.size):
    moved = np.zeros(flat.size)
    moved[index] = step
    columns.append((gradient(flat + moved) - gradient(flat - moved)) /
                   (2 * step))
  hessian = np.stack(columns, 1)
  return (hessian + hessian.T) / 2, names


@pytest.mark.slow
def test_dense_full_and_sparse_spectra_against_numpy(tmp_path):
  run_dir = str(tmp_path / 'run')
  weights, masks = support.fake_run(run_dir, layers=(4,), sparsity=0.6)
  dataset = network_source.load(run_dir).run_config.make_dataset()
  # By default: the whole training split (the reference's hessian.gin).
  hessian, names = _np_full_hessian(weights, dataset.train.images,
                                    dataset.train.labels)
  kept = np.concatenate([masks[n].ravel() if n in masks
                         else np.ones(weights[n].size) for n in names]) == 1
  masked = hessian * np.outer(kept, kept)
  expected = {'full': np.linalg.eigvalsh(hessian),
              'dense': np.linalg.eigvalsh(masked),
              'sparse': np.linalg.eigvalsh(hessian[np.ix_(kept, kept)])}
  assert np.sum(~kept) > 100  # the dense spectrum gains that many zeros
  results = {}
  for spectrum in ('sparse', 'dense', 'full'):
    results[spectrum] = hessian_spectrum.hessian_spectrum(
        run_dir, spectrum=spectrum, method='exact', quiet=True,
        plot=False)[spectrum]
  scale = np.abs(expected['full']).max()
  for spectrum, values in expected.items():
    result = results[spectrum]
    assert result['num_examples_used'] == dataset.train.num_examples == 1200
    assert result['settings']['num_examples'] == 'all'
    assert result['num_coordinates'] == values.size
    np.testing.assert_allclose(result['eigenvalues'], values,
                               atol=1e-4 * scale)
  assert results['dense']['num_coordinates'] == results['full'][
      'num_coordinates'] == 64 * 4 + 4 + 4 * 10 + 10
  # Lanczos on the dense spectrum: the sparse Ritz values with 0 among them,
  # and a point mass at 0 of the pruned share in every quadrature probe.
  lanczos_dense = hessian_spectrum.hessian_spectrum(
      run_dir, spectrum='dense', method='lanczos', lanczos_steps=30, probes=2,
      quiet=True, plot=False)['dense']
  assert lanczos_dense['top_eigenvalues'][0] == pytest.approx(
      expected['dense'][-1], rel=1e-3)
  pruned_share = np.mean(~kept)
  for nodes, weights_ in zip(lanczos_dense['slq_nodes'],
                             lanczos_dense['slq_weights']):
    assert nodes[-1] == 0.0
    assert weights_[-1] == pytest.approx(pruned_share)
    assert sum(weights_) == pytest.approx(1.0, abs=1e-6)
