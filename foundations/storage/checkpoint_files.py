"""A run's checkpoints/: written in a resumable order, found by name, verified.

For the checkpoint of iteration k, checkpoints/ holds

  records-k.json           the records up to k (written first)
  model-k.index, .data-*   the variables (TensorFlow's tensor bundle)
  hashes-k.json            sha256 of the above and of the run's saved arrays
                           (written after them: the checkpoint is complete
                           once it exists)
  checkpoint               TensorFlow's index of the kept checkpoints, by
                           name relative to checkpoints/ (written last), so
                           tf.train.latest_checkpoint works on the run
                           wherever it is moved or copied

Resuming never reads a directory out of the index: the checkpoints are the
complete ones found by name inside the run directory itself, so a copied run
resumes from (and prunes) its own files, never the original's. A checkpoint
whose files differ from its hashes is named and skipped for the previous
one; with none left the level restarts.
"""

import glob
import os
import re

from lottery_ticket.foundations.storage import faults
from lottery_ticket.foundations.storage import integrity
from lottery_ticket.foundations import paths
from lottery_ticket.foundations import save_restore

PREFIX = 'model'
INDEX = 'checkpoint'
_HASHES = re.compile(r'hashes-(\d+)\.json$')
# Every file of checkpoint k, complete or not: its variables, records and
# hashes.
_PARTS = re.compile(r'(?:{}-(\d+)\.(?:index|data-.*)|records-(\d+)\.json|'
                    r'hashes-(\d+)\.json)$'.format(PREFIX))


def _path(run_dir, name, iteration):
  return os.path.join(paths.checkpoints(run_dir),
                      name.format(int(iteration)))


def prefix(run_dir, iteration):
  """The path prefix of the variables of checkpoint `iteration`."""
  return _path(run_dir, PREFIX + '-{}', iteration)


def records_path(run_dir, iteration):
  """The records saved with the checkpoint of `iteration`."""
  return _path(run_dir, 'records-{}.json', iteration)


def _hashes_path(run_dir, iteration):
  return _path(run_dir, 'hashes-{}.json', iteration)


def _listed(run_dir, pattern):
  """{file name: iteration} of the files in checkpoints/ `pattern` matches."""
  directory = paths.checkpoints(run_dir)
  names = os.listdir(directory) if os.path.isdir(directory) else ()
  return {m.group(0): int(next(g for g in m.groups() if g))
          for m in map(pattern.match, names) if m}


def complete(run_dir):
  """The sorted iterations whose checkpoints are complete (not verified)."""
  return sorted(_listed(run_dir, _HASHES).values())


def _parts(run_dir, iteration):
  """The relative paths (from run_dir) of checkpoint `iteration`'s files."""
  directory = paths.checkpoints(run_dir)
  found = glob.glob(glob.escape(prefix(run_dir, iteration)) + '.*')
  found.append(records_path(run_dir, iteration))
  return sorted(os.path.relpath(p, run_dir) for p in found
                if os.path.dirname(p) == directory)


def save(run_dir, iteration, records, write_variables, keep):
  """Writes checkpoint `iteration` in its resumable order.

  Args:
    run_dir: the run directory.
    iteration: the training iteration.
    records: the run's records so far (JSON-able).
    write_variables: callable(prefix) writing the variables' tensor bundle.
    keep: how many checkpoints to keep (0 keeps all, the index then listing
      only the latest).

  Raises:
    save_restore.WriteError: when a file cannot be written.
  """
  directory = paths.checkpoints(run_dir)
  with save_restore.naming_failures(directory):
    os.makedirs(directory, exist_ok=True)
  save_restore.write_json(records_path(run_dir, iteration), records)
  write_variables(prefix(run_dir, iteration))
  faults.boundary('checkpoint', prefix(run_dir, iteration))
  covered = (_parts(run_dir, iteration) +
             integrity.run_outputs(run_dir, arrays_only=True))
  save_restore.write_json(_hashes_path(run_dir, iteration),
                          integrity.hashes(run_dir, covered))
  _settle(run_dir, keep)


