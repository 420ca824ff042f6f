"""Networks, logs and masks on disk; union and intersection."""

import os

import numpy as np
import pytest

from lottery_ticket.foundations import save_restore
from lottery_ticket.foundations import union


def test_network_round_trip_and_atomic_replace(tmp_path):
  path = str(tmp_path / 'net')
  first = {'layer0': np.arange(6.0).reshape(2, 3), 'layer0_bias': np.ones(3)}
  save_restore.save_network(path, first)
  second = {'layer0': np.zeros((2, 3))}
  save_restore.save_network(path, second)
  loaded = save_restore.restore_network(path)
  assert set(loaded) == {'layer0'}
  np.testing.assert_array_equal(loaded['layer0'], second['layer0'])
  assert sorted(os.listdir(tmp_path)) == ['net']  # no staging left behind


def test_a_failed_save_leaves_the_old_network(tmp_path):
  path = str(tmp_path / 'net')
  save_restore.save_network(path, {'a': np.ones(2)})
  with pytest.raises(ValueError, match='cannot be a file name'):
    save_restore.save_network(path, {'b': np.ones(2), 'bad/name': np.ones(1)})
  np.testing.assert_array_equal(save_restore.restore_network(path)['a'], np.ones(2))
  assert sorted(os.listdir(tmp_path)) == ['net']


def test_restore_refuses_pickles_and_missing_dirs(tmp_path):
  path = tmp_path / 'net'
  path.mkdir()
  with open(path / 'evil.npy', 'wb') as f:  # an object array: a pickle inside
    np.lib.format.write_array_header_1_0(
        f, {'descr': '|O', 'fortran_order': False, 'shape': (1,)})
    f.write(b'\x80\x04K\x01.')
  with pytest.raises(ValueError, match='evil.npy'):
    save_restore.restore_network(str(path))
  with pytest.raises(ValueError, match='No saved network'):
    save_restore.restore_network(str(tmp_path / 'missing'))


def test_standardize_accepts_dicts_paths_lists_and_none(tmp_path):
  a = {'l': np.array([1.0, 0.0, 0.0])}
  b = {'l': np.array([0.0, 1.0, 0.0])}
  save_restore.save_network(str(tmp_path / 'a'), a)
  assert save_restore.standardize(None) is None
  np.testing.assert_array_equal(save_restore.standardize(str(tmp_path / 'a'))['l'], a['l'])
  both = save_restore.standardize([str(tmp_path / 'a'), b])
  np.testing.assert_array_equal(both['l'], [1, 1, 0])


def test_union_and_intersect_do_not_mutate():
  a = {'l': np.array([1.0, 1.0, 0.0])}
  b = {'l': np.array([0.0, 1.0, 1.0])}
  copy_a = a['l'].copy()
  np.testing.assert_array_equal(union.union(a, b)['l'], [1, 1, 1])
  np.testing.assert_array_equal(union.intersect(a, b)['l'], [0, 1, 0])
  np.testing.assert_array_equal(a['l'], copy_a)
  with pytest.raises(ValueError, match='shapes'):
    union.union(a, {'l': np.ones(4)})


def test_log_round_trip(tmp_path):
  path = str(tmp_path / 'test.log')
  records = [{'iteration': 0, 'loss': 2.5, 'accuracy': 0.1},
             {'iteration': 100, 'loss': 0.5, 'accuracy': 0.9}]
  save_restore.write_log(records, path)
  assert open(path).readline() == 'iteration,0,loss,2.5,accuracy,0.1\n'
  assert save_restore.read_log(path) == records
