"""lottery_ticket: sparse, trainable subnetworks in TensorFlow graph mode.

Subpackages: `foundations` (model-agnostic machinery), `datasets`,
`mnist_fc` (experiments on MNIST-like data, with Fire runners), `argfiles`
(batch sweeps) and `analysis` (tables, plots, Hessians, interpolation).
"""

import os

from lottery_ticket import _interrupts

# First of all: Ctrl-C while a runner starts is one line and exit 130.
_interrupts.install_for_runner_module(_interrupts.command_module())

from lottery_ticket import _quiet_tensorflow  # pylint: disable=g-import-not-at-top,g-bad-import-order

# TensorFlow's start-up chatter would drown the progress lines and one-line
# errors of a run; TensorFlow itself is imported only by modules that need it.
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
_quiet_tensorflow.install()
