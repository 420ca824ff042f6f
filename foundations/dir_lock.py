"""One writer per directory: an OS file lock that dies with its process.

A run directory (or a sweep's state directory) is written by one process at
a time. The lock is `flock` on a file `.lock` inside the directory, held for
the life of the process (or until released): the kernel drops it when the
process exits, however it exits, so a killed run never leaves a stale lock.
The file records the holder's pid, so a refused second process can name it.
"""

import fcntl
import os

LOCK_FILE = '.lock'


class DirectoryBusy(ValueError):
  """Another process holds the directory's lock (a user error: exit 2)."""


class DirectoryLock(object):
  """An exclusive lock on a directory; a context manager.

  Attributes:
    directory: the locked directory.
  """

  def __init__(self, directory):
    self.directory = os.path.abspath(directory)
    self._fd = None

  def acquire(self):
    """Takes the lock, creating the directory if needed.

    Raises:
      DirectoryBusy: naming the pid of the process that holds it.
    """
    if self._fd is not None:
      return self
    os.makedirs(self.directory, exist_ok=True)
    path = os.path.join(self.directory, LOCK_FILE)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
      fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
      holder = os.pread(fd, 32, 0).decode('ascii', 'replace').strip()
      os.close(fd)
      raise DirectoryBusy('{} is in use by another process (pid {}); wait for '
                          'it to finish or stop it'.format(
                              self.directory, holder or 'unknown'))
    os.ftruncate(fd, 0)
    os.pwrite(fd, str(os.getpid()).encode('ascii'), 0)
    self._fd = fd
    return self

  def release(self):
    if self._fd is not None:
      os.close(self._fd)  # closing the descriptor drops the flock
      self._fd = None

  @property
  def held(self):
    return self._fd is not None

  def __enter__(self):
    return self.acquire()

  def __exit__(self, *unused_exc):
    self.release()
