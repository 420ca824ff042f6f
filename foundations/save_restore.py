"""Networks, masks and logs on disk.

A network is a directory with one `.npy` file per tensor name. Every write is
atomic: files are written under a temporary name and renamed into place, and
directories are assembled beside their destination and renamed, so a reader
never sees a half-written result as finished.
"""

import csv
import io
import json
import os
import shutil
import tempfile

import numpy as np


def _atomic_write_bytes(path, data):
  directory = os.path.dirname(os.path.abspath(path))
  os.makedirs(directory, exist_ok=True)
  fd, tmp = tempfile.mkstemp(dir=directory, prefix='.tmp-')
  try:
    with os.fdopen(fd, 'wb') as f:
      f.write(data)
      f.flush()
      os.fsync(f.fileno())  # on disk before the rename makes it visible
    os.replace(tmp, path)
  except BaseException:
    if os.path.exists(tmp):
      os.remove(tmp)
    raise


def write_text(path, text):
  """Writes a text file atomically."""
  _atomic_write_bytes(path, text.encode('utf-8'))


def write_json(path, value):
  """Writes JSON atomically (sorted keys, indented)."""
  write_text(path, json.dumps(value, indent=2, sort_keys=True, default=_jsonable))


def read_json(path):
  with open(path) as f:
    return json.load(f)


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
  """
  filename = os.path.abspath(filename)
  parent = os.path.dirname(filename)
  os.makedirs(parent, exist_ok=True)
  staging = tempfile.mkdtemp(dir=parent, prefix='.tmp-' + os.path.basename(filename))
  try:
    for name, value in weights.items():
      _check_name(name)
      np.save(os.path.join(staging, name + '.npy'), np.asarray(value),
              allow_pickle=False)
    if os.path.exists(filename):
      old = filename + '.old-' + os.path.basename(staging)
      os.replace(filename, old)
      os.replace(staging, filename)
      shutil.rmtree(old)
    else:
      os.replace(staging, filename)
  except BaseException:
    shutil.rmtree(staging, ignore_errors=True)
    raise


def restore_network(filename):
  """Loads a directory written by `save_network` into a dict of arrays.

  Raises:
    ValueError: if the directory is missing, empty or holds an unreadable file.
  """
  if not os.path.isdir(filename):
    raise ValueError('No saved network at {}'.format(filename))
  out = {}
  for entry in sorted(os.listdir(filename)):
    if not entry.endswith('.npy') or entry.startswith('.'):
      continue
    path = os.path.join(filename, entry)
    try:
      out[entry[:-len('.npy')]] = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as e:
      raise ValueError('Unreadable array {}: {}'.format(path, e)) from e
  if not out:
    raise ValueError('No .npy arrays in {}'.format(filename))
  return out


def standardize(network, names=None):
  """Accepts a network as a dict, a directory path, a list of either, or None.

  A list stands for the union of several masks (see `union.union`).

  Args:
    network: dict name -> array, a path to a saved network, a list/tuple of
      those, or None.
    names: optional collection of names to keep (others are dropped).

  Returns:
    dict name -> numpy array, or None when `network` is None.
  """
  if network is None:
    return None
  if isinstance(network, (list, tuple)):
    from lottery_ticket.foundations import union  # pylint: disable=g-import-not-at-top
    return union.union(*[standardize(n, names) for n in network])
  if isinstance(network, (str, os.PathLike)):
    network = restore_network(os.fspath(network))
  if not isinstance(network, dict):
    raise ValueError('Expected a dict, a path or a list of networks, got {!r}'.format(
        type(network).__name__))
  out = {k: np.asarray(v) for k, v in network.items()}
  if names is not None:
    out = {k: v for k, v in out.items() if k in set(names)}
  return out


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
    row = []
    for field in LOG_FIELDS:
      row += [field, record[field]]
    writer.writerow(row)
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
      record = {}
      for key, value in zip(row[0::2], row[1::2]):
        record[key.strip()] = int(value) if key.strip() == 'iteration' else float(value)
      records.append(record)
  return records