def _settle(run_dir, keep):
  """Writes the index of the complete checkpoints and removes those beyond
  the `keep` latest: what a save ends with, so a resume finishes it too."""
  iterations = complete(run_dir)
  _write_index(run_dir, iterations[-keep:] if keep else iterations[-1:])
  for old in iterations[:-keep] if keep else []:
    remove(run_dir, old)


def _write_index(run_dir, iterations):
  """TensorFlow's `checkpoint` index, names relative to checkpoints/."""
  names = ['{}-{}'.format(PREFIX, i) for i in iterations]
  lines = ['model_checkpoint_path: "{}"'.format(names[-1])]
  lines += ['all_model_checkpoint_paths: "{}"'.format(n) for n in names]
  save_restore.write_text(os.path.join(paths.checkpoints(run_dir), INDEX),
                          '\n'.join(lines) + '\n')


def remove(run_dir, iteration):
  """Removes checkpoint `iteration`, its hashes first (incomplete at once)."""
  directory = paths.checkpoints(run_dir)
  doomed = [_hashes_path(run_dir, iteration)] + [
      os.path.join(run_dir, p) for p in _parts(run_dir, iteration)]
  with save_restore.naming_failures(directory):
    for path in doomed:
      if os.path.lexists(path):
        os.remove(path)
  faults.boundary('remove', prefix(run_dir, iteration))


def remove_incomplete(run_dir):
  """Removes the files of checkpoints a kill left without their hashes.

  Returns:
    the sorted paths removed.
  """
  done = set(complete(run_dir))
  removed = sorted(os.path.join(paths.checkpoints(run_dir), name)
                   for name, iteration in _listed(run_dir, _PARTS).items()
                   if iteration not in done)
  for path in removed:
    os.remove(path)
  return removed


def recorded_hashes(run_dir, iteration):
  """{path relative to run_dir: sha256} that checkpoint `iteration` recorded.

  Raises:
    ValueError: naming the hashes file when it is not valid JSON.
  """
  return integrity.read_json(_hashes_path(run_dir, iteration))


def _vouched(run_dir, iteration, say):
  """Whether checkpoint `iteration`'s files match its hashes; when they do
  not, says which file differs (through `say`)."""
  try:
    recorded = recorded_hashes(run_dir, iteration)
  except ValueError as error:
    say('checkpoint {} cannot be used: {}'.format(iteration, error))
    return False
  damaged = integrity.first_damaged(run_dir, recorded)
  if damaged:
    say('{} {}: checkpoint {} cannot be used'.format(damaged[0], damaged[1],
                                                    iteration))
  return not damaged


def latest_usable(run_dirs, say, keep):
  """Chooses the checkpoint a run (or a pack) resumes from, and settles it.

  The choice is the latest iteration every run directory has a checkpoint
  for whose files match its hashes (a checkpoint that does not is named). Later checkpoints (damaged, or not every network's) are
  removed, and the save the kill interrupted is finished (index written,
  old checkpoints pruned), so the run ends as an uninterrupted one. When
  some run had checkpoints but none is usable by all, says that training
  restarts, and removes them.

  Args:
    run_dirs: the run directories of a pack (one for a lone run).
    say: callable(message) for one-line notices.
    keep: how many checkpoints a save keeps (0: all).

  Returns:
    the iteration, or 0 to start from the beginning.
  """
  # Latest first, each checked only until one is usable by every run: a
  # sparse run keeps all its checkpoints, and hashing them all is waste.
  common = set.intersection(*(set(complete(d)) for d in run_dirs))
  chosen = next((i for i in sorted(common, reverse=True)
                 if all(_vouched(d, i, say) for d in run_dirs)), 0)
  stale = [(d, i) for d in run_dirs for i in complete(d) if i > chosen]
  if stale and not chosen:
    say('no checkpoint usable by {}: training restarts from its '
        'beginning'.format(', '.join(sorted({d for d, _ in stale}))))
  for run_dir, iteration in stale:
    remove(run_dir, iteration)
  if chosen:
    for run_dir in run_dirs:
      _settle(run_dir, keep)
  return chosen
