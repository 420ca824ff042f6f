"""lottery_ticket: sparse, trainable subnetworks in TensorFlow graph mode.

Subpackages: `foundations` (model-agnostic machinery), `datasets`,
`mnist_fc` (experiments on MNIST-like data, with Fire runners), `argfiles`
(batch sweeps) and `analysis` (tables, plots, Hessians, interpolation).
"""

import os

from lottery_ticket import _quiet_tensorflow

# TensorFlow's start-up chatter would drown the progress lines and one-line
# errors of a run; TensorFlow itself is imported only by modules that need it.
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
_quiet_tensorflow.install()
