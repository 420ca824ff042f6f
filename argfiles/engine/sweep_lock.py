"""One sweep at a time on each run's record.

Two sweeps writing the same records would run every line twice and
overwrite each other's statuses. So before it reads or writes any record a
sweep locks the directory holding it (foundations.dir_lock: an OS lock that
disappears with the process, so a killed sweep leaves none behind): each
line's `.argfile_run/`, or the one state directory given with --state_dir.
A second sweep on any of them is refused in one line naming the first's pid.

Taking a lock creates its directory; when the sweep ends, directories it
created and left holding nothing but the lock file are removed again, so a
refused or interrupted sweep leaves no empty bookkeeping behind.
"""

import contextlib
import os

try:
  import resource  # pylint: disable=g-import-not-at-top
except ImportError:  # Not on every platform.
  resource = None

from lottery_ticket.foundations.storage import dir_lock

# Descriptors kept free for everything else a sweep opens (logs, pipes).
_SPARE_DESCRIPTORS = 256


class SweepBusy(ValueError):
  """Another process (a sweep) holds a record directory of this sweep."""


def _allow_descriptors(count):
  """Raises this process's limit on open files to hold `count` locks."""
  if resource is None:
    return
  soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
  wanted = count + _SPARE_DESCRIPTORS
  if soft != resource.RLIM_INFINITY and soft < wanted:
    if hard != resource.RLIM_INFINITY and hard < wanted:
      raise SweepBusy(
          'this sweep needs {} open files to lock its {} record directories, '
          'but the limit is {}; give --state_dir=DIR to keep every record in '
          'one locked directory'.format(wanted, count, hard))
    resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


@contextlib.contextmanager
def sweep_locks(directories, labels=None):
  """Holds the lock of every record directory of a sweep while in the block.

  Every directory is locked, or none: the block does not run and the locks
  taken before are released. On leaving the block every lock is dropped,
  with the directories it created that stayed empty.

  Args:
    directories: the directories (each locked once).
    labels: an optional dict of directory -> what it is ('line 3'), for
      the message when one is busy.

  Raises:
    SweepBusy: naming the busy directory, what it is and the pid holding
      it.
  """
  directories = list(dict.fromkeys(directories))
  _allow_descriptors(len(directories))
  held = []  # (DirectoryLock, outermost directory it created).
  try:
    for directory in directories:
      created = dir_lock.first_missing(directory)
      lock = dir_lock.DirectoryLock(directory)
      try:
        lock.acquire()
      except dir_lock.DirectoryBusy as e:
        label = (labels or {}).get(directory)
        pid = dir_lock.holder(directory)
        message = str(e) if pid is None else (
            'another sweep (pid {}) is using {}; wait for it to finish or '
            'stop it'.format(pid, directory))
        raise SweepBusy('{}{}'.format(label + ': ' if label else '', message))
      held.append((lock, created))
    yield
  finally:
    for lock, created in reversed(held):
      lock.release()
      if created is not None:
        _remove_if_only_lock(lock.directory, created)


def _remove_if_only_lock(directory, outermost):
  """Removes a lock file and its directory, then the empty parents up to
  `outermost`, stopping at the first directory that holds anything else."""
  try:
    if os.listdir(directory) != [dir_lock.LOCK_FILE]:
      return
    os.remove(os.path.join(directory, dir_lock.LOCK_FILE))
    while True:
      os.rmdir(directory)
      if directory == outermost:
        return
      directory = os.path.dirname(directory)
  except OSError:
    return  # Filled meanwhile, or not empty: leave it.
