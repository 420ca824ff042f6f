"""CIFAR-10 from its published binary version (no pickle involved).

The binary archive unpacks to `cifar-10-batches-bin/` with five training
batches (data_batch_1.bin .. data_batch_5.bin) and test_batch.bin. Each batch
is a run of fixed-size records: one label byte (0..9) then 3,072 pixel bytes,
the 32x32 red plane, then green, then blue, each row by row.
"""

import os

import numpy as np

from lottery_ticket.datasets import archive as archive_lib
from lottery_ticket.datasets import download as download_lib
from lottery_ticket.datasets import images as images_lib
from lottery_ticket.datasets.errors import DatasetError
from lottery_ticket.foundations import dataset_base

CIFAR10_URL = 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz'
CIFAR10_MD5 = 'c32a1d4ab5d03f1284b67883e8d87530'
ARCHIVE_NAME = 'cifar-10-binary.tar.gz'
BATCH_DIRECTORY = 'cifar-10-batches-bin'
TRAIN_BATCHES = tuple('data_batch_{}.bin'.format(i) for i in range(1, 6))
TEST_BATCH = 'test_batch.bin'
SIDE = 32
CHANNELS = 3
RECORD_BYTES = 1 + CHANNELS * SIDE * SIDE
RECORDS_PER_BATCH = 10000
NUM_CLASSES = 10
# Per-channel (red, green, blue) mean and standard deviation that OpenLTH
# normalises CIFAR-10 with (datasets/cifar10.py: torchvision's Normalize with
# the ImageNet statistics), for pixels scaled to [0, 1].
CHANNEL_MEAN = (0.485, 0.456, 0.406)
CHANNEL_STD = (0.229, 0.224, 0.225)


def normalize(images, mean=CHANNEL_MEAN, std=CHANNEL_STD):
  """(images - mean) / std per channel, for [..., 3] float32 images in
  [0, 1] (or flattened (..., 3072) ones, channels last)."""
  mean = np.asarray(mean, np.float32)
  std = np.asarray(std, np.float32)
  shape = images.shape
  channels = images.reshape(shape[:-1] + (-1, CHANNELS)) if (
      shape[-1] != CHANNELS) else images
  return ((channels - mean) / std).astype(np.float32).reshape(shape)


def batch_directory(location):
  """The directory holding the .bin batches: `location` or its subdirectory."""
  location = os.fspath(location)
  nested = os.path.join(location, BATCH_DIRECTORY)
  return nested if os.path.isdir(nested) else location


def read_batch(path, expected_records=None):
  """Reads one binary batch.

  Args:
    path: a .bin batch file.
    expected_records: if given, the number of records the file must hold.

  Returns:
    (images, labels): uint8 arrays of shape (N, 32, 32, 3) and (N,).

  Raises:
    DatasetError: if the file is missing or empty, is not a whole number of
      records, holds the wrong number of records, or has a label above 9.
  """
  try:
    size = os.path.getsize(path)
  except FileNotFoundError:
    raise DatasetError('{}: no such file'.format(path)) from None
  records, extra = divmod(size, RECORD_BYTES)
  if extra or not records:
    raise DatasetError('{}: {} bytes is not a whole, nonzero number of {}-byte '
                       'records'.format(path, size, RECORD_BYTES))
  if expected_records is not None and records != expected_records:
    raise DatasetError('{}: {} records, expected {}'.format(
        path, records, expected_records))
  data = np.fromfile(path, dtype=np.uint8).reshape(records, RECORD_BYTES)
  labels = data[:, 0].copy()
  if labels.max() >= NUM_CLASSES:
    raise DatasetError('{}: label {} out of range [0, {}]'.format(
        path, labels.max(), NUM_CLASSES - 1))
  planes = data[:, 1:].reshape(records, CHANNELS, SIDE, SIDE)
  return planes.transpose(0, 2, 3, 1), labels


