"""Fetches a dataset into its location, verifying every file's md5.

Re-running is cheap: files already in place with the right md5 are kept.
"""

from lottery_ticket.datasets import dataset_cifar10
from lottery_ticket.datasets import dataset_fashion_mnist
from lottery_ticket.datasets import dataset_mnist
from lottery_ticket.datasets import registry
from lottery_ticket.mnist_fc import locations

_DOWNLOADERS = {
    'mnist': dataset_mnist.download_mnist,
    'fashion_mnist': dataset_fashion_mnist.download_fashion_mnist,
    'cifar10': dataset_cifar10.download_cifar10,
}


def download(dataset='mnist', location=None):
  """Downloads a dataset.

  Args:
    dataset: mnist, fashion_mnist or cifar10 (digits ships with scikit-learn
      and needs no download).
    location: the directory to download into; None for the default of
      `locations` (see its environment variables).

  Returns:
    Where the data now is, or None for digits.

  Raises:
    DatasetError: if the name is unknown or a file cannot be fetched intact.
  """
  registry.check_name(dataset)
  if dataset not in _DOWNLOADERS:
    print('{} ships with scikit-learn; nothing to download.'.format(dataset))
    return None
  if location is None:
    location = locations.default_location(dataset)
  print('Fetching {} into {} ...'.format(dataset, location), flush=True)
  return _DOWNLOADERS[dataset](location)
