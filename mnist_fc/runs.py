"""A run directory is its configuration: claimed, checked, recorded, trained.

The run executor (packed_runs.claim), before anything is written into an
output directory,

  1. takes the directory's lock (`lock`, foundations.dir_lock), so a second
     process is refused by the pid of the first;
  2. compares the configuration recorded in each run directory it will
     write (config.json) with the one it was given (`check`, every run
     before any is changed): the same configuration resumes (or finds the
     run finished), a different one is refused in one line naming the keys
     that differ and their two values, unless `overwrite` asks to start
     over (`take` then clears the run);
  3. records its resolved configuration (config.json) before anything else
     in a run directory, and writes DONE after everything else.

A run directory is finished when its DONE marker exists; the marker is
written after every other output, so a killed run is never mistaken for a
finished one and is simply trained again (from its latest checkpoint).
"""

import math
import os
import shutil
import sys
import time

from lottery_ticket.foundations.storage import dir_lock
from lottery_ticket.foundations.storage import faults
from lottery_ticket.foundations.storage import integrity
from lottery_ticket.foundations import masks as masks_lib
from lottery_ticket.foundations import paths
from lottery_ticket.foundations import save_restore
from lottery_ticket.mnist_fc import config as config_lib


class ConfigurationMismatch(ValueError):
  """A run directory holds a run of another configuration (exit 2)."""


def is_finished(run_dir):
  return os.path.exists(paths.done_marker(run_dir))


def load_finished(run_dir):
  """(initial_weights, final_weights, masks) of a finished run (verified
  when it was claimed), else None."""
  if not is_finished(run_dir):
    return None
  return (save_restore.restore_network(paths.initial(run_dir)),
          save_restore.restore_network(paths.final(run_dir)),
          save_restore.restore_network(paths.masks(run_dir)))


def say(message):
  """A one-line notice on stderr (resumed, already finished, overwritten)."""
  print(message, file=sys.stderr, flush=True)


def lock(run_dir):
  """Takes a run directory's lock (covering its subtree) for the rest of
  this process.

  Raises:
    dir_lock.DirectoryBusy: naming the pid of the process holding it, or
      holding an experiment directory that encloses it.
  """
  key = os.path.realpath(run_dir)
  if key not in _LOCKS:
    _LOCKS[key] = dir_lock.DirectoryLock(run_dir, subtree=True).acquire()
  return _LOCKS[key]


_LOCKS = {}


def release_all():
  """Drops every lock this process holds, with the lock files and the
  directories that taking them created and nothing else filled (a run
  refused after taking its lock leaves no trace). A process exit drops the
  locks too (and leaves the lock files)."""
  for held in _LOCKS.values():
    held.release(remove_created=True)
  _LOCKS.clear()


def check_recorded(run_dir, config, experiment):
  """Refuses a run directory that records another configuration.

  Returns:
    the parsed config.json it records, or None when it records none.

  Args:
    run_dir: a run directory (it may not exist yet).
    config: the resolved Config about to be trained there.
    experiment: what will run there ('lottery', 'train', ...).

  Raises:
    ConfigurationMismatch: naming the differing keys and their two values.
  """
  path = paths.config(run_dir)
  if not os.path.exists(path):
    return
  saved = config_lib.load_json(path)
  recorded = config_lib.read(path, config.concerns)
  changes = config.identity_differences(recorded)
  # A value derived on both sides (the order seed from the seed, ...) differs
  # because what it derives from does: name the cause, not its echo.
  echoes = config.derived & recorded.derived
  changes = [c for c in changes if c[0] not in echoes] or changes
  recorded_experiment = saved.get('experiment')
  if recorded_experiment and recorded_experiment != experiment:
    changes.insert(0, ('experiment', recorded_experiment, experiment))
  if changes:
    raise ConfigurationMismatch(
        '{} holds a run of another configuration: {}; give --overwrite to '
        'start over, or another output directory'.format(
            run_dir, ', '.join('{} {!r} (recorded) vs {!r} (given)'.format(
                name, _shown(old), _shown(new)) for name, old, new in changes)))
  return saved


def _shown(value):
  return list(value) if isinstance(value, tuple) else value


class OtherRunInside(ValueError):
  """--overwrite would remove another run inside the run directory (exit 2)."""


def check_clearable(run_dir):
  """Refuses to clear a run directory that holds another run.

  A run's outputs hold no config.json or DONE below its top, and no lock
  but its own: a directory beneath that has one is another run (a run
  trained in Z/inner after Z, a lottery tree), or is in use by another
  process. The sweep's record of the line, which clear_run keeps, is not
  looked at.

  Raises:
    OtherRunInside: naming that directory.
  """
  for parent, dirnames, filenames in os.walk(run_dir):
    if parent == run_dir:
      dirnames[:] = [d for d in dirnames if d != paths.SWEEP_RECORDS]
      continue
    marker = next((f for f in (paths.config(parent), paths.done_marker(parent))
                   if os.path.basename(f) in filenames), None)
    pid = (dir_lock.holder(parent) if dir_lock.LOCK_FILE in filenames
           else None)
    if marker or pid:
      raise OtherRunInside(
          '--overwrite would remove {}, {} inside {}; move it out or give '
          'another output directory'.format(
              parent, 'in use by another process (pid {})'.format(pid) if pid
              else 'another run (it has its own {})'.format(
                  os.path.basename(marker)), run_dir))