def _read_split(paths, expected_records, flatten):
  """Concatenates batches into float32 [0, 1] images and int32 labels."""
  images, labels = zip(*[read_batch(path, expected_records)
                          for path in paths])
  images = images_lib.scale_to_unit(np.concatenate(images), 255)
  return (images_lib.arrange(images, flatten),
          np.concatenate(labels).astype(np.int32))


class DatasetCifar10(dataset_base.DatasetBase):
  """CIFAR-10 as 32x32x3 float32 images in [0, 1], or normalised per channel.

  Attributes:
    black: per channel, the value of a black pixel in these images (zeros,
      or -mean / std when normalised): what augmentation pads with, as
      OpenLTH pads before it normalises.
  """

  def __init__(self, location, permute_labels=False, train_order_seed=None,
               validate_size=0, verify=True, flatten=False, normalized=False):
    """Loads the six binary batches.

    Args:
      location: the `cifar-10-batches-bin` directory or the directory that
        holds it.
      permute_labels: shuffle the training labels (the random-label control).
      train_order_seed: integer seed of the training order.
      validate_size: how many of the last training examples to hold out as a
        validation split.
      verify: require the published batch sizes (10,000 records each). The
        extracted files have no published checksums; the archive's md5 is
        checked when it is downloaded.
      flatten: True for inputs of shape (3072,), False for (32, 32, 3).
      normalized: subtract CHANNEL_MEAN and divide by CHANNEL_STD per
        channel (OpenLTH's normalisation); False keeps [0, 1].

    Raises:
      DatasetError: if a batch is missing or damaged.
      ValueError: if validate_size leaves no training examples.
    """
    directory = batch_directory(location)
    self.location = directory
    paths = batch_paths(directory)
    problem = download_lib.missing_files(paths, 'cifar10', location)
    if problem:
      raise DatasetError(problem)
    expected = RECORDS_PER_BATCH if verify else None
    train_images, train_labels = _read_split(paths[:-1], expected, flatten)
    test_images, test_labels = _read_split(paths[-1:], expected, flatten)
    self.black = [0.0] * CHANNELS
    if normalized:
      train_images = normalize(train_images)
      test_images = normalize(test_images)
      self.black = [float(x) for x in normalize(
          np.zeros((1, CHANNELS), np.float32))[0]]
    super().__init__(train_images, train_labels, test_images, test_labels,
                     validate_size=validate_size,
                     train_order_seed=train_order_seed, num_classes=NUM_CLASSES,
                     permute_labels=permute_labels)


def batch_paths(directory):
  """The paths of the six batches in `directory`: the five training batches,
  then the test batch."""
  return [os.path.join(directory, name)
          for name in TRAIN_BATCHES + (TEST_BATCH,)]


def _complete(directory):
  """Whether `directory` holds all six batches at their published sizes."""
  return all(os.path.isfile(path) and
             os.path.getsize(path) == RECORDS_PER_BATCH * RECORD_BYTES
             for path in batch_paths(directory))


def download_cifar10(directory, url=CIFAR10_URL, md5=CIFAR10_MD5, timeout=60):
  """Downloads, verifies and unpacks the binary CIFAR-10 archive.

  Does nothing if `directory/cifar-10-batches-bin` is already complete. The
  archive is kept beside it, so a repeated call does not download it again.

  Args:
    directory: where to put the archive and `cifar-10-batches-bin/`.
    url: the archive's URL (or a sequence of mirrors).
    md5: the archive's expected md5.
    timeout: seconds to wait on a stalled connection.

  Returns:
    The path of `cifar-10-batches-bin`.

  Raises:
    DatasetError: if the archive cannot be fetched intact or holds an unsafe
      member (absolute path, '..', link or special file).
  """
  target = os.path.join(directory, BATCH_DIRECTORY)
  if _complete(target):
    return target
  archive = download_lib.download(url, os.path.join(directory, ARCHIVE_NAME),
                                  md5, timeout=timeout)
  archive_lib.safe_extract_tar(archive, directory)
  return target
