"""Networks, masks and logs on disk.

A network is a directory with one `.npy` file per tensor name. Every write is
atomic: files are written under a temporary name and renamed into place, and
directories are assembled beside their destination and renamed, so a reader
never sees a half-written result as finished.

Temporary names start with TEMP_PREFIX ('.tmp-'); a process killed in the
middle of a write leaves such a name behind, and `remove_temporaries`
clears them when the run is taken up again. Outputs get the permissions the
umask gives (0644 files and 0755 directories under umask 022), as if they
had been created in place: results on a shared file system stay readable by
collaborators and by cluster workers running as another user.

A write that fails (a full disk, a read-only directory) raises WriteError,
whose one-line message names the path and the cause.
"""

import contextlib
import csv
import errno
import fnmatch
import io
import json
import os
import secrets
import shutil

import numpy as np

from lottery_ticket.foundations.storage import faults
from lottery_ticket.foundations import paths
from lottery_ticket.foundations.storage import integrity

TEMP_PREFIX = '.tmp-'

# Out of space (a full disk, or a full quota): freeing space is the cure.
_NO_SPACE = frozenset([errno.ENOSPC, errno.EDQUOT])


class WriteError(OSError):
  """An output could not be written; the message names the path and why."""

  def __init__(self, path, cause):
    code = getattr(cause, 'errno', None)
    reason = getattr(cause, 'strerror', None) or str(cause) or repr(cause)
    super(WriteError, self).__init__(code, reason, path)

  def __str__(self):
    text = 'cannot write {}: {}'.format(self.filename, self.strerror)
    if self.errno in _NO_SPACE:
      text += '; free some space and run the same command again to resume'
    return text


def out_of_space(path, detail='no space left on device'):
  """A WriteError for a full disk found by other means (e.g. TensorFlow)."""
  return WriteError(path, OSError(errno.ENOSPC, detail))


@contextlib.contextmanager
def naming_failures(path):
  """Turns an OSError raised inside the block into a WriteError on `path`."""
  try:
    yield
  except WriteError:
    raise
  except OSError as error:
    raise WriteError(path, error) from error


def _temporary_name(directory, stem=''):
  return os.path.join(directory, TEMP_PREFIX + stem + secrets.token_hex(4))


def _create_temporary(directory, create, stem=''):
  """create(path) at a temporary name not taken yet; what it returns."""
  while True:
    try:
      return create(_temporary_name(directory, stem))
    except FileExistsError:
      continue


def create_temporary_file(directory):
  """(fd, path) of a new empty file, mode 0666 less the umask: renamed into
  place, it has the permissions of a file created there."""
  return _create_temporary(directory, lambda path: (os.open(
      path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), path))


def _make_directory(path):
  """Makes `path` with mode 0777 less the umask; returns it."""
  os.mkdir(path, 0o777)
  return path


def write_bytes(path, data):
  """Writes a binary file atomically (e.g. a rendered figure).

  Raises:
    WriteError: if it cannot be written (e.g. the disk is full).
  """
  directory = os.path.dirname(os.path.abspath(path))
  with naming_failures(path):
    os.makedirs(directory, exist_ok=True)
    fd, tmp = create_temporary_file(directory)
    try:
      with open(fd, 'wb') as f:
        f.write(bytes(data))
        f.flush()
        os.fsync(f.fileno())  # on disk before the rename makes it visible
      os.replace(tmp, path)
    except BaseException:
      if os.path.exists(tmp):
        os.remove(tmp)
      raise
  faults.boundary('file', path)


def remove_temporaries(directory, patterns=()):
  """Removes what interrupted writes left inside `directory` (recursively).

  Only names this module creates (TEMP_PREFIX...) and names matching
  `patterns` (fnmatch patterns, for other writers' temporaries such as
  TensorFlow's) are removed; nothing outside `directory` is touched and
  symbolic links are not followed. Call it only on a directory this process
  writes alone (e.g. one it holds the lock of).

  Args:
    directory: the directory to clean (missing: nothing to do).
    patterns: more fnmatch patterns of temporary names.

  Returns:
    the sorted paths removed.
  """
  removed = []
  for root, dirnames, filenames in os.walk(directory):
    if paths.SWEEP_RECORDS in dirnames:
      dirnames.remove(paths.SWEEP_RECORDS)  # the sweep runner's, not ours
    for name in list(dirnames) + filenames:
      if not any(fnmatch.fnmatch(name, p)
                 for p in (TEMP_PREFIX + '*',) + tuple(patterns)):
        continue
      path = os.path.join(root, name)
      if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
        dirnames.remove(name)
      else:
        with contextlib.suppress(FileNotFoundError):
          os.remove(path)
      removed.append(path)
  return sorted(removed)


def write_text(path, text):
  """Writes a text file atomically.

  Raises:
    WriteError: if it cannot be written (e.g. the disk is full).
  """
  write_bytes(path, text.encode('utf-8'))


def write_json(path, value):
  """Writes JSON atomically (sorted keys, indented)."""
  write_text(path, json.dumps(value, indent=2, sort_keys=True, default=_jsonable))


def _jsonable(value):
  if isinstance(value, np.generic):
    return value.item()
  if isinstance(value, np.ndarray):
    return value.tolist()
  if callable(value):
    return getattr(value, '__name__', repr(value))
  return repr(value)


