"""Where datasets and experiment outputs live by default.

Everything defaults to a directory under ~/lottery_ticket/, and each location
can be moved with an environment variable:

  LOTTERY_TICKET_MNIST          MNIST's four IDX files (or an .npz)
  LOTTERY_TICKET_FASHION_MNIST  Fashion-MNIST's four IDX files (or an .npz)
  LOTTERY_TICKET_CIFAR10        the directory holding cifar-10-batches-bin/
  LOTTERY_TICKET_EXPERIMENTS    where experiments write their results

The functions read the environment when called; the constants are their
values when this module was first imported.
"""

import os

from lottery_ticket.datasets.errors import DatasetError
from lottery_ticket.foundations import choices

ROOT = os.path.join('~', 'lottery_ticket')


def _location(variable, *default_parts):
  """The value of `variable`, or ROOT/default_parts, with ~ expanded."""
  value = os.environ.get(variable) or os.path.join(ROOT, *default_parts)
  return os.path.expanduser(value)


def mnist_location():
  """Directory (or .npz) of MNIST: $LOTTERY_TICKET_MNIST or the default."""
  return _location('LOTTERY_TICKET_MNIST', 'datasets', 'mnist')


def fashion_mnist_location():
  """Directory (or .npz) of Fashion-MNIST: $LOTTERY_TICKET_FASHION_MNIST."""
  return _location('LOTTERY_TICKET_FASHION_MNIST', 'datasets', 'fashion_mnist')


def cifar10_location():
  """Directory holding cifar-10-batches-bin/: $LOTTERY_TICKET_CIFAR10."""
  return _location('LOTTERY_TICKET_CIFAR10', 'datasets', 'cifar10')


def experiment_path():
  """Root of all experiment outputs: $LOTTERY_TICKET_EXPERIMENTS."""
  return _location('LOTTERY_TICKET_EXPERIMENTS', 'experiments')


_DATASET_LOCATIONS = {
    'mnist': mnist_location,
    'fashion_mnist': fashion_mnist_location,
    'cifar10': cifar10_location,
    'digits': lambda: None,
}


def default_location(name):
  """The default location of a dataset by its registry name.

  Args:
    name: a dataset name ('mnist', 'fashion_mnist', 'cifar10', 'digits').

  Returns:
    The path, or None for digits (bundled with scikit-learn).

  Raises:
    DatasetError: if the name is unknown.
  """
  choices.check('dataset', name, sorted(_DATASET_LOCATIONS), DatasetError)
  return _DATASET_LOCATIONS[name]()


MNIST_LOCATION = mnist_location()
FASHIONMNIST_LOCATION = fashion_mnist_location()
CIFAR10_LOCATION = cifar10_location()
EXPERIMENT_PATH = experiment_path()
