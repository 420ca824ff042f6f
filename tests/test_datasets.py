"""Tests of the datasets package, the data locations and the download CLI.

No test touches the network: downloads go to file:// URLs of files the tests
write. The real MNIST test split in shared/data/mnist-t10k (beside the repo)
is read in place or copied to temporary directories, never into the repo.
"""

import gzip
import hashlib
import io
import os
import pathlib
import shutil
import struct
import tarfile

import numpy as np
import pytest
from sklearn import datasets as sklearn_datasets

from lottery_ticket import command_line
from lottery_ticket.datasets import archive
from lottery_ticket.datasets import dataset_cifar10
from lottery_ticket.datasets import dataset_digits
from lottery_ticket.datasets import dataset_fashion_mnist
from lottery_ticket.datasets import dataset_mnist
from lottery_ticket.datasets import download
from lottery_ticket.datasets import idx
from lottery_ticket.datasets import idx_image_dataset
from lottery_ticket.datasets import registry
from lottery_ticket.datasets.errors import DatasetError
from lottery_ticket.foundations import dataset_base
from lottery_ticket.mnist_fc import download_data
from lottery_ticket.mnist_fc import locations
from lottery_ticket.mnist_fc.runners import download_data as download_runner

REPO = pathlib.Path(__file__).resolve().parents[1]
MNIST_T10K = REPO.parent / 'shared' / 'data' / 'mnist-t10k'
T10K_IMAGES = MNIST_T10K / idx_image_dataset.TEST_IMAGES
T10K_LABELS = MNIST_T10K / idx_image_dataset.TEST_LABELS
# Examples per class in the published MNIST test split.
T10K_CLASS_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]

needs_t10k = pytest.mark.skipif(
    not (T10K_IMAGES.is_file() and T10K_LABELS.is_file()),
    reason='real MNIST test split not found at {}'.format(MNIST_T10K))


def _md5(path):
  return hashlib.md5(pathlib.Path(path).read_bytes()).hexdigest()


def _write_idx(path, array):
  """Writes an array as an IDX file, gzipped if `path` ends in .gz (the
  fixtures' writer: the library only reads IDX).

  Args:
    path: the file to write.
    array: an array of at least one dimension whose dtype is one of uint8,
      int8, int16, int32, float32, float64.

  Raises:
    DatasetError: if the array's dtype or shape cannot be stored as IDX.
  """
  array = np.asarray(array)
  types = idx._TYPE_CODES  # pylint: disable=protected-access
  codes = {dtype.newbyteorder('='): code for code, dtype in types.items()}
  code = codes.get(array.dtype.newbyteorder('='))
  if code is None:
    raise DatasetError('cannot write dtype {} as IDX (supported: uint8, int8, '
                       'int16, int32, float32, float64)'.format(array.dtype))
  if not 1 <= array.ndim <= 255 or max(array.shape) >= 2**32:
    raise DatasetError('cannot write shape {} as IDX'.format(array.shape))
  header = bytes([0, 0, code, array.ndim]) + struct.pack(
      '>{}I'.format(array.ndim), *array.shape)
  payload = np.ascontiguousarray(array, dtype=types[code]).tobytes()
  with open(path, 'wb') as f:
    if str(path).endswith('.gz'):
      # mtime=0 keeps the bytes (and so the md5) a function of the array.
      with gzip.GzipFile(filename='', mode='wb', fileobj=f, mtime=0) as gz:
        gz.write(header + payload)
    else:
      f.write(header + payload)


def _write_mnist_like(directory, num_train=50, num_test=20, side=28, seed=0):
  """Writes four small random IDX files under the published names.

  Returns:
    (train_images, train_labels, test_images, test_labels) as written.
  """
  rng = np.random.default_rng(seed)
  arrays = (
      rng.integers(0, 256, (num_train, side, side), dtype=np.uint8),
      (np.arange(num_train) % 10).astype(np.uint8),
      rng.integers(0, 256, (num_test, side, side), dtype=np.uint8),
      (np.arange(num_test) % 10).astype(np.uint8),
  )
  os.makedirs(directory, exist_ok=True)
  for name, array in zip(idx_image_dataset.FILE_NAMES, arrays):
    _write_idx(os.path.join(directory, name), array)
  return arrays


def _cifar_records(labels, seed):
  """Binary CIFAR records for the given labels, and their HWC images."""
  rng = np.random.default_rng(seed)
  planes = rng.integers(0, 256, (len(labels), 3, 32, 32), dtype=np.uint8)
  records = np.concatenate(
      [np.asarray(labels, np.uint8)[:, None], planes.reshape(len(labels), -1)],
      axis=1)
  return records.tobytes(), planes.transpose(0, 2, 3, 1)


