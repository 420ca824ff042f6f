"""What a training run records: per-split metrics over iterations.

Records go to the original CSV logs (`train.log`, `test.log`,
`validate.log`: `iteration,N,loss,X,accuracy,Y`), to `metrics.json` (every
metric, including extra ones such as gradient norms) and, when asked, to
TensorBoard scalars.
"""

import numpy as np
import tensorflow.compat.v1 as tf

from lottery_ticket.foundations import paths
from lottery_ticket.foundations import save_restore

LOG_SPLITS = ('train', 'test', 'validate')


class Recorder(object):
  """Collects records and writes them atomically."""

  def __init__(self, output_dir, save_summaries=False):
    self.output_dir = output_dir
    self.records = {}
    self._writer = (tf.summary.FileWriter(paths.summaries(output_dir))
                    if output_dir and save_summaries else None)

  def add(self, split, iteration, metrics):
    """Records `metrics` (dict name -> number or array) of `split`."""
    record = {'iteration': int(iteration)}  # tolist: a 0-d array's scalar
    record.update((k, np.asarray(v).tolist()) for k, v in metrics.items())
    self.records.setdefault(split, []).append(record)
    if self._writer is not None:
      values = [tf.Summary.Value(tag='{}/{}'.format(split, k), simple_value=v)
                for k, v in record.items()
                if k != 'iteration' and isinstance(v, float)]
      self._writer.add_summary(tf.Summary(value=values), int(iteration))

  def truncate(self, iteration):
    """Drops records after `iteration` (used when resuming a checkpoint)."""
    for split in self.records:
      self.records[split] = [r for r in self.records[split]
                             if r['iteration'] <= iteration]

  def write(self):
    """Writes the CSV logs and metrics.json."""
    if not self.output_dir:
      return
    for split in LOG_SPLITS:
      entries = [r for r in self.records.get(split, [])
                 if all(f in r for f in save_restore.LOG_FIELDS)]
      if entries:
        save_restore.write_log(entries, paths.log(self.output_dir, split))
    save_restore.write_json(paths.metrics(self.output_dir), self.records)
    if self._writer is not None:
      self._writer.flush()

  def close(self):
    if self._writer is not None:
      self._writer.close()
