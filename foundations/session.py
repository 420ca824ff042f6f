"""Sessions whose thread counts can be set from the environment.

By default an op may use every core (TensorFlow's choice) and two ops may
run at once. The trainer runs a pack's step as one batched op per layer, so
splitting each op across the cores is what keeps them busy: measured with
bench.packed_speed on 2 cores, a pack of 8 LeNet-300-100 runs 1.65x one
network with evaluation and 2.02x without, against 0.80x and 1.06x with one
thread per op. The arithmetic is chosen so that a network's numbers do not
depend on the thread count given to its pack (objective.sums_of_squares).
TensorFlow sizes this pool once per process, at its first session.

Parallel sweeps run several trainings on one machine; each worker sets
LOTTERY_TICKET_INTRA_OP_THREADS / LOTTERY_TICKET_INTER_OP_THREADS so the
runs together do not oversubscribe the cores (0 means TensorFlow's choice).
"""

import os

import tensorflow.compat.v1 as tf

INTRA_ENV = 'LOTTERY_TICKET_INTRA_OP_THREADS'
INTER_ENV = 'LOTTERY_TICKET_INTER_OP_THREADS'
GRAPH_OPTIMIZER_ENV = 'LOTTERY_TICKET_GRAPH_OPTIMIZER'


DEFAULT_INTRA_OP_THREADS = 0  # TensorFlow's choice: one per core
DEFAULT_INTER_OP_THREADS = 2


def _threads(name, default):
  value = os.environ.get(name, '').strip()
  if not value:
    return default
  if not value.isdigit():
    raise ValueError('{}={!r} is not a whole number'.format(name, value))
  return int(value)


def session_config():
  """A ConfigProto with the thread counts the environment asks for.

  LOTTERY_TICKET_GRAPH_OPTIMIZER=0 turns TensorFlow's graph optimizer
  (Grappler) off. It costs about a CPU-second per graph, which a training
  of a few steps never pays back: the test suite turns it off
  (tests/conftest.py; the pack-independence tests keep it on, as runs
  have it).
  """
  config = tf.ConfigProto(
      intra_op_parallelism_threads=_threads(INTRA_ENV, DEFAULT_INTRA_OP_THREADS),
      inter_op_parallelism_threads=_threads(INTER_ENV, DEFAULT_INTER_OP_THREADS))
  if os.environ.get(GRAPH_OPTIMIZER_ENV, '').strip() == '0':
    config.graph_options.rewrite_options.disable_meta_optimizer = True
  return config


def new_session(graph):
  """A tf.compat.v1.Session on `graph` with the environment's thread counts."""
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
