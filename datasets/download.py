"""Downloading files with md5 verification, atomically.

A download goes to a hidden temporary file beside its destination, is checked
against the expected md5, and only then renamed into place. So a file found at
the destination is always a complete, verified one, and an interrupted or
corrupted download leaves nothing where a finished file is expected, and no
directory it had to create (so a download without network leaves no empty
directory to be mistaken for a dataset).
"""

import contextlib
import hashlib
import http.client
import os
import urllib.error
import urllib.request

from lottery_ticket.datasets.errors import DatasetError
from lottery_ticket.foundations import save_restore
from lottery_ticket.foundations.storage import dir_lock

_CHUNK_BYTES = 1 << 20
# The command line that downloads a dataset.
DOWNLOAD_MODULE = 'lottery_ticket.mnist_fc.runners.download_data'


def missing_files(paths, name, location=None):
  """What is missing of a dataset's files, in one line, or None.

  Args:
    paths: the files dataset `name` needs.
    name: the dataset.
    location: where the download command should put it (None: its default
      location).

  Returns:
    None when every file of `paths` exists; else the first missing one (and
    how many more are), and the command that downloads the dataset.
  """
  missing = [path for path in paths if not os.path.isfile(path)]
  if not missing:
    return None
  more = (' (and {} more of its {} files)'.format(len(missing) - 1,
                                                  len(paths))
          if len(missing) > 1 else '')
  return ('{}: no such file{}; download {} with: python -m {} --dataset={}{}'
          .format(missing[0], more, name, DOWNLOAD_MODULE, name,
                  ' --location={}'.format(location) if location else ''))


def md5sum(path):
  """The hex md5 digest of a file's contents.

  Raises:
    DatasetError: if the file does not exist.
  """
  digest = hashlib.md5()
  try:
    with open(path, 'rb') as f:
      for chunk in iter(lambda: f.read(_CHUNK_BYTES), b''):
        digest.update(chunk)
  except FileNotFoundError:
    raise DatasetError('{}: no such file'.format(path)) from None
  return digest.hexdigest()


@contextlib.contextmanager
def directories_removed_on_failure(directory):
  """Creates `directory` (and missing parents); removes them on an exception.

  Only the directories created here are removed, deepest first, and only
  while empty: whatever a failed step left inside them stays visible.
  """
  directory = os.path.abspath(directory)
  outermost = dir_lock.first_missing(directory)
  os.makedirs(directory, exist_ok=True)
  try:
    yield directory
  except BaseException:
    path = directory
    while outermost:  # deepest first
      try:
        os.rmdir(path)
      except OSError:
        break  # not empty (or gone): leave it and its parents
      if path == outermost:
        break
      path = os.path.dirname(path)
    raise


def _fetch(url, destination, md5, timeout):
  """Downloads one URL to `destination` through a verified temporary file."""
  directory = os.path.dirname(os.path.abspath(destination))
  # Created with the umask's permissions (mkstemp's 0600 would stay on the
  # data once renamed into place).
  handle, temporary = save_restore.create_temporary_file(directory)
  try:
    digest = hashlib.md5()
    with os.fdopen(handle, 'wb') as out, urllib.request.urlopen(
        url, timeout=timeout) as response:
      for chunk in iter(lambda: response.read(_CHUNK_BYTES), b''):
        digest.update(chunk)
        out.write(chunk)
    if digest.hexdigest() != md5.lower():
      raise DatasetError('{}: md5 is {}, expected {}'.format(
          url, digest.hexdigest(), md5.lower()))
    os.replace(temporary, destination)
  finally:
    if os.path.exists(temporary):
      os.remove(temporary)


def download(url, destination, md5, timeout=60):
  """Downloads a file unless a verified copy is already in place.

  Args:
    url: the URL (any scheme urllib opens, file:// included), or a sequence
      of mirror URLs tried in order until one yields the right bytes.
    destination: the file to create; its directory is created if needed.
    md5: the expected hex md5 digest of the file.
    timeout: seconds to wait on a stalled connection.

  Returns:
    `destination`.

  Raises:
    DatasetError: if no URL yields a file with the expected md5 (the message
      names each URL and what went wrong). Nothing is then left at
      `destination` unless something was there before.
  """
  urls = [url] if isinstance(url, str) else list(url)
  if not urls:
    raise DatasetError('{}: no URL to download from'.format(destination))
  if os.path.isfile(destination) and md5sum(destination) == md5.lower():
    return destination
  with directories_removed_on_failure(os.path.dirname(
      os.path.abspath(destination))):
    failures = []
    for candidate in urls:
      try:
        _fetch(candidate, destination, md5, timeout)
        return destination
      except DatasetError as e:
        failures.append(str(e))
      except (urllib.error.URLError, http.client.HTTPException, OSError) as e:
        failures.append('{}: {}'.format(candidate, e))
    if len(failures) == 1:
      raise DatasetError(failures[0])
    raise DatasetError('could not download {}: {}'.format(
        destination, '; '.join(failures)))
