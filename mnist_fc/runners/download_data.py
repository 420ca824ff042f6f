"""Command line: download a dataset and verify it.

  python -m lottery_ticket.mnist_fc.runners.download_data --dataset=mnist \\
      [--location=DIR]

A bad dataset name or a failed download prints one line on stderr and exits
with status 2.
"""

from lottery_ticket import command_line
from lottery_ticket.mnist_fc.download_data import download

# Its command line: flags from the signature, help from the docstring.
RUNNER = command_line.command(download, 'download_data')


if __name__ == '__main__':
  command_line.run(RUNNER)
