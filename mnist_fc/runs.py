"""One training run into its directory, and finished runs read back.

A run directory is finished when its DONE marker exists; the marker is
written after every other output, so a killed run is never mistaken for a
finished one and is simply trained again (from its latest checkpoint).
"""

import os
import shutil
import time

from lottery_ticket.foundations import paths
from lottery_ticket.foundations import save_restore
from lottery_ticket.foundations import trainer
from lottery_ticket.mnist_fc import run_config as run_config_lib


def is_finished(run_dir):
  return os.path.exists(paths.done_marker(run_dir))


def load_finished(run_dir):
  """(initial_weights, final_weights, masks) of a finished run, else None."""
  if not is_finished(run_dir):
    return None
  return (save_restore.restore_network(paths.initial(run_dir)),
          save_restore.restore_network(paths.final(run_dir)),
          save_restore.restore_network(paths.masks(run_dir)))


def make_train_model(config, run_dir_for_level, label_for_level,
                     save_weights_at_for_level=None, describe=None):
  """A train_model(sess, level, dataset, model) callable for the experiment.

  Args:
    config: the RunConfig.
    run_dir_for_level: callable(level) -> the run directory.
    label_for_level: callable(level) -> the progress label.
    save_weights_at_for_level: optional callable(level) -> iterations whose
      weights to save (late rewinding).
    describe: optional callable(level) -> dict of extra configuration to
      record in config.json (experiment name, level, mask sources, ...).
  """
  def train_model(sess, level, dataset, model):
    run_dir = run_dir_for_level(level)
    run_config_lib.write_config(run_dir, config,
                                **(describe(level) if describe else {}))
    params = config.train_params(label_for_level(level))
    if save_weights_at_for_level:
      params['save_weights_at'] = save_weights_at_for_level(level)
    started = time.time()
    result = trainer.train(sess, dataset, model, config.optimizer_fn(),
                           config.training_len, run_dir, **params)
    save_restore.write_json(paths.done_marker(run_dir),
                            {'seconds': round(time.time() - started, 3)})
    # A finished level's final/ holds what its checkpoints would: free the disk.
    shutil.rmtree(paths.checkpoints(run_dir), ignore_errors=True)
    return result
  return train_model
