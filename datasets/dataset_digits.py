"""Digits: the 1,797 8x8 handwritten digits bundled with scikit-learn.

The one dataset that needs no download, so smoke tests and examples run
offline. It has no published train/test split; this module fixes one: 360
test images drawn per class in proportion to the class sizes with a seed of 0,
the other 1,437 for training. The split never depends on `train_order_seed`,
so runs with different training orders are evaluated on the same test set.
"""

import numpy as np

from lottery_ticket.datasets import images as images_lib
from lottery_ticket.datasets.errors import DatasetError
from lottery_ticket.foundations import dataset_base

NUM_EXAMPLES = 1797
NUM_TEST = 360
SPLIT_SEED = 0
MAX_PIXEL = 16


def _test_counts(labels, num_test):
  """Test examples per class: proportional to class size, summing to num_test.

  Each class gets the floor of its proportional share; the examples left over
  go to the classes with the largest remainders (ties to the lower class).
  """
  classes, sizes = np.unique(labels, return_counts=True)
  shares = sizes * num_test / labels.shape[0]
  counts = np.floor(shares).astype(np.int64)
  leftover = num_test - counts.sum()
  order = np.lexsort((classes, -(shares - counts)))
  counts[order[:leftover]] += 1
  return dict(zip(classes.tolist(), counts.tolist()))


def split_indices(labels, num_test=NUM_TEST, seed=SPLIT_SEED):
  """A seeded stratified split of example indices.

  Args:
    labels: integer labels of all examples.
    num_test: size of the test split.
    seed: integer seed of the split.

  Returns:
    (train, test): int64 index arrays that partition range(len(labels)); the
    training indices are in a seeded random order (so a validation split cut
    from their end is a random sample), the test indices ascending.
  """
  rng = np.random.default_rng(seed)
  test = []
  for label, count in sorted(_test_counts(labels, num_test).items()):
    members = np.flatnonzero(labels == label)
    test.append(rng.permutation(members)[:count])
  test = np.sort(np.concatenate(test))
  train = np.setdiff1d(np.arange(labels.shape[0]), test)
  return rng.permutation(train), test


class DatasetDigits(dataset_base.DatasetBase):
  """scikit-learn's 8x8 digits as float32 images in [0, 1]."""

  def __init__(self, location=None, flatten=True, permute_labels=False,
               train_order_seed=None, validate_size=0, verify=True):
    """Loads the digits and splits them 1,437 train / 360 test.

    Args:
      flatten: True for inputs of shape (64,), False for (8, 8, 1).
      permute_labels: shuffle the training labels (the random-label control).
      train_order_seed: integer seed of the training order (not of the split).
      validate_size: how many of the last training examples to hold out as a
        validation split.
      location: must be None: the data ships with scikit-learn. Accepted,
        with `verify` (nothing to verify), so that every dataset takes the
        same arguments.

    Raises:
      DatasetError: if a location is given.
      ValueError: if validate_size leaves no training examples.
    """
    del verify
    if location is not None:
      raise DatasetError('digits ships with scikit-learn and takes no '
                         'location, got {!r}'.format(location))
    from sklearn import datasets as sklearn_datasets  # pylint: disable=g-import-not-at-top
    bunch = sklearn_datasets.load_digits()
    pixels = images_lib.scale_to_unit(bunch.images, MAX_PIXEL)
    pixels = images_lib.arrange(pixels, flatten)
    labels = bunch.target.astype(np.int32)
    train, test = split_indices(labels)
    super().__init__(pixels[train], labels[train], pixels[test], labels[test],
                     validate_size=validate_size,
                     train_order_seed=train_order_seed, num_classes=10,
                     permute_labels=permute_labels)