def _write_cifar(directory, records_per_batch=3):
  """Writes six small binary batches; returns the test batch's HWC images."""
  os.makedirs(directory, exist_ok=True)
  for i, name in enumerate(dataset_cifar10.TRAIN_BATCHES):
    data, _ = _cifar_records(np.arange(records_per_batch) % 10, seed=i)
    pathlib.Path(directory, name).write_bytes(data)
  data, test_images = _cifar_records([9, 0, 5], seed=99)
  pathlib.Path(directory, dataset_cifar10.TEST_BATCH).write_bytes(data)
  return test_images


# IDX files.


@pytest.mark.parametrize('name', ['a.idx', 'a.idx.gz'])
@pytest.mark.parametrize('dtype', ['uint8', 'int8', 'int16', 'int32',
                                   'float32', 'float64'])
def test_idx_round_trip(tmp_path, name, dtype):
  array = (np.arange(2 * 3 * 5) - 7).reshape(2, 3, 5).astype(dtype)
  path = tmp_path / name
  _write_idx(path, array)
  back = idx.read_idx(path)
  assert back.dtype == np.dtype(dtype)
  np.testing.assert_array_equal(back, array)
  back[0, 0, 0] = 1  # a writable copy, not a view of the file's bytes


def test_idx_header_is_the_published_layout(tmp_path):
  path = tmp_path / 'labels.idx'
  _write_idx(path, np.array([7, 2, 1], np.uint8))
  assert path.read_bytes() == bytes.fromhex('00000801' '00000003' '070201')


def test_idx_gzip_is_deterministic(tmp_path):
  array = np.arange(12, dtype=np.uint8).reshape(3, 4)
  _write_idx(tmp_path / 'a.gz', array)
  _write_idx(tmp_path / 'b.gz', array)
  assert _md5(tmp_path / 'a.gz') == _md5(tmp_path / 'b.gz')


def test_idx_wrong_magic(tmp_path):
  path = tmp_path / 'bad-images-idx3-ubyte'
  path.write_bytes(b'\x12\x34\x08\x03' + bytes(100))
  with pytest.raises(DatasetError, match=r'bad-images-idx3-ubyte: not an IDX '
                     r'file \(magic 0x12340803\)'):
    idx.read_idx(path)


def test_idx_unexpected_magic_names_both(tmp_path):
  path = tmp_path / 'labels.idx'
  _write_idx(path, np.zeros(4, np.uint8))
  with pytest.raises(DatasetError,
                     match=r'labels.idx: IDX magic 0x00000801, expected '
                     r'0x00000803'):
    idx.read_idx(path, expected_magic=idx.IMAGES_MAGIC)


