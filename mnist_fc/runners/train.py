"""Fire CLI: train once, optionally with masks (a path, or a list of paths
whose union is used) and presets.

  python -m lottery_ticket.mnist_fc.runners.train --output_dir=/tmp/run \\
      --dataset=digits --training_len=500it --masks=/tmp/lt/trial0/3/same_init/masks
"""

from lottery_ticket.mnist_fc import run_config
from lottery_ticket.mnist_fc import train as train_lib
from lottery_ticket.mnist_fc.runners import cli


def train(output_dir, masks=None, presets=None, config=None, **flags):
  """Trains one network into output_dir."""
  train_lib.train(output_dir, masks=masks, presets=presets, config=config,
                  **flags)
  cli.print_summary([output_dir])


def output_directory(output_dir, **unused_flags):
  return output_dir


train.__doc__ += '\n\nRunConfig flags:\n' + run_config.flags_help()

if __name__ == '__main__':
  cli.run(train, 'train')
