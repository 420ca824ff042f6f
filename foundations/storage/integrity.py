"""Hashes that let a resume or a reader name a damaged file.

A checkpoint records the sha256 of the files it depends on (its own
variables and records, the run's saved arrays) and a finished run records,
in DONE, the sha256 of every output it wrote. Whoever reads them back
(resuming, analysis, reinitialize, --mask_from, and every array another
run reads by path: `read_network`) verifies first, so a file overwritten,
truncated or swapped after it was written is named in one line instead of
being used.
"""

import hashlib
import json
import os

from lottery_ticket.foundations import paths
from lottery_ticket.foundations.storage import dir_lock

# Beneath a run directory, what no record covers: TensorBoard's event files
# (appended to as training goes), checkpoints (each covers itself), the
# sweep's record of the line, the lock and DONE (the record itself).
_UNRECORDED_DIRS = (paths.summaries(''), paths.checkpoints(''),
                    paths.SWEEP_RECORDS)
_UNRECORDED_FILES = (dir_lock.LOCK_FILE, paths.done_marker(''))


class DamagedFile(ValueError):
  """A file differs from what was recorded when it was written (exit 2)."""


def read_json(path):
  """Reads a JSON file.

  Raises:
    ValueError: naming the file, when it is not valid JSON.
  """
  with open(path, 'rb') as f:
    data = f.read()
  try:
    return json.loads(data.decode('utf-8'))
  except (ValueError, UnicodeDecodeError) as error:
    raise ValueError('{} is not valid JSON: {}'.format(path, error)) from error


def sha256(path):
  digest = hashlib.sha256()
  with open(path, 'rb') as f:
    for block in iter(lambda: f.read(1 << 20), b''):
      digest.update(block)
  return digest.hexdigest()


def hashes(root, relative_paths):
  """{relative path: sha256} of files beneath `root`."""
  return {name: sha256(os.path.join(root, name))
          for name in sorted(relative_paths)}


def run_outputs(run_dir, arrays_only=False):
  """The relative paths of a run's outputs that a record covers.

  Args:
    run_dir: a run directory.
    arrays_only: only the saved arrays (.npy), the outputs a resume reads
      back; the logs and metrics.json are rewritten from the records.
  """
  found = []
  for root, dirnames, filenames in os.walk(run_dir):
    if root == run_dir:
      dirnames[:] = [d for d in dirnames if d not in _UNRECORDED_DIRS]
    dirnames[:] = sorted(d for d in dirnames if not d.startswith('.'))
    for name in filenames:
      if name.startswith('.') or (root == run_dir and
                                  name in _UNRECORDED_FILES):
        continue
      if arrays_only and not name.endswith('.npy'):
        continue
      found.append(os.path.relpath(os.path.join(root, name), run_dir))
  return sorted(found)


def first_damaged(root, recorded):
  """The first recorded file that is missing or differs, with why; else None.

  Returns:
    (path, reason) or None.
  """
  for name, expected in sorted(recorded.items()):
    path = os.path.join(root, name)
    if not os.path.isfile(path):
      return path, 'is missing'
    if sha256(path) != expected:
      return path, 'differs from what was recorded when it was written'
  return None


def verify_finished(run_dir):
  """Whether a run finished (its DONE exists); a finished run's outputs are
  checked first against the hashes its DONE recorded (a run finished before
  DONE held hashes passes unchecked).

  Raises:
    DamagedFile: naming the first output missing or changed.
    ValueError: when DONE itself is not valid JSON.
  """
  done = paths.done_marker(run_dir)
  if not os.path.exists(done):
    return False
  damaged = first_damaged(run_dir, read_json(done).get('sha256', {}))
  if damaged:
    raise DamagedFile('{} {} (sha256 recorded in {}); restore it or re-run '
                      'with --overwrite'.format(damaged[0], damaged[1], done))
  return True


def enclosing_run(path):
  """The run directory `path` lies in: the nearest directory at or above it
  (above a file) that holds a config.json; None for a path in no run."""
  directory = os.path.abspath(path if os.path.isdir(path)
                              else os.path.dirname(path))
  while True:
    if os.path.isfile(paths.config(directory)):
      return directory
    parent = os.path.dirname(directory)
    if parent == directory:
      return None
    directory = parent
