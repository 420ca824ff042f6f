"""Networks, logs and masks on disk; union and intersection."""

import errno
import os
import stat

import numpy as np
import pytest

from lottery_ticket.foundations.storage import integrity
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


@pytest.fixture
def umask_022():
  old = os.umask(0o022)
  try:
    yield
  finally:
    os.umask(old)


def _mode(path):
  return stat.S_IMODE(os.stat(path).st_mode)


def test_outputs_get_the_permissions_of_the_umask(tmp_path, umask_022):
  json_path = str(tmp_path / 'metrics.json')
  save_restore.write_json(json_path, {'a': 1})
  net = str(tmp_path / 'final')
  save_restore.save_network(net, {'layer0': np.ones(3)})
  save_restore.save_network(net, {'layer0': np.zeros(3)})  # a replacement too
  assert _mode(json_path) == 0o644
  assert _mode(net) == 0o755
  assert _mode(os.path.join(net, 'layer0.npy')) == 0o644


def test_a_stricter_umask_is_honoured(tmp_path):
  old = os.umask(0o077)
  try:
    save_restore.write_text(str(tmp_path / 'private.txt'), 'x')
    save_restore.save_network(str(tmp_path / 'net'), {'w': np.ones(1)})
  finally:
    os.umask(old)
  assert _mode(str(tmp_path / 'private.txt')) == 0o600
  assert _mode(str(tmp_path / 'net')) == 0o700


class _FullDisk(object):
  """open() whose files take a few bytes and then report a full disk."""

  def __init__(self):
    self.calls = 0

  def __call__(self, file, mode='r', *args, **kwargs):
    self.calls += 1
    real = open(file, mode, *args, **kwargs)
    if 'w' not in mode:
      return real

    class Full(object):

      def __enter__(self):
        return self

      def __exit__(self, *unused):
        real.close()

      def write(self, data):
        real.write(bytes(data)[:3])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

      def __getattr__(self, name):
        return getattr(real, name)
    return Full()


def test_a_full_disk_names_the_file_and_the_cause(tmp_path, monkeypatch):
  path = str(tmp_path / 'run' / 'metrics.json')
  save_restore.write_json(path, {'old': True})
  monkeypatch.setattr(save_restore, 'open', _FullDisk(), raising=False)
  with pytest.raises(save_restore.WriteError) as caught:
    save_restore.write_json(path, {'new': True})
  message = str(caught.value)
  assert isinstance(caught.value, OSError)
  assert caught.value.errno == errno.ENOSPC
  assert message.startswith('cannot write {}: No space left on device'.format(path))
  assert 'resume' in message and '\n' not in message
  monkeypatch.undo()
  assert integrity.read_json(path) == {'old': True}  # untouched
  assert os.listdir(tmp_path / 'run') == ['metrics.json']  # no temporary left


def test_a_full_disk_while_saving_a_network_keeps_the_old_one(tmp_path,
                                                              monkeypatch):
  net = str(tmp_path / 'final')
  save_restore.save_network(net, {'w': np.ones(4)})
  monkeypatch.setattr(save_restore, 'open', _FullDisk(), raising=False)
  with pytest.raises(save_restore.WriteError,
                     match=r'^cannot write .*final: No space left on device'):
    save_restore.save_network(net, {'w': np.zeros(4000)})
  monkeypatch.undo()
  np.testing.assert_array_equal(save_restore.restore_network(net)['w'],
                                np.ones(4))
  assert os.listdir(tmp_path) == ['final']


def test_remove_temporaries_removes_only_temporary_names(tmp_path):
  run = tmp_path / 'run'
  (run / 'final').mkdir(parents=True)
  (run / 'final' / 'layer0.npy').write_bytes(b'x')
  (run / 'config.json').write_text('{}')
  (run / '.lock').write_text('')
  (run / '.tmp-1a2b3c4d').write_text('half a file')
  (run / '.tmp-final-0011aabb').mkdir()
  (run / '.tmp-final-0011aabb' / 'layer0.npy').write_bytes(b'x')
  (run / 'weights_at').mkdir()
  (run / 'weights_at' / '.tmp-40-99887766').mkdir()
  (run / 'checkpoints').mkdir()
  (run / 'checkpoints' / 'model-40.index.tempstate123').write_text('')
  outside = tmp_path / '.tmp-not-mine'
  outside.write_text('')
  removed = save_restore.remove_temporaries(str(run), ['*.tempstate*'])
  assert [os.path.relpath(p, run) for p in removed] == [
      '.tmp-1a2b3c4d', '.tmp-final-0011aabb',
      os.path.join('checkpoints', 'model-40.index.tempstate123'),
      os.path.join('weights_at', '.tmp-40-99887766')]
  left = sorted(os.path.relpath(os.path.join(root, name), run)
                for root, dirs, files in os.walk(run) for name in dirs + files)
  assert left == ['.lock', 'checkpoints', 'config.json', 'final',
                  os.path.join('final', 'layer0.npy'), 'weights_at']
  assert outside.exists()
