"""Extracting a downloaded tar archive without trusting its member names.

A tar member may name any path (`/etc/...`, `../../x`) or be a link or a
device. Extraction here accepts only plain files and directories whose names
stay inside the destination, and writes each file completely (into a hidden
scratch directory) before renaming it into place, so an archive rejected
halfway leaves no half-written file behind.
"""

import os
import pathlib
import shutil
import tarfile
import tempfile
import zlib

from lottery_ticket.datasets.errors import DatasetError


def _member_problem(member):
  """Why a member may not be extracted, or None if it may."""
  name = member.name
  if not name or name.startswith(('/', '\\')) or os.path.isabs(name):
    return 'absolute path'
  if '..' in pathlib.PurePosixPath(name.replace('\\', '/')).parts:
    return "'..' in path"
  if not (member.isfile() or member.isdir()):
    return 'not a regular file or directory'
  if member.isfile() and os.path.normpath(name) == '.':
    return 'a file with no name'
  return None


def safe_extract_tar(archive, destination):
  """Extracts the plain files and directories of a (compressed) tar archive.

  Args:
    archive: the .tar, .tar.gz, .tgz, ... file.
    destination: the directory to extract into (created if needed). Existing
      files of the same names are replaced.

  Returns:
    The extracted files, as paths relative to `destination`, in archive order.

  Raises:
    DatasetError: if the archive is unreadable or any member has an absolute
      path, a '..' component, or is a link, device or other special file; in
      that case nothing is extracted.
  """
  os.makedirs(destination, exist_ok=True)
  scratch = tempfile.mkdtemp(dir=destination, prefix='.extract-')
  extracted = []
  try:
    try:
      with tarfile.open(archive, 'r|*') as tar:
        for member in tar:
          problem = _member_problem(member)
          if problem:
            raise DatasetError('{}: unsafe member {!r} ({})'.format(
                archive, member.name, problem))
          if member.isdir():
            continue
          relative = os.path.normpath(member.name)
          target = os.path.join(scratch, relative)
          os.makedirs(os.path.dirname(target), exist_ok=True)
          with tar.extractfile(member) as source, open(target, 'wb') as out:
            shutil.copyfileobj(source, out)
          extracted.append(relative)
    except (tarfile.TarError, EOFError, zlib.error) as e:
      raise DatasetError('{}: unreadable tar archive ({})'.format(
          archive, e)) from None
    for relative in extracted:
      final = os.path.join(destination, relative)
      os.makedirs(os.path.dirname(final), exist_ok=True)
      os.replace(os.path.join(scratch, relative), final)
  finally:
    shutil.rmtree(scratch, ignore_errors=True)
  return extracted
