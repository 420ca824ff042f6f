"""Fetches a dataset into its location, verifying every file's md5.

Re-running is cheap: files already in place with the right md5 are kept. A
failed download (no network, a bad mirror) leaves no new directory behind.
"""

from lottery_ticket.datasets import registry


def download(dataset='mnist', location=None):
  """Downloads a dataset.

  Args:
    dataset: mnist, fashion_mnist or cifar10 (digits ships with scikit-learn
      and needs no download).
    location: the directory to download into; None for the dataset's
      download location (its environment variable, or
      ~/lottery_ticket/datasets/<name>; see datasets.registry).

  Returns:
    Where the data now is, or None for digits.

  Raises:
    DatasetError: if the name is unknown or a file cannot be fetched intact.
  """
  spec = registry.get(dataset)
  if spec.download is None:
    print('{} ships with scikit-learn; nothing to download.'.format(dataset))
    return None
  if location is None:
    location = spec.download_location()
  print('Fetching {} into {} ...'.format(dataset, location), flush=True)
  return spec.download(location)
