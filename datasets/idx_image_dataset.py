"""MNIST-like datasets: grey images and labels in four IDX files or one .npz.

MNIST and Fashion-MNIST share everything but their checksums and download
mirrors: the same four file names, 28x28 uint8 images, labels 0..9. So one
class, `IdxImageDataset`, loads either; a subclass only names its
`IdxImageSpec`.

A file is verified by its published md5 or, failing that, by the md5 of its
decompressed content: a copy re-compressed by a packager (Debian ships
Fashion-MNIST that way) holds the published data in different gzip bytes.

A dataset's location is either
  * a directory holding the four published files
    (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz,
    t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz), or
  * an .npz file with arrays x_train, y_train, x_test, y_test (images as
    uint8 in [0, 255] or floats in [0, 1]; read without pickle).
"""

import dataclasses
import hashlib
import math
import os
from typing import Mapping, Sequence
import zipfile

import numpy as np

from lottery_ticket.datasets import download as download_lib
from lottery_ticket.datasets import idx
from lottery_ticket.datasets import images as images_lib
from lottery_ticket.datasets.errors import DatasetError
from lottery_ticket.foundations import dataset_base

TRAIN_IMAGES = 'train-images-idx3-ubyte.gz'
TRAIN_LABELS = 'train-labels-idx1-ubyte.gz'
TEST_IMAGES = 't10k-images-idx3-ubyte.gz'
TEST_LABELS = 't10k-labels-idx1-ubyte.gz'
FILE_NAMES = (TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS)
NPZ_KEYS = ('x_train', 'y_train', 'x_test', 'y_test')


@dataclasses.dataclass(frozen=True)
class IdxImageSpec(object):
  """What tells one MNIST-like dataset from another.

  Attributes:
    name: the registry name ('mnist', 'fashion_mnist').
    md5s: dict from file name to its published md5 (of the .gz file).
    mirrors: base URLs (ending in '/') that serve the four files, in the
      order to try them.
    num_classes: number of label classes.
    content_md5s: dict from file name to the md5 of its decompressed IDX
      bytes, which accepts a re-compressed copy of the published data.
  """
  name: str
  md5s: Mapping[str, str]
  mirrors: Sequence[str]
  num_classes: int = 10
  content_md5s: Mapping[str, str] = dataclasses.field(default_factory=dict)


def _read_directory(directory, spec, verify):
  """The four raw arrays from the IDX files in `directory`."""
  paths = [os.path.join(directory, name) for name in FILE_NAMES]
  problem = download_lib.missing_files(paths, spec.name, directory)
  if problem:
    raise DatasetError(problem)
  arrays = []
  for name, path in zip(FILE_NAMES, paths):
    data = idx.read_bytes(path)
    if verify:
      verify_file(path, name, data, spec)
    magic = idx.IMAGES_MAGIC if 'images' in name else idx.LABELS_MAGIC
    arrays.append(idx.parse_idx(data, path, expected_magic=magic))
  return arrays, paths


def verify_file(path, name, content, spec):
  """Checks a file against its published md5, else its content's md5.

  Args:
    path: the file.
    name: its published name (a key of spec.md5s).
    content: its decompressed bytes.
    spec: the IdxImageSpec.

  Raises:
    DatasetError: naming the file and the md5s it failed.
  """
  if name not in spec.md5s:
    return
  actual = download_lib.md5sum(path)
  if actual == spec.md5s[name].lower():
    return
  message = '{}: md5 is {}, expected {}'.format(path, actual,
                                                spec.md5s[name].lower())
  expected = spec.content_md5s.get(name)
  if expected is None:
    raise DatasetError(message)
  content_md5 = hashlib.md5(content).hexdigest()
  if content_md5 != expected.lower():
    raise DatasetError('{} (the published file), and its decompressed '
                       'content has md5 {}, expected {} (the published '
                       'data)'.format(message, content_md5, expected.lower()))


def _read_npz(path):
  """The four raw arrays of an .npz file, read without pickle."""
  try:
    archive = np.load(path, allow_pickle=False)
  except FileNotFoundError:
    raise DatasetError('{}: no such file'.format(path)) from None
  except (OSError, ValueError, zipfile.BadZipFile) as e:
    raise DatasetError('{}: not a readable .npz file ({})'.format(
        path, e)) from None
  if not hasattr(archive, 'files'):
    raise DatasetError('{}: a single array, not an .npz archive of {}'.format(
        path, ', '.join(NPZ_KEYS)))
  with archive:
    missing = [key for key in NPZ_KEYS if key not in archive.files]
    if missing:
      raise DatasetError('{}: no array {} (expected {})'.format(
          path, ', '.join(missing), ', '.join(NPZ_KEYS)))
    try:
      arrays = [archive[key] for key in NPZ_KEYS]
    except (OSError, ValueError, zipfile.BadZipFile) as e:
      raise DatasetError('{}: unreadable array ({})'.format(path, e)) from None
  sources = ['{}[{}]'.format(path, key) for key in NPZ_KEYS]
  return arrays, sources


