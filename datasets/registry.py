"""Datasets by name: one entry per dataset, the one way code builds one.

Each `DatasetSpec` holds everything the rest of the library needs to know
about a dataset: how to load it, where it lives by default (and the
environment variable that moves it), how to download it and how many
training examples a run holds out for validation by default.

The default location of a dataset is, in order:
  1. its environment variable (LOTTERY_TICKET_MNIST, ...), when set;
  2. ~/lottery_ticket/datasets/<name>, when it exists and is not empty;
  3. a system copy, when one is installed (Debian's dataset-fashion-mnist);
  4. ~/lottery_ticket/datasets/<name> (where download_data puts it).
Downloads always go to 1 or 4, never to a system directory.
"""

import dataclasses
import functools
import os
from typing import Callable, Optional, Tuple

from lottery_ticket.datasets import dataset_cifar10
from lottery_ticket.datasets import dataset_digits
from lottery_ticket.datasets import dataset_fashion_mnist
from lottery_ticket.datasets import dataset_mnist
from lottery_ticket.datasets import idx_image_dataset
from lottery_ticket.datasets.errors import DatasetError
from lottery_ticket.foundations import choices

# Everything the library keeps under the user's home by default.
ROOT = os.path.join('~', 'lottery_ticket')


@dataclasses.dataclass(frozen=True)
class DatasetSpec(object):
  """One dataset.

  Attributes:
    name: the registry name.
    summary: one line about it.
    load: callable(location, flatten=, verify=, permute_labels=,
      train_order_seed=, validate_size=) -> DatasetBase, which takes
      normalized= too when `normalizable`.
    validate_size: training examples held out for validation by default
      (the lottery ticket paper holds out 5,000 of MNIST's 60,000).
    flatten: the default input layout (True: flat vectors for an MLP).
    system_locations: installed copies looked at after the user's own.
    download: callable(directory) -> where the data now is; None when there
      is nothing to download, nor a location (digits).
    normalizable: whether it offers per-channel normalisation.
  """
  name: str
  summary: str
  load: Callable
  validate_size: int
  flatten: bool = True
  system_locations: Tuple[str, ...] = ()
  download: Optional[Callable] = None
  normalizable: bool = False

  @property
  def environment_variable(self):
    """LOTTERY_TICKET_<NAME>, which moves the default location (None for a
    dataset without a location)."""
    if self.download is not None:
      return 'LOTTERY_TICKET_' + self.name.upper()
    return None

  def download_location(self):
    """Where downloads go: the environment variable's value or
    ROOT/datasets/<name>.

    Returns None for a dataset without a location (digits).
    """
    if self.environment_variable is None:
      return None
    value = os.environ.get(self.environment_variable) or os.path.join(
        ROOT, 'datasets', self.name)
    return os.path.expanduser(value)

  def default_location(self):
    """Where the data is read from by default (see the module docstring)."""
    location = self.download_location()
    if location is None or os.environ.get(self.environment_variable):
      return location
    if _holds_something(location):
      return location
    for installed in self.system_locations:
      if _holds_something(installed):
        return installed
    return location


def _holds_something(path):
  """Whether `path` is a file or a directory with at least one entry."""
  if os.path.isfile(path):
    return True
  try:
    return bool(os.listdir(path))
  except OSError:
    return False


def _idx_download(spec):
  """The downloader of an MNIST-like dataset."""
  return functools.partial(idx_image_dataset.download_idx_images, spec=spec)


SPECS = {spec.name: spec for spec in (
    DatasetSpec(
        'mnist', '70,000 28x28 handwritten digits (LeCun et al.)',
        dataset_mnist.DatasetMnist, validate_size=5000,
        download=_idx_download(dataset_mnist.MNIST)),
    DatasetSpec(
        'fashion_mnist', '70,000 28x28 images of clothing (Zalando)',
        dataset_fashion_mnist.DatasetFashionMnist,
        validate_size=5000,
        system_locations=(dataset_fashion_mnist.DEBIAN_LOCATION,),
        download=_idx_download(dataset_fashion_mnist.FASHION_MNIST)),
    DatasetSpec(
        'digits', "scikit-learn's 1,797 8x8 digits (offline)",
        dataset_digits.DatasetDigits,
        validate_size=237),
    DatasetSpec(
        'cifar10', '60,000 32x32 colour images in 10 classes (Krizhevsky)',
        dataset_cifar10.DatasetCifar10, validate_size=5000, flatten=False,
        normalizable=True, download=dataset_cifar10.download_cifar10),
)}
NAMES = tuple(SPECS)


def check_name(name):
  """Returns `name` if it names a dataset.

  Raises:
    DatasetError: naming the unknown name and the choices.
  """
  return choices.check('dataset', name, sorted(NAMES), DatasetError)


def get(name):
  """The DatasetSpec of a name (DatasetError for an unknown one)."""
  return SPECS[check_name(name)]


def default_validate_size(name):
  """Training examples a run holds out for validation by default."""
  return get(name).validate_size


def default_location(name):
  """The default location of a dataset (None for digits)."""
  return get(name).default_location()


def make_dataset(name, location=None, flatten=None, permute_labels=False,
                 train_order_seed=None, validate_size=0, verify=True,
                 normalized=False):
  """Builds a dataset by name.

  Args:
    name: one of NAMES.
    location: where the data lives; None for the dataset's default location
      (see the module docstring). Must be None for digits.
    flatten: True for flat input vectors (fully-connected networks), False
      for (H, W, C) images (conv networks); None for the dataset's own
      default: True for mnist, fashion_mnist and digits, False for cifar10.
    permute_labels: shuffle the training labels (the random-label control).
    train_order_seed: integer seed of the training order.
    validate_size: how many of the last training examples to hold out as a
      validation split.
    verify: check files against their published checksums and sizes (turn
      off only for test fixtures and subsets).
    normalized: normalise per channel (cifar10 only: OpenLTH's statistics).

  Returns:
    A DatasetBase.

  Raises:
    DatasetError: if the name is unknown or the data is missing or damaged.
    ValueError: if validate_size leaves no training examples.
  """
  spec = get(name)
  options = {'normalized': True} if normalized else {}
  if normalized and not spec.normalizable:
    raise DatasetError('per-channel normalisation is offered for cifar10 only')
  if location is None:
    location = spec.default_location()
  return spec.load(location, flatten=spec.flatten if flatten is None
                   else bool(flatten), verify=verify,
                   permute_labels=permute_labels,
                   train_order_seed=train_order_seed,
                   validate_size=validate_size, **options)
