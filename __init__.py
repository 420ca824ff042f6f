"""lottery_ticket: sparse, trainable subnetworks in TensorFlow graph mode.

Subpackages: `foundations` (model-agnostic machinery), `datasets`,
`mnist_fc` (experiments on MNIST-like data, with Fire runners), `argfiles`
(batch sweeps) and `analysis` (tables, plots, Hessians, interpolation).
"""

import os

# TensorFlow's C++ start-up chatter drowns the progress lines of a run.
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
