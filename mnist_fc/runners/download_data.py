"""Command line: download a dataset and verify it.

  python -m lottery_ticket.mnist_fc.runners.download_data --dataset=mnist \
      [--location=DIR]

A bad dataset name or a failed download prints one line on stderr and exits
with status 2.
"""

import sys

from lottery_ticket import command_line
from lottery_ticket.mnist_fc.download_data import download


def main(argv=None):
  """Runs `download` with flags from argv; returns the exit status.

  Returns:
    0 on success, 2 if the dataset name or a download was bad (130 when
    interrupted).
  """
  try:
    command_line.run(download, argv, name='download_data')
  except SystemExit as stop:
    return stop.code
  return 0


if __name__ == '__main__':
  sys.exit(main())