def test_idx_truncated_gzip(tmp_path):
  path = tmp_path / 'cut-images-idx3-ubyte.gz'
  _write_idx(path, np.random.default_rng(0).integers(
      0, 256, (20, 28, 28), dtype=np.uint8))
  data = path.read_bytes()
  path.write_bytes(data[:len(data) // 2])
  with pytest.raises(DatasetError,
                     match=r'cut-images-idx3-ubyte.gz: truncated gzip'):
    idx.read_idx(path)


def test_idx_not_gzip(tmp_path):
  path = tmp_path / 'plain.idx.gz'
  _write_idx(tmp_path / 'plain.idx', np.zeros(3, np.uint8))
  shutil.copy(tmp_path / 'plain.idx', path)
  with pytest.raises(DatasetError, match=r'plain.idx.gz: damaged gzip'):
    idx.read_idx(path)


@pytest.mark.parametrize('cut, message', [(-1, 'truncated: 11 data bytes, '
                                               'expected 12'),
                                          (None, '1 bytes more than the 12')])
def test_idx_byte_count_must_match(tmp_path, cut, message):
  path = tmp_path / 'odd.idx.gz'
  _write_idx(tmp_path / 'odd.idx', np.zeros((3, 4), np.uint8))
  data = (tmp_path / 'odd.idx').read_bytes()
  data = data[:cut] if cut else data + b'\x00'
  with gzip.open(path, 'wb') as f:
    f.write(data)
  with pytest.raises(DatasetError, match=r'odd.idx.gz: ' + message):
    idx.read_idx(path)


def test_idx_missing_file(tmp_path):
  with pytest.raises(DatasetError, match=r'nowhere.gz: no such file'):
    idx.read_idx(tmp_path / 'nowhere.gz')


def test_idx_writer_rejects_unsupported_dtype(tmp_path):
  with pytest.raises(DatasetError, match='int64'):
    _write_idx(tmp_path / 'x.idx', np.zeros(3, np.int64))


# Checksums and downloads.


def test_md5sum_of_a_file_and_of_a_missing_one(tmp_path):
  path = tmp_path / 't10k-images-idx3-ubyte.gz'
  path.write_bytes(b'not the images')
  assert download.md5sum(path) == _md5(path)
  with pytest.raises(DatasetError, match='no such file'):
    download.md5sum(tmp_path / 'absent.gz')


def test_download_file_url(tmp_path):
  source = tmp_path / 'source.bin'
  source.write_bytes(b'payload' * 1000)
  destination = tmp_path / 'out' / 'copy.bin'
  result = download.download(source.as_uri(), str(destination), _md5(source))
  assert result == str(destination)
  assert destination.read_bytes() == source.read_bytes()
  assert os.listdir(destination.parent) == ['copy.bin']


def test_download_keeps_a_verified_file(tmp_path):
  destination = tmp_path / 'copy.bin'
  destination.write_bytes(b'already here')
  missing_url = (tmp_path / 'no-such-source').as_uri()
  download.download(missing_url, str(destination), _md5(destination))
  assert destination.read_bytes() == b'already here'


def test_download_wrong_md5_leaves_nothing(tmp_path):
  source = tmp_path / 'train-images-idx3-ubyte.gz'
  source.write_bytes(b'corrupted bytes')
  target_dir = tmp_path / 'target'
  destination = target_dir / 'train-images-idx3-ubyte.gz'
  with pytest.raises(DatasetError,
                     match=r'train-images-idx3-ubyte.gz: md5 is [0-9a-f]{32}, '
                     r'expected f68b3c2dcbeaaa9fbdd348bbdeb94873'):
    download.download(source.as_uri(), str(destination),
                      'f68b3c2dcbeaaa9fbdd348bbdeb94873')
  assert not destination.exists()
  # No temporary file left either, nor the directory the download created.
  assert not target_dir.exists()
  target_dir.mkdir()
  with pytest.raises(DatasetError):
    download.download(source.as_uri(), str(destination), '0' * 32)
  assert os.listdir(target_dir) == []


def test_download_falls_back_to_the_next_mirror(tmp_path):
  source = tmp_path / 'good.bin'
  source.write_bytes(b'good')
  destination = tmp_path / 'out.bin'
  urls = [(tmp_path / 'missing.bin').as_uri(), source.as_uri()]
  download.download(urls, str(destination), _md5(source))
  assert destination.read_bytes() == b'good'


def test_download_reports_every_failed_mirror(tmp_path):
  urls = [(tmp_path / 'a.bin').as_uri(), (tmp_path / 'b.bin').as_uri()]
  with pytest.raises(DatasetError) as raised:
    download.download(urls, str(tmp_path / 'out.bin'), '0' * 32)
  message = str(raised.value)
  assert 'could not download' in message and 'a.bin' in message
  assert 'b.bin' in message and '\n' not in message
  assert not (tmp_path / 'out.bin').exists()


def test_download_idx_images_then_load_verified(tmp_path):
  source = tmp_path / 'mirror'
  arrays = _write_mnist_like(source)
  spec = idx_image_dataset.IdxImageSpec(
      name='tiny', md5s={name: _md5(source / name)
                         for name in idx_image_dataset.FILE_NAMES},
      mirrors=[(tmp_path / 'dead').as_uri() + '/', source.as_uri() + '/'])
  target = tmp_path / 'target'
  idx_image_dataset.download_idx_images(str(target), spec)
  train_images, train_labels, _, _ = idx_image_dataset.load_arrays(
      target, spec, verify=True)
  np.testing.assert_allclose(train_images * 255,
                             arrays[0].reshape(50, -1).astype(np.float32))
  np.testing.assert_array_equal(train_labels, arrays[1])


# Safe extraction.


def _tar_with(path, entries):
  """Writes a .tar.gz of (TarInfo, bytes or None) entries."""
  with tarfile.open(path, 'w:gz') as tar:
    for info, data in entries:
      if data is not None:
        info.size = len(data)
      tar.addfile(info, io.BytesIO(data) if data is not None else None)


@pytest.mark.parametrize('name, kind', [('/etc/evil', tarfile.REGTYPE),
                                        ('a/../../evil', tarfile.REGTYPE),
                                        ('a/link', tarfile.SYMTYPE)])
def test_extraction_rejects_unsafe_members(tmp_path, name, kind):
  archive_path = tmp_path / 'bad.tar.gz'
  good = tarfile.TarInfo('a/good.bin')
  bad = tarfile.TarInfo(name)
  bad.type = kind
  bad.linkname = '/etc/passwd' if kind == tarfile.SYMTYPE else ''
  _tar_with(archive_path, [(good, b'fine'),
                           (bad, b'evil' if kind == tarfile.REGTYPE else None)])
  destination = tmp_path / 'out'
  with pytest.raises(DatasetError, match=r'bad.tar.gz: unsafe member'):
    archive.safe_extract_tar(str(archive_path), str(destination))
  assert os.listdir(destination) == []  # not even the good member


# MNIST-like datasets.


def test_mnist_on_generated_files_holds_out_the_last_examples(tmp_path):
  arrays = _write_mnist_like(tmp_path)
  dataset = dataset_mnist.DatasetMnist(str(tmp_path), validate_size=10,
                                       train_order_seed=3, verify=False)
  assert isinstance(dataset, dataset_base.DatasetBase)
  assert dataset.input_shape == (784,)
  assert dataset.num_classes == 10
  assert dataset.train.num_examples == 40
  assert dataset.validate.num_examples == 10
  assert dataset.test.num_examples == 20
  expected = arrays[0].reshape(50, 784).astype(np.float32) / 255
  np.testing.assert_allclose(dataset.train.images, expected[:40], atol=1e-7)
  np.testing.assert_allclose(dataset.validate.images, expected[40:],
                             atol=1e-7)
  np.testing.assert_array_equal(dataset.validate.labels, arrays[1][40:])
  assert dataset.train.images.dtype == np.float32
  assert dataset.train.labels.dtype == np.int32


def test_mnist_unflattened_shape(tmp_path):
  _write_mnist_like(tmp_path, side=5)
  dataset = dataset_mnist.DatasetMnist(tmp_path, flatten=False, verify=False)
  assert dataset.train.images.shape == (50, 5, 5, 1)
  assert dataset.input_shape == (5, 5, 1)


def test_mnist_verifies_the_published_md5s(tmp_path):
  _write_mnist_like(tmp_path)
  with pytest.raises(DatasetError,
                     match=r'train-images-idx3-ubyte.gz: md5 is [0-9a-f]{32}, '
                     r'expected f68b3c2dcbeaaa9fbdd348bbdeb94873'):
    dataset_mnist.DatasetMnist(str(tmp_path))


def test_mnist_missing_files_suggest_the_download(tmp_path):
  with pytest.raises(DatasetError) as raised:
    dataset_mnist.DatasetMnist(str(tmp_path / 'nothing-here'))
  message = str(raised.value)
  assert str(tmp_path / 'nothing-here' / 'train-images-idx3-ubyte.gz') in (
      message)
  assert ('python -m lottery_ticket.mnist_fc.runners.download_data '
          '--dataset=mnist') in message


def test_fashion_mnist_shares_the_loader(tmp_path):
  _write_mnist_like(tmp_path)
  dataset = dataset_fashion_mnist.DatasetFashionMnist(str(tmp_path),
                                                      verify=False)
  assert dataset.train.images.shape == (50, 784)
  with pytest.raises(DatasetError, match=r'expected 8d4fb7e6c68d591d4c3dfef9'):
    dataset_fashion_mnist.DatasetFashionMnist(str(tmp_path))
  with pytest.raises(DatasetError, match='--dataset=fashion_mnist'):
    dataset_fashion_mnist.DatasetFashionMnist(str(tmp_path / 'missing'))


def test_labels_out_of_range_name_the_file(tmp_path):
  _write_mnist_like(tmp_path)
  _write_idx(tmp_path / idx_image_dataset.TEST_LABELS,
                np.full(20, 10, np.uint8))
  with pytest.raises(DatasetError, match=r't10k-labels-idx1-ubyte.gz: labels '
                     r'span \[10, 10\]'):
    dataset_mnist.DatasetMnist(str(tmp_path), verify=False)


def test_label_count_must_match_the_images(tmp_path):
  _write_mnist_like(tmp_path)
  _write_idx(tmp_path / idx_image_dataset.TRAIN_LABELS,
                np.zeros(49, np.uint8))
  with pytest.raises(DatasetError, match=r'train-labels-idx1-ubyte.gz: 49 '
                     r'labels for 50 images'):
    dataset_mnist.DatasetMnist(str(tmp_path), verify=False)


def test_mnist_from_npz(tmp_path):
  arrays = _write_mnist_like(tmp_path / 'idx')
  path = tmp_path / 'mnist.npz'
  np.savez(path, **dict(zip(idx_image_dataset.NPZ_KEYS, arrays)))
  from_npz = dataset_mnist.DatasetMnist(str(path), flatten=False)
  from_idx = dataset_mnist.DatasetMnist(str(tmp_path / 'idx'), flatten=False,
                                        verify=False)
  np.testing.assert_array_equal(from_npz.train.images, from_idx.train.images)
  np.testing.assert_array_equal(from_npz.test.labels, from_idx.test.labels)


def test_npz_without_an_array_names_it(tmp_path):
  path = tmp_path / 'partial.npz'
  np.savez(path, x_train=np.zeros((2, 4, 4), np.uint8),
           y_train=np.zeros(2, np.uint8))
  with pytest.raises(DatasetError, match=r'partial.npz: no array x_test, '
                     r'y_test'):
    dataset_mnist.DatasetMnist(str(path))


def test_npz_refuses_pickled_objects(tmp_path):
  path = tmp_path / 'objects.npz'
  arrays = {key: np.array([None, 1], dtype=object)
            for key in idx_image_dataset.NPZ_KEYS}
  np.savez(path, **arrays)
  with pytest.raises(DatasetError, match=r'objects.npz'):
    dataset_mnist.DatasetMnist(str(path))


# The real MNIST test split.


@needs_t10k
def test_real_t10k_checksums_and_contents():
  for path in (T10K_IMAGES, T10K_LABELS):
    assert download.md5sum(path) == dataset_mnist.MNIST.md5s[path.name]
  images = idx.read_idx(T10K_IMAGES, expected_magic=idx.IMAGES_MAGIC)
  labels = idx.read_idx(T10K_LABELS, expected_magic=idx.LABELS_MAGIC)
  assert images.shape == (10000, 28, 28) and images.dtype == np.uint8
  assert labels.shape == (10000,)
  assert labels[0] == 7
  assert np.bincount(labels, minlength=10).tolist() == T10K_CLASS_COUNTS
  assert images.min() == 0 and images.max() == 255


@needs_t10k
def test_real_t10k_as_both_splits(tmp_path):
  names = {
      idx_image_dataset.TRAIN_IMAGES: T10K_IMAGES,
      idx_image_dataset.TRAIN_LABELS: T10K_LABELS,
      idx_image_dataset.TEST_IMAGES: T10K_IMAGES,
      idx_image_dataset.TEST_LABELS: T10K_LABELS,
  }
  for name, source in names.items():
    shutil.copyfile(source, tmp_path / name)
  # The copies under the training names cannot match the training md5s.
  with pytest.raises(DatasetError, match='train-images-idx3-ubyte.gz: md5'):
    dataset_mnist.DatasetMnist(str(tmp_path))
  dataset = dataset_mnist.DatasetMnist(str(tmp_path), validate_size=2000,
                                       train_order_seed=0, verify=False)
  assert dataset.train.num_examples == 8000
  assert dataset.validate.num_examples == 2000
  assert dataset.test.num_examples == 10000
  assert dataset.test.images.shape == (10000, 784)
  assert 0.0 <= dataset.test.images.min() and dataset.test.images.max() == 1.0
  assert dataset.train.labels[0] == 7
  assert np.bincount(dataset.test.labels).tolist() == T10K_CLASS_COUNTS
  # The validation split is the last 2,000 of the 10,000 training examples.
  np.testing.assert_array_equal(dataset.validate.images,
                                dataset.test.images[8000:])
  assert dataset.train_order(0, 2, 60).shape == (2, 60)


# Digits.


def test_digits_shapes_and_split():
  dataset = dataset_digits.DatasetDigits(train_order_seed=1, validate_size=100)
  assert dataset.train.images.shape == (1337, 64)
  assert dataset.validate.images.shape == (100, 64)
  assert dataset.test.images.shape == (360, 64)
  assert dataset.num_classes == 10
  assert dataset.train.images.min() == 0.0
  assert dataset.train.images.max() == 1.0
  # Stratified: every class has 35 to 37 test examples.
  counts = np.bincount(dataset.test.labels, minlength=10)
  assert counts.sum() == 360 and counts.min() >= 35 and counts.max() <= 37


def test_digits_split_partitions_the_data():
  labels = sklearn_datasets.load_digits().target
  train, test = dataset_digits.split_indices(labels)
  assert len(train) == 1437 and len(test) == 360
  np.testing.assert_array_equal(np.sort(np.concatenate([train, test])),
                                np.arange(1797))


def test_digits_are_deterministic_and_independent_of_the_order_seed():
  first = dataset_digits.DatasetDigits(flatten=False, train_order_seed=1)
  second = dataset_digits.DatasetDigits(flatten=False, train_order_seed=2)
  assert first.input_shape == (8, 8, 1)
  np.testing.assert_array_equal(first.train.images, second.train.images)
  np.testing.assert_array_equal(first.test.labels, second.test.labels)
  assert not np.array_equal(first.train_order(0, 1, 32),
                            second.train_order(0, 1, 32))


def test_digits_take_no_location():
  with pytest.raises(DatasetError, match='digits'):
    dataset_digits.DatasetDigits(location='/somewhere')


# CIFAR-10.


def test_cifar10_reader_on_generated_batches(tmp_path):
  test_images = _write_cifar(tmp_path / dataset_cifar10.BATCH_DIRECTORY)
  dataset = dataset_cifar10.DatasetCifar10(str(tmp_path), verify=False,
                                           validate_size=3)
  assert dataset.train.images.shape == (12, 32, 32, 3)
  assert dataset.validate.images.shape == (3, 32, 32, 3)
  assert dataset.test.labels.tolist() == [9, 0, 5]
  assert dataset.num_classes == 10
  np.testing.assert_allclose(dataset.test.images,
                             test_images.astype(np.float32) / 255, atol=1e-7)
  # Record 0, pixel (row 1, column 2), green: byte 1 + 1024 + 32 + 2.
  raw = (tmp_path / dataset_cifar10.BATCH_DIRECTORY /
         dataset_cifar10.TEST_BATCH).read_bytes()
  assert dataset.test.images[0, 1, 2, 1] == np.float32(raw[1 + 1024 + 34]) / 255
  flat = dataset_cifar10.DatasetCifar10(str(tmp_path), verify=False,
                                        flatten=True)
  assert flat.input_shape == (3072,)


def test_cifar10_verify_requires_full_batches(tmp_path):
  _write_cifar(tmp_path)
  with pytest.raises(DatasetError,
                     match=r'data_batch_1.bin: 3 records, expected 10000'):
    dataset_cifar10.DatasetCifar10(str(tmp_path))


def test_cifar10_wrong_record_count(tmp_path):
  _write_cifar(tmp_path)
  path = tmp_path / 'data_batch_4.bin'
  path.write_bytes(path.read_bytes()[:-5])
  with pytest.raises(DatasetError, match=r'data_batch_4.bin: 9214 bytes is not '
                     r'a whole, nonzero number of 3073-byte records'):
    dataset_cifar10.DatasetCifar10(str(tmp_path), verify=False)


def test_cifar10_missing_batch(tmp_path):
  _write_cifar(tmp_path)
  os.remove(tmp_path / 'test_batch.bin')
  with pytest.raises(DatasetError, match=r'test_batch.bin: no such file; '
                     r'download cifar10'):
    dataset_cifar10.DatasetCifar10(str(tmp_path), verify=False)


def test_download_cifar10_from_a_file_url(tmp_path):
  batches = tmp_path / 'build' / dataset_cifar10.BATCH_DIRECTORY
  _write_cifar(batches)
  archive_path = tmp_path / 'cifar.tar.gz'
  with tarfile.open(archive_path, 'w:gz') as tar:
    tar.add(batches, arcname=dataset_cifar10.BATCH_DIRECTORY)
  target = tmp_path / 'data'
  result = dataset_cifar10.download_cifar10(
      str(target), url=archive_path.as_uri(), md5=_md5(archive_path))
  assert result == str(target / dataset_cifar10.BATCH_DIRECTORY)
  dataset = dataset_cifar10.DatasetCifar10(str(target), verify=False)
  assert dataset.train.num_examples == 15
  assert sorted(os.listdir(target)) == sorted([
      dataset_cifar10.ARCHIVE_NAME, dataset_cifar10.BATCH_DIRECTORY])


# Registry and locations.


def test_registry_unknown_name():
  with pytest.raises(DatasetError) as raised:
    registry.make_dataset('foo')
  assert str(raised.value) == ("No such dataset: 'foo' (choose from: cifar10, "
                               'digits, fashion_mnist, mnist)')


def test_registry_builds_each_kind(tmp_path, monkeypatch):
  _write_mnist_like(tmp_path / 'mnist', side=4)
  _write_cifar(tmp_path / 'cifar')
  monkeypatch.setenv('LOTTERY_TICKET_MNIST', str(tmp_path / 'mnist'))
  mnist = registry.make_dataset('mnist', verify=False, validate_size=5)
  assert mnist.input_shape == (16,) and mnist.validate.num_examples == 5
  fashion = registry.make_dataset('fashion_mnist', str(tmp_path / 'mnist'),
                                  flatten=False, verify=False)
  assert fashion.input_shape == (4, 4, 1)
  cifar = registry.make_dataset('cifar10', str(tmp_path / 'cifar'),
                                verify=False)
  assert cifar.input_shape == (32, 32, 3)
  assert registry.make_dataset('digits').input_shape == (64,)


def test_environment_variables_move_default_locations(monkeypatch):
  moved = {spec.name: spec.environment_variable
           for spec in registry.SPECS.values() if spec.environment_variable}
  assert sorted(moved) == ['cifar10', 'fashion_mnist', 'mnist']
  for name, variable in moved.items():
    monkeypatch.setenv(variable, '~/elsewhere/' + name)
    assert registry.default_location(name) == os.path.expanduser(
        '~/elsewhere/' + name)
  monkeypatch.delenv('LOTTERY_TICKET_MNIST')
  monkeypatch.setenv('HOME', '/nonexistent-home')
  assert registry.default_location('mnist') == (
      '/nonexistent-home/lottery_ticket/datasets/mnist')


def test_locations_signpost_names_every_variable_and_holds_no_code():
  # Users of the original library open mnist_fc/locations.py first: it must
  # name each dataset's variable and nothing that could go stale.
  for spec in registry.SPECS.values():
    if spec.environment_variable:
      assert spec.environment_variable in locations.__doc__
  assert not [name for name in vars(locations) if not name.startswith('__')]


# The download command.


def test_download_data_digits_needs_nothing(capsys):
  assert download_data.download('digits') is None
  assert 'nothing to download' in capsys.readouterr().out


def test_download_data_cli_bad_name(capsys):
  with pytest.raises(SystemExit) as stop:
    command_line.run(download_runner.RUNNER, ['--dataset=foo'])
  assert stop.value.code == 2
  err = capsys.readouterr().err
  assert err.count('\n') == 1 and "No such dataset: 'foo'" in err
  assert 'Traceback' not in err


def test_download_data_cli_as_a_module(run_main, capsys):
  # Its __main__ block, in-process.
  assert run_main('lottery_ticket.mnist_fc.runners.download_data',
                  '--dataset=nope') == 2
  err = capsys.readouterr().err
  assert "No such dataset: 'nope'" in err
  assert 'Traceback' not in err


# One registry entry per dataset; default locations in order.


def test_registry_entries_own_their_defaults():
  assert registry.NAMES == ('mnist', 'fashion_mnist', 'digits', 'cifar10')
  assert {n: registry.default_validate_size(n) for n in registry.NAMES} == {
      'mnist': 5000, 'fashion_mnist': 5000, 'digits': 237, 'cifar10': 5000}
  assert registry.get('digits').download is None
  assert registry.default_location('digits') is None
  with pytest.raises(DatasetError, match="No such dataset: 'svhn'"):
    registry.default_validate_size('svhn')


def test_datasets_do_not_import_mnist_fc():
  sources = (REPO / 'datasets').glob('*.py')
  assert not [p.name for p in sources if 'mnist_fc' in p.read_text()
              .replace('mnist_fc.runners.download_data', '')]


def test_default_location_order(tmp_path, monkeypatch):
  monkeypatch.setenv('HOME', str(tmp_path / 'home'))
  monkeypatch.delenv('LOTTERY_TICKET_FASHION_MNIST', raising=False)
  system = tmp_path / 'usr-share'
  spec = registry.dataclasses.replace(registry.get('fashion_mnist'),
                                      system_locations=(str(system),))
  monkeypatch.setitem(registry.SPECS, 'fashion_mnist', spec)
  home = tmp_path / 'home' / 'lottery_ticket' / 'datasets' / 'fashion_mnist'
  # Nothing anywhere: the home location (where a download would go).
  assert registry.default_location('fashion_mnist') == str(home)
  # An installed system copy, and an empty home directory, which is skipped.
  _write_mnist_like(system)
  home.mkdir(parents=True)
  assert registry.default_location('fashion_mnist') == str(system)
  # The user's own copy comes first...
  _write_mnist_like(home)
  assert registry.default_location('fashion_mnist') == str(home)
  # ... after the environment variable.
  monkeypatch.setenv('LOTTERY_TICKET_FASHION_MNIST', str(tmp_path / 'env'))
  assert registry.default_location('fashion_mnist') == str(tmp_path / 'env')
  assert spec.download_location() == str(tmp_path / 'env')
  monkeypatch.delenv('LOTTERY_TICKET_FASHION_MNIST')
  assert spec.download_location() == str(home)


def _recompressed(source, target, level, change=None):
  """Copies four .gz IDX files at another gzip level (optionally altered)."""
  os.makedirs(target, exist_ok=True)
  for name in idx_image_dataset.FILE_NAMES:
    content = gzip.decompress((source / name).read_bytes())
    if change and name == change:
      content = content[:-1] + bytes([(content[-1] + 1) % 256])
    (target / name).write_bytes(gzip.compress(content, compresslevel=level,
                                              mtime=12345))


def _spec_of(source):
  return idx_image_dataset.IdxImageSpec(
      name='tiny', mirrors=(),
      md5s={n: _md5(source / n) for n in idx_image_dataset.FILE_NAMES},
      content_md5s={n: hashlib.md5(gzip.decompress(
          (source / n).read_bytes())).hexdigest()
                    for n in idx_image_dataset.FILE_NAMES})


def test_a_recompressed_copy_is_accepted_by_its_content(tmp_path):
  source = tmp_path / 'published'
  arrays = _write_mnist_like(source)
  spec = _spec_of(source)
  copy = tmp_path / 'packaged'
  _recompressed(source, copy, level=1)
  for name in idx_image_dataset.FILE_NAMES:
    assert _md5(copy / name) != spec.md5s[name]
  train_images, train_labels, test_images, _ = idx_image_dataset.load_arrays(
      copy, spec, verify=True)
  np.testing.assert_array_equal(train_labels, arrays[1])
  np.testing.assert_allclose(test_images * 255,
                             arrays[2].reshape(20, -1).astype(np.float32))
  assert train_images.shape == (50, 784)


def test_a_corrupted_recompressed_copy_is_refused(tmp_path):
  source = tmp_path / 'published'
  _write_mnist_like(source)
  spec = _spec_of(source)
  copy = tmp_path / 'damaged'
  _recompressed(source, copy, level=1,
                change=idx_image_dataset.TEST_IMAGES)
  with pytest.raises(DatasetError) as raised:
    idx_image_dataset.load_arrays(copy, spec, verify=True)
  message = str(raised.value)
  assert message.startswith(str(copy / idx_image_dataset.TEST_IMAGES))
  assert spec.md5s[idx_image_dataset.TEST_IMAGES] in message
  assert spec.content_md5s[idx_image_dataset.TEST_IMAGES] in message
  assert 'decompressed content' in message and '\n' not in message
  # And fake data under Fashion-MNIST's names fails its published content.
  with pytest.raises(DatasetError,
                     match='expected f4a8712d7a061bf5bd6d2ca38dc4d50a'):
    dataset_fashion_mnist.DatasetFashionMnist(str(source))


DEBIAN_FASHION = pathlib.Path(dataset_fashion_mnist.DEBIAN_LOCATION)


@pytest.mark.slow
@pytest.mark.skipif(not all((DEBIAN_FASHION / n).is_file()
                            for n in idx_image_dataset.FILE_NAMES),
                    reason='Debian dataset-fashion-mnist is not installed')
def test_debian_fashion_mnist_loads_verified_and_by_default(tmp_path,
                                                            monkeypatch):
  monkeypatch.setenv('HOME', str(tmp_path))
  monkeypatch.delenv('LOTTERY_TICKET_FASHION_MNIST', raising=False)
  assert registry.default_location('fashion_mnist') == str(DEBIAN_FASHION)
  dataset = registry.make_dataset('fashion_mnist', validate_size=5000)
  assert dataset.train.num_examples + dataset.validate.num_examples == 60000
  assert dataset.test.num_examples == 10000
  assert dataset.input_shape == (784,)
  assert np.bincount(dataset.test.labels).tolist() == [1000] * 10
  # The files are re-compressed: only their content matches.
  assert _md5(DEBIAN_FASHION / idx_image_dataset.TRAIN_IMAGES) != (
      dataset_fashion_mnist.FASHION_MNIST.md5s[idx_image_dataset.TRAIN_IMAGES])


def test_a_failed_download_leaves_no_new_directory(tmp_path):
  dead = idx_image_dataset.IdxImageSpec(
      name='tiny', md5s={n: '0' * 32 for n in idx_image_dataset.FILE_NAMES},
      mirrors=[(tmp_path / 'no-such-mirror').as_uri() + '/'])
  target = tmp_path / 'new' / 'deeper' / 'mnist'
  with pytest.raises(DatasetError):
    idx_image_dataset.download_idx_images(str(target), dead)
  assert os.listdir(tmp_path) == []
  with pytest.raises(DatasetError):
    dataset_cifar10.download_cifar10(str(target), url=(
        tmp_path / 'no-such-mirror' / 'c.tar.gz').as_uri(), md5='0' * 32)
  assert os.listdir(tmp_path) == []
  # A directory that existed before stays.
  (tmp_path / 'kept').mkdir()
  with pytest.raises(DatasetError):
    idx_image_dataset.download_idx_images(str(tmp_path / 'kept'), dead)
  assert os.listdir(tmp_path) == ['kept']