def save_network(filename, weights):
  """Saves a dict of arrays as a directory of `<name>.npy` files, atomically.

  An existing directory at `filename` is replaced only once the new one is
  complete.

  Args:
    filename: the directory to write.
    weights: dict name -> array-like.

  Raises:
    ValueError: if a name cannot be a file name.
    WriteError: if the directory cannot be written (e.g. the disk is full).
  """
  filename = os.path.abspath(filename)
  parent = os.path.dirname(filename)
  for name in weights:
    _check_name(name)
  with naming_failures(filename):
    os.makedirs(parent, exist_ok=True)
    staging = _create_temporary(parent, _make_directory,
                                os.path.basename(filename) + '-')
    try:
      for name, value in weights.items():
        # Serialised in memory and written by Python, so that a full disk
        # raises an OSError with its errno rather than numpy's byte counts.
        buffer = io.BytesIO()
        np.save(buffer, np.asarray(value), allow_pickle=False)
        with open(os.path.join(staging, name + '.npy'), 'wb') as f:
          f.write(buffer.getbuffer())
      if os.path.exists(filename):
        old = _temporary_name(parent, 'old-')
        os.replace(filename, old)
        os.replace(staging, filename)
        shutil.rmtree(old)
      else:
        os.replace(staging, filename)
    except BaseException:
      shutil.rmtree(staging, ignore_errors=True)
      raise
  faults.boundary('arrays', filename)


def restore_network(filename):
  """Loads a directory written by `save_network` into a dict of arrays.

  Raises:
    ValueError: if the directory is missing, empty or holds an unreadable file.
  """
  if not os.path.isdir(filename):
    raise ValueError('No saved network at {}'.format(filename))
  out = {}
  for entry in array_files(filename):
    path = os.path.join(filename, entry)
    try:
      out[entry[:-len('.npy')]] = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as e:
      raise ValueError('Unreadable array {}: {}'.format(path, e)) from e
  if not out:
    raise ValueError('No .npy arrays in {}'.format(filename))
  return out


def array_files(directory):
  """The sorted `<name>.npy` files of a saved network (hidden ones, such as
  temporaries, excluded)."""
  return sorted(e for e in os.listdir(directory)
                if e.endswith('.npy') and not e.startswith('.'))


def standardize(network):
  """Accepts a network as a dict, a directory path, a list of either, or None.

  A list stands for the union of several masks (see `union.union`).

  A path is read by read_network: the arrays of a run are read
  only from a finished run that matches its recorded hashes.

  Args:
    network: dict name -> array, a path to a saved network, a list/tuple of
      those, or None.

  Returns:
    dict name -> numpy array, or None when `network` is None.

  Raises:
    ValueError: for nothing readable at a path, or arrays of an unfinished
      or damaged run (integrity.DamagedFile).
  """
  if network is None:
    return None
  if isinstance(network, (list, tuple)):
    from lottery_ticket.foundations import union  # pylint: disable=g-import-not-at-top
    return union.union(*[standardize(n) for n in network])
  if isinstance(network, (str, os.PathLike)):
    network = read_network(os.fspath(network))
  if not isinstance(network, dict):
    raise ValueError('Expected a dict, a path or a list of networks, got {!r}'.format(
        type(network).__name__))
  return {k: np.asarray(v) for k, v in network.items()}


def _check_name(name):
  if not name or '/' in name or name.startswith('.') or os.sep in name:
    raise ValueError('Tensor name {!r} cannot be a file name'.format(name))


LOG_FIELDS = ('iteration', 'loss', 'accuracy')


def write_log(records, path):
  """Writes records in the original CSV layout, atomically.

  Each line reads `iteration,N,loss,X,accuracy,Y`.

  Args:
    records: list of dicts with keys iteration, loss, accuracy.
    path: the file to write.
  """
  buffer = io.StringIO()
  writer = csv.writer(buffer, lineterminator='\n')
  for record in records:
    writer.writerow([item for field in LOG_FIELDS
                     for item in (field, record[field])])
  write_text(path, buffer.getvalue())


def read_log(path):
  """Reads a log written by `write_log` into a list of dicts.

  Raises:
    ValueError: if a line is not in the `name,value,...` layout.
  """
  records = []
  with open(path) as f:
    for number, row in enumerate(csv.reader(f), 1):
      if not row:
        continue
      if len(row) % 2:
        raise ValueError('{}:{}: expected name,value pairs, got {!r}'.format(
            path, number, ','.join(row)))
      records.append({key.strip(): (int if key.strip() == 'iteration'
                                    else float)(value)
                      for key, value in zip(row[0::2], row[1::2])})
  return records


def read_network(path):
  """The arrays saved at `path` (restore_network), read by another run:
  when they lie in a run directory, that run must be finished and match its
  DONE hashes. A directory of arrays in no run (masks made by hand, copied
  out of a run) is read as it is.

  Raises:
    integrity.DamagedFile: naming the run's first output missing or changed.
    ValueError: when the run is unfinished (its arrays are not its final
      ones and no record covers them yet), or nothing readable is there.
  """
  run_dir = integrity.enclosing_run(path)
  if run_dir is not None and not integrity.verify_finished(run_dir):
    raise ValueError('{} lies in {}, an unfinished run (no DONE file): '
                     'finish it first'.format(path, run_dir))
  return restore_network(path)
