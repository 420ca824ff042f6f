"""Sessions whose thread counts follow the work of the step they train.

An op may be split across the cores (intra-op threads) and independent ops
may run side by side (inter-op threads). Splitting pays only when an op is
large: the ops of one small network are too small to split, each pays for
the split and gains nothing, while a pack's batched ops (one per layer for
N networks) and a conv net's are large enough to share. So the trainer
tells this module the multiply-adds of the step it is about to train
(`plan`), and the sessions made after that split ops across every core
only when a step holds at least SPLIT_WORK of them; below it each op runs
on one thread. Two ops may always run at once: the backward pass's weight
and input gradients, the optimizer's updates of different variables, and
training beside the background evaluation (background_evaluation.py).
Measured with bench.train_speed and bench.packed_speed on 2 cores (see
docs/packing.md). The arithmetic is chosen so that a network's numbers do
not depend on the thread counts (objective.sums_of_squares).

TensorFlow sizes its thread pools once per process, at its first session:
the first plan (or the environment) decides for the whole process.

Parallel sweeps run several trainings on one machine; each worker sets
LOTTERY_TICKET_INTRA_OP_THREADS / LOTTERY_TICKET_INTER_OP_THREADS so the
runs together do not oversubscribe the cores (0 means TensorFlow's choice:
one per core). The variables override every plan.
"""

import os

import numpy as np
import tensorflow.compat.v1 as tf

INTRA_ENV = 'LOTTERY_TICKET_INTRA_OP_THREADS'
INTER_ENV = 'LOTTERY_TICKET_INTER_OP_THREADS'
GRAPH_OPTIMIZER_ENV = 'LOTTERY_TICKET_GRAPH_OPTIMIZER'


DEFAULT_INTRA_OP_THREADS = 0  # TensorFlow's choice: one per core
DEFAULT_INTER_OP_THREADS = 2
# The multiply-adds of a training step's forward pass (all networks of the
# pack, the whole batch) from which its ops are split across the cores.
# One LeNet-300-100 of batch 60 does 16 M (faster on one thread); a pack of
# 8 of them 128 M.
SPLIT_WORK = 50 * 10**6

_planned = {'work': None}


def plan(work):
  """Records the multiply-adds of the step the next sessions train.

  Args:
    work: the forward pass's multiply-adds per step (step_work), or None
      (unknown: TensorFlow's choice).
  """
  _planned['work'] = work


def step_work(kernel_shapes, batch_size, input_shape):
  """The multiply-adds of a step's forward pass, counted from its kernels.

  A dense kernel [N, in, out] does in x out per example and network; a conv
  kernel [N, h, w, in, out] does h x w x in x out at each output position,
  counted as the input's positions (its height x width: exact for a stride
  1 SAME layer, an upper bound after pooling).

  Args:
    kernel_shapes: the pack's kernel shapes, each with its network axis.
    batch_size: examples per step and network.
    input_shape: one example's shape (784,) or (28, 28, 1).

  Returns:
    an int.
  """
  positions = (int(np.prod(input_shape[:-1])) if len(input_shape) > 1
               else 1)
  return int(batch_size) * sum(
      int(np.prod(shape)) * (positions if len(shape) > 3 else 1)
      for shape in kernel_shapes)


def intra_op_threads(work):
  """1 for a step of fewer than SPLIT_WORK multiply-adds, else 0 (every
  core); TensorFlow's choice (0) when the work is unknown (None)."""
  if work is not None and work < SPLIT_WORK:
    return 1
  return DEFAULT_INTRA_OP_THREADS


def _threads(name, default):
  value = os.environ.get(name, '').strip()
  if not value:
    return default
  if not value.isdigit():
    raise ValueError('{}={!r} is not a whole number'.format(name, value))
  return int(value)


def session_config():
  """A ConfigProto with the planned thread counts, or the environment's.

  LOTTERY_TICKET_GRAPH_OPTIMIZER=0 turns TensorFlow's graph optimizer
  (Grappler) off. It costs about a CPU-second per graph, which a training
  of a few steps never pays back: the test suite turns it off
  (tests/conftest.py; the pack-independence tests keep it on, as runs
  have it).
  """
  config = tf.ConfigProto(
      intra_op_parallelism_threads=_threads(
          INTRA_ENV, intra_op_threads(_planned['work'])),
      inter_op_parallelism_threads=_threads(INTER_ENV, DEFAULT_INTER_OP_THREADS))
  if os.environ.get(GRAPH_OPTIMIZER_ENV, '').strip() == '0':
    config.graph_options.rewrite_options.disable_meta_optimizer = True
  return config


def new_session(graph):
  """A tf.compat.v1.Session on `graph` with session_config's thread counts."""
  return tf.Session(graph=graph, config=session_config())


class SessionOwner(object):
  """Base of objects that own a session: closes it, also as a context manager.

  Subclasses set `self.session`.
  """

  session = None

  def close(self):
    if self.session is not None:
      self.session.close()

  def __enter__(self):
    return self

  def __exit__(self, *unused):
    self.close()