def _unit_images(pixels, source):
  """Pixels (uint8-range integers or [0, 1] floats) as float32 in [0, 1]."""
  integers = np.issubdtype(pixels.dtype, np.integer)
  if not pixels.size or not (integers or
                             np.issubdtype(pixels.dtype, np.floating)):
    raise DatasetError('{}: {} images of dtype {}'.format(
        source, 'no' if not pixels.size else 'unusable', pixels.dtype))
  top = 255 if integers else 1
  low, high = pixels.min(), pixels.max()
  if not (low >= 0 and high <= top):  # NaN fails too
    raise DatasetError('{}: pixel values span [{}, {}], expected [0, {}]'
                       .format(source, low, high, top))
  return images_lib.scale_to_unit(pixels, top)


def _layout(pixels, flatten, source):
  """(N, H, W), (N, H, W, 1) or square (N, D) images in the wanted layout."""
  if pixels.ndim == 2:
    side = math.isqrt(pixels.shape[1])
    if flatten:
      return pixels
    if side * side != pixels.shape[1]:
      raise DatasetError('{}: flat images of {} pixels are not square'.format(
          source, pixels.shape[1]))
    pixels = pixels.reshape(pixels.shape[0], side, side)
  if pixels.ndim not in (3, 4) or (pixels.ndim == 4 and pixels.shape[3] != 1):
    raise DatasetError('{}: images of shape {}, expected (N, H, W)'.format(
        source, pixels.shape))
  return images_lib.arrange(pixels, flatten)


def _checked_labels(labels, num_images, num_classes, source):
  """Integer labels, one per image, each in [0, num_classes)."""
  if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
    raise DatasetError('{}: labels of shape {} and dtype {}, expected integers '
                       'of shape (N,)'.format(source, labels.shape,
                                              labels.dtype))
  if labels.shape[0] != num_images:
    raise DatasetError('{}: {} labels for {} images'.format(
        source, labels.shape[0], num_images))
  if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
    raise DatasetError('{}: labels span [{}, {}], expected [0, {}]'.format(
        source, labels.min(), labels.max(), num_classes - 1))
  return labels.astype(np.int32)


def load_arrays(location, spec, flatten=True, verify=True):
  """Loads and checks the train and test arrays of an MNIST-like dataset.

  Args:
    location: a directory of the four IDX files, or an .npz file.
    spec: the IdxImageSpec of the dataset.
    flatten: True for images of shape (N, H*W), False for (N, H, W, 1).
    verify: check each IDX file's md5 against `spec.md5s` (ignored for .npz,
      which has no published checksum).

  Returns:
    (train_images, train_labels, test_images, test_labels): float32 images in
    [0, 1] and int32 labels.

  Raises:
    DatasetError: if a file is missing, damaged, fails its md5 check, or holds
      arrays of the wrong shape, type or range.
  """
  location = os.fspath(location)
  if location.endswith('.npz') or os.path.isfile(location):
    arrays, sources = _read_npz(location)
  else:
    arrays, sources = _read_directory(location, spec, verify)
  out = []
  for images_at, labels_at in ((0, 1), (2, 3)):
    pixels = _layout(_unit_images(arrays[images_at], sources[images_at]),
                     flatten, sources[images_at])
    out.append(pixels)
    out.append(_checked_labels(arrays[labels_at], pixels.shape[0],
                               spec.num_classes, sources[labels_at]))
  return tuple(out)


class IdxImageDataset(dataset_base.DatasetBase):
  """An MNIST-like dataset; subclasses set SPEC.

  Attributes:
    SPEC: the IdxImageSpec of the dataset (set by each subclass).
    location: where the data was read from.
  """

  SPEC = None

  def __init__(self, location, flatten=True, permute_labels=False,
               train_order_seed=None, validate_size=0, *, verify=True):
    """Loads the dataset.

    Args:
      location: a directory of the four IDX files, or an .npz file with
        x_train, y_train, x_test, y_test.
      flatten: True for inputs of shape (H*W,), False for (H, W, 1).
      permute_labels: shuffle the training labels (the random-label control).
      train_order_seed: integer seed of the training order.
      validate_size: how many of the last training examples to hold out as a
        validation split.
      verify: check each IDX file against its published md5. Turn off only
        for files that are not the published ones (test fixtures, subsets).

    Raises:
      DatasetError: if the data is missing or damaged (see `load_arrays`).
      ValueError: if validate_size leaves no training examples.
    """
    self.location = os.fspath(location)
    train_images, train_labels, test_images, test_labels = load_arrays(
        self.location, self.SPEC, flatten=flatten, verify=verify)
    super().__init__(train_images, train_labels, test_images, test_labels,
                     validate_size=validate_size,
                     train_order_seed=train_order_seed,
                     num_classes=self.SPEC.num_classes,
                     permute_labels=permute_labels)


def download_idx_images(directory, spec, timeout=60):
  """Downloads and verifies the four IDX files of a dataset.

  Files already present with the right md5 are kept; each download is atomic
  (see `download.download`).

  Args:
    directory: where to put the files (created if needed).
    spec: the IdxImageSpec naming the mirrors and md5s.
    timeout: seconds to wait on a stalled connection.

  Returns:
    `directory`.

  Raises:
    DatasetError: if a file cannot be fetched with its published md5.
  """
  with download_lib.directories_removed_on_failure(directory):
    for name in FILE_NAMES:
      download_lib.download([mirror + name for mirror in spec.mirrors],
                            os.path.join(directory, name), spec.md5s[name],
                            timeout=timeout)
  return directory