def clear_run(run_dir):
  """Removes a run directory's outputs (for --overwrite), keeping its lock
  and the sweep's record of the line that writes it.

  Raises:
    OtherRunInside: before removing anything, when another run lives
      inside (check_clearable).
  """
  if not os.path.isdir(run_dir):
    return
  check_clearable(run_dir)
  # DONE first and config.json last: a kill part way leaves an unfinished
  # run of its configuration, which a re-run clears or resumes.
  last = {paths.done_marker(run_dir): 0, paths.config(run_dir): 2}
  entries = sorted((os.path.join(run_dir, e) for e in os.listdir(run_dir)
                    if e not in (dir_lock.LOCK_FILE, paths.SWEEP_RECORDS)),
                   key=lambda target: last.get(target, 1))
  for target in entries:
    if os.path.isdir(target) and not os.path.islink(target):
      shutil.rmtree(target)
    else:
      os.remove(target)
    faults.boundary('remove', target)


def check(run_dir, config, experiment, overwrite=False):
  """Refuses a run directory this run may not take, changing nothing.

  A finished run is verified against the hashes its DONE recorded; with
  overwrite, a recorded run is checked to be clearable (check_clearable).
  An unfinished run that other training arithmetic began (another
  trainer.NUMERICS) is refused: its results would differ in the last bits.

  Returns:
    'finished', 'resume' (a recorded, unfinished run of this
    configuration), 'new', or 'clear' (a recorded run overwrite clears).

  Raises:
    ConfigurationMismatch: naming what differs and what to do.
  """
  if overwrite and os.path.exists(paths.config(run_dir)):
    check_clearable(run_dir)
    return 'clear'
  saved = check_recorded(run_dir, config, experiment)
  if integrity.verify_finished(run_dir):
    return 'finished'
  if saved is None:
    return 'new'
  from lottery_ticket.foundations import trainer  # pylint: disable=g-import-not-at-top
  recorded = config_lib.details(saved).get('numerics', 1)
  if recorded != trainer.NUMERICS:
    raise ConfigurationMismatch(
        '{} is an unfinished run begun by the trainer\'s numerics version {} '
        '(this version is {}), whose results would differ in the last bits; '
        'give --overwrite to train it again from the start'.format(
            run_dir, recorded, trainer.NUMERICS))
  return 'resume'


def take(run_dir, state, keep_checkpoints=False):
  """Prepares a checked run directory (`state` from check) for its run:
  a run to overwrite is cleared; a finished one is tidied (what a kill
  between DONE and the clean-up left: temporaries, and checkpoints final/
  makes redundant).

  Returns:
    'finished', 'resume' or 'new'.
  """
  if state == 'clear':
    clear_run(run_dir)
    return 'new'
  if state == 'finished':
    # TensorFlow's import is paid here, by a run about to train, not by
    # every `--help` of a runner that imports this module.
    from lottery_ticket.foundations import trainer  # pylint: disable=g-import-not-at-top
    trainer.remove_stale_temporaries(run_dir)
    if not keep_checkpoints and os.path.isdir(paths.checkpoints(run_dir)):
      _remove_checkpoints(run_dir)
  return state


def record(run_dir, config, experiment, details=None):
  """Writes the run's configuration, the first file of a run directory."""
  from lottery_ticket.foundations import trainer  # pylint: disable=g-import-not-at-top
  save_restore.write_json(paths.config(run_dir), config_lib.record(
      config, experiment, dict(details or {}, numerics=trainer.NUMERICS)))


def mark_done(run_dir, started, keep_checkpoints=False):
  """Writes DONE (last); frees the checkpoints final/ makes redundant, unless
  they are kept for analysis (sparse runs)."""
  save_restore.write_json(paths.done_marker(run_dir), {
      'seconds': round(time.time() - started, 3),
      'sha256': integrity.hashes(run_dir, integrity.run_outputs(run_dir))})
  if not keep_checkpoints:
    _remove_checkpoints(run_dir)


def _remove_checkpoints(run_dir):
  shutil.rmtree(paths.checkpoints(run_dir), ignore_errors=True)
  faults.boundary('remove', paths.checkpoints(run_dir))


def percent_remaining(run_dir, config=None):
  """Percent of kernel weights left by the run's masks (biases excluded).

  Falls back on config.json's 'sparsity' when the run saved no masks (None
  meaning dense), and on NaN when neither is there. A small_dense run (a
  narrower dense network with the parameter budget of a sparsity) counts as
  that sparsity.

  Args:
    run_dir: the run directory.
    config: its parsed config.json (either format).
  """
  saved = config or {}
  try:
    config = config_lib.flatten(saved, paths.config(run_dir))[0]
  except ValueError:
    config = {}
  if saved.get('experiment') == 'sparse_train':
    config.setdefault('sparsity', 0.0)  # format 1 kept null for dense
  if config.get('method') == 'small_dense' and config.get('sparsity'):
    # A narrower dense network with the parameter budget of that sparsity:
    # its own masks are all ones, its size is what the sparsity says.
    return 100.0 * (1.0 - float(config['sparsity']))
  masks_dir = paths.masks(run_dir)
  if os.path.isdir(masks_dir):
    masks = masks_lib.Masks.load(masks_dir)
    if masks.size():
      return 100.0 * masks.density()
  if 'sparsity' in config:
    # A sparse-training run; a dense one has sparsity None.
    return 100.0 * (1.0 - float(config['sparsity'] or 0.0))
  return math.nan


def describe(run_dir):
  """One line: weights remaining, final test accuracy, where it is."""
  percent = percent_remaining(run_dir,
                              integrity.read_json(paths.config(run_dir)))
  metrics = integrity.read_json(paths.metrics(run_dir))
  accuracy = (metrics.get('test') or [{}])[-1].get('accuracy', math.nan)
  return '{:6.2f}% of weights remain | final test accuracy {:.4f} | {}'.format(
      percent, accuracy, run_dir)


def print_summary(run_dirs):
  """Prints the line of each finished run (what a runner ends with)."""
  for run_dir in run_dirs:
    if is_finished(run_dir):
      print(describe(run_dir))
