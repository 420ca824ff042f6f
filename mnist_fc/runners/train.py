"""Fire CLI: train once, optionally with masks (a path, or several combined
by union or intersection) and presets.

  python -m lottery_ticket.mnist_fc.runners.train --output_dir=/tmp/run \\
      --dataset=digits --training_len=500it --masks=/tmp/lt/trial0/3/same_init/masks

  # The union (or, with --combine=intersection, the intersection) of masks:
  python -m lottery_ticket.mnist_fc.runners.train --output_dir=/tmp/union \\
      --masks=/tmp/lt/trial0/3/same_init/masks,/tmp/lt/trial1/3/same_init/masks
"""

import functools

from lottery_ticket import command_line
from lottery_ticket.foundations import hparams
from lottery_ticket.mnist_fc import experiments
from lottery_ticket.mnist_fc import trials as trials_lib
from lottery_ticket.mnist_fc.runners import common

S = hparams.Setting


# The directory a line of a sweep writes (train takes no --trials).
output_directories = trials_lib.output_directories


RUNNER = common.make_runner(
    name='train',
    summary='Train one network, optionally with masks and presets.',
    arguments=(
        common.OUTPUT_DIR,
        S('masks', 'str', '', 'saved masks to train with: a masks/ directory, '
          'or several separated by commas'),
        S('combine', 'str', 'union', 'how several --masks combine',
          choices=experiments.COMBINE),
        S('presets', 'str', '', 'a saved network to start from'),
        common.CONFIG, common.OVERWRITE),
    experiment=experiments.TRAIN, summarized=output_directories)
validate_flags = functools.partial(command_line.validate_flags, RUNNER)

if __name__ == '__main__':
  command_line.run(RUNNER)
