"""Command line: download a dataset and verify it.

  python -m lottery_ticket.mnist_fc.runners.download_data --dataset=mnist \
      [--location=DIR]

A bad dataset name or a failed download prints one line on stderr and exits
with status 2.
"""

import sys

import fire

from lottery_ticket.datasets.errors import DatasetError
from lottery_ticket.mnist_fc.download_data import download


def main(argv=None):
  """Runs `download` with flags from argv; returns the exit status.

  Args:
    argv: the flags (default: sys.argv[1:]).

  Returns:
    0 on success, 2 if the dataset name or a download was bad.
  """
  try:
    fire.Fire(download, command=argv, name='download_data')
  except (DatasetError, ValueError, OSError) as e:
    print('download_data: error: {}'.format(e), file=sys.stderr)
    return 2
  return 0


if __name__ == '__main__':
  sys.exit(main())
