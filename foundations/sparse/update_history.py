"""A record of every mask update, written inside the graph.

Mask updates run inside the trainer's while loop, so Python never sees them
happen. Each update writes one row of a (checkpointed) variable; the rows
are read back at record points and appended to the run's records under the
split 'mask_updates'. Because the variable is checkpointed, a resumed run
still reports the updates made before it was killed.
"""

import math

import numpy as np
import tensorflow.compat.v1 as tf

COLUMNS = ('fraction', 'grad_norm_before', 'grad_norm_after', 'moved')
SPLIT = 'mask_updates'


class UpdateHistory(object):
  """One row per scheduled update: its step and COLUMNS.

  Attributes:
    steps: the scheduled update steps.
  """

  def __init__(self, steps, name='mask_update_history'):
    self.steps = [int(s) for s in steps]
    rows = max(1, len(self.steps))
    self._done = tf.get_variable(name + '_done', [rows], tf.bool,
                                 initializer=tf.zeros_initializer(),
                                 trainable=False, use_resource=True)
    self._values = tf.get_variable(name, [rows, len(COLUMNS)], tf.float32,
                                   initializer=tf.zeros_initializer(),
                                   trainable=False, use_resource=True)

  def write(self, row, values):
    """An op storing `values` (dict column -> scalar tensor) at `row`."""
    vector = tf.stack([tf.cast(values.get(c, np.nan), tf.float32)
                       for c in COLUMNS])
    return tf.group(
        tf.scatter_update(self._values, [row], vector[None, :]),
        tf.scatter_update(self._done, [row], [True]))

  def read(self, sess):
    """[(step, {column: value})] for the updates done so far."""
    done, values = sess.run([self._done, self._values])
    return [(step, {c: None if math.isnan(v) else float(v)
                    for c, v in zip(COLUMNS, row)})
            for step, finished, row in zip(self.steps, done, values)
            if finished]

  def record_new(self, sess, iteration, recorder):
    """Adds to recorder the updates at steps <= iteration not yet recorded."""
    existing = recorder.records.get(SPLIT) or []
    last = existing[-1]['iteration'] if existing else 0
    for step, values in self.read(sess):
      if last < step <= iteration:
        recorder.add(SPLIT, step, values)

