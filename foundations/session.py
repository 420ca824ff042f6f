"""Sessions whose thread counts can be set from the environment.

Parallel sweeps run several trainings on one machine; each worker sets
LOTTERY_TICKET_INTRA_OP_THREADS / LOTTERY_TICKET_INTER_OP_THREADS so the
runs together do not oversubscribe the cores.
"""

import os

import tensorflow.compat.v1 as tf

INTRA_ENV = 'LOTTERY_TICKET_INTRA_OP_THREADS'
INTER_ENV = 'LOTTERY_TICKET_INTER_OP_THREADS'


def _threads(name):
  value = os.environ.get(name, '').strip()
  if not value:
    return 0
  if not value.isdigit():
    raise ValueError('{}={!r} is not a whole number'.format(name, value))
  return int(value)


def session_config():
  """A ConfigProto with the thread counts the environment asks for."""
  return tf.ConfigProto(intra_op_parallelism_threads=_threads(INTRA_ENV),
                        inter_op_parallelism_threads=_threads(INTER_ENV))


def new_session(graph):
  """A tf.compat.v1.Session on `graph` with the environment's thread counts."""
  return tf.Session(graph=graph, config=session_config())
