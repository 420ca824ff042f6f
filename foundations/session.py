"""Sessions whose thread counts can be set from the environment.

By default every op runs on one thread and two ops may run at once: the
trainer's step loop (small matrix products, where splitting an op across
threads costs more than it saves) runs on one core while the background
evaluation of the last snapshot runs on another. On a 2-core machine this
trains LeNet-300-100 about 1.7x faster than TensorFlow's default threading.

Parallel sweeps run several trainings on one machine; each worker sets
LOTTERY_TICKET_INTRA_OP_THREADS / LOTTERY_TICKET_INTER_OP_THREADS so the
runs together do not oversubscribe the cores (0 means TensorFlow's choice).
"""

import os

import tensorflow.compat.v1 as tf

INTRA_ENV = 'LOTTERY_TICKET_INTRA_OP_THREADS'
INTER_ENV = 'LOTTERY_TICKET_INTER_OP_THREADS'


DEFAULT_INTRA_OP_THREADS = 1
DEFAULT_INTER_OP_THREADS = 2


def _threads(name, default):
  value = os.environ.get(name, '').strip()
  if not value:
    return default
  if not value.isdigit():
    raise ValueError('{}={!r} is not a whole number'.format(name, value))
  return int(value)


def session_config():
  """A ConfigProto with the thread counts the environment asks for."""
  return tf.ConfigProto(
      intra_op_parallelism_threads=_threads(INTRA_ENV, DEFAULT_INTRA_OP_THREADS),
      inter_op_parallelism_threads=_threads(INTER_ENV, DEFAULT_INTER_OP_THREADS))


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
