"""Where datasets and experiment outputs live by default.

The datasets' locations belong to their registry entries
(`lottery_ticket.datasets.registry`: environment variable, the directory
under ~/lottery_ticket/datasets/, installed system copies); this module keeps
the names experiment code has used for them, and the experiments' own root:

  LOTTERY_TICKET_MNIST          MNIST's four IDX files (or an .npz)
  LOTTERY_TICKET_FASHION_MNIST  Fashion-MNIST's four IDX files (or an .npz);
                                without it, Debian's dataset-fashion-mnist
                                is used when installed and nothing is under
                                ~/lottery_ticket/datasets/fashion_mnist
  LOTTERY_TICKET_CIFAR10        the directory holding cifar-10-batches-bin/
  LOTTERY_TICKET_EXPERIMENTS    where experiments write their results

The functions read the environment when called; the constants are their
values when this module was first imported.
"""

import os

from lottery_ticket.datasets import registry

ROOT = registry.ROOT


def default_location(name):
  """The default location of a dataset by its registry name.

  Args:
    name: a dataset name ('mnist', 'fashion_mnist', 'cifar10', 'digits').

  Returns:
    The path, or None for digits (bundled with scikit-learn).

  Raises:
    DatasetError: if the name is unknown.
  """
  return registry.default_location(name)


def mnist_location():
  """Directory (or .npz) of MNIST: $LOTTERY_TICKET_MNIST or the default."""
  return default_location('mnist')


def fashion_mnist_location():
  """Directory (or .npz) of Fashion-MNIST: $LOTTERY_TICKET_FASHION_MNIST."""
  return default_location('fashion_mnist')


def cifar10_location():
  """Directory holding cifar-10-batches-bin/: $LOTTERY_TICKET_CIFAR10."""
  return default_location('cifar10')


def experiment_path():
  """Root of all experiment outputs: $LOTTERY_TICKET_EXPERIMENTS."""
  return os.path.expanduser(os.environ.get('LOTTERY_TICKET_EXPERIMENTS') or
                            os.path.join(ROOT, 'experiments'))


MNIST_LOCATION = mnist_location()
FASHIONMNIST_LOCATION = fashion_mnist_location()
CIFAR10_LOCATION = cifar10_location()
EXPERIMENT_PATH = experiment_path()
