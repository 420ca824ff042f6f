"""Datasets by name: the one way experiment code builds a dataset."""

from lottery_ticket.datasets import dataset_cifar10
from lottery_ticket.datasets import dataset_digits
from lottery_ticket.datasets import dataset_fashion_mnist
from lottery_ticket.datasets import dataset_mnist
from lottery_ticket.datasets.errors import DatasetError
from lottery_ticket.foundations import choices

DATASETS = ('mnist', 'fashion_mnist', 'digits', 'cifar10')


def check_name(name):
  """Returns `name` if it names a dataset.

  Raises:
    DatasetError: naming the unknown name and the choices.
  """
  return choices.check('dataset', name, sorted(DATASETS), DatasetError)


def make_dataset(name, location=None, flatten=None, permute_labels=False,
                 train_order_seed=None, validate_size=0, verify=True):
  """Builds a dataset by name.

  Args:
    name: one of DATASETS.
    location: where the data lives; None for the default of
      `lottery_ticket.mnist_fc.locations` (its environment variables
      included). Must be None for digits.
    flatten: True for flat input vectors (fully-connected networks), False
      for (H, W, C) images (conv networks); None for the dataset's own
      default: True for mnist, fashion_mnist and digits, False for cifar10.
    permute_labels: shuffle the training labels (the random-label control).
    train_order_seed: integer seed of the training order.
    validate_size: how many of the last training examples to hold out as a
      validation split.
    verify: check files against their published checksums and sizes (turn
      off only for test fixtures and subsets).

  Returns:
    A DatasetBase.

  Raises:
    DatasetError: if the name is unknown or the data is missing or damaged.
    ValueError: if validate_size leaves no training examples.
  """
  check_name(name)
  common = dict(permute_labels=permute_labels,
                train_order_seed=train_order_seed, validate_size=validate_size)
  if name == 'digits':
    return dataset_digits.DatasetDigits(
        flatten=True if flatten is None else flatten, location=location,
        **common)
  if location is None:
    from lottery_ticket.mnist_fc import locations  # pylint: disable=g-import-not-at-top
    location = locations.default_location(name)
  if name == 'cifar10':
    return dataset_cifar10.DatasetCifar10(
        location, verify=verify, flatten=bool(flatten), **common)
  dataset_class = {
      'mnist': dataset_mnist.DatasetMnist,
      'fashion_mnist': dataset_fashion_mnist.DatasetFashionMnist,
  }[name]
  return dataset_class(location, flatten=True if flatten is None else flatten,
                       verify=verify, **common)
