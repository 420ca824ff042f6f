"""Command line: download a dataset and verify it.

  python -m lottery_ticket.mnist_fc.runners.download_data --dataset=mnist \\
      [--location=DIR]

A bad dataset name or a failed download prints one line on stderr and exits
with status 2.
"""

from lottery_ticket import command_line
from lottery_ticket.mnist_fc.download_data import download

if __name__ == '__main__':
  command_line.run(download, name='download_data')
