"""One writer per directory: an OS file lock that dies with its process.

A run directory (or a sweep's state directory) is written by one process at
a time. The lock is `flock` on a file `.lock` inside the directory, held for
the life of the process (or until released): the kernel drops it when the
process exits, however it exits, so a killed run never leaves a stale lock.
The file records the holder's pid, so a refused second process can name it.

A run's lock covers the directory tree beneath it (`subtree=True`, the
file then reads `{pid} subtree`), in both directions: a run inside a
directory another process holds is refused (an enclosing lock, found by
looking at each parent), and so is a run around a directory another process
holds (a lock inside, found by walking the tree's `.lock` files). Only
subtree locks count in either direction: a sweep's plain lock on its
bookkeeping directory inside a run's directory is not a run.

Two processes may try overlapping trees at the same moment (a lottery
experiment in Y, a run in Y/a/b). Each first takes its own lock, then looks
for the other's, and gives its lock up if it finds one: whichever looks
second finds the first, so at worst both are refused and never both
accepted. Before taking its lock, each also looks once, so that a refusal
in the common case creates nothing.

A refused or failed process removes what taking its lock created (the lock
file, the directories made for it) while it still holds the lock; a
process that opened the old file meanwhile finds, once it holds the lock,
that the file at the path is no longer the one it locked, and tries again
on the new one. The lock file is never followed when it is a symbolic link.
"""

import errno
import fcntl
import os
import time

LOCK_FILE = '.lock'
_SUBTREE = 'subtree'

# The real paths of the directories this process holds, so that its own
# enclosing locks do not refuse it.
_HELD = set()


class DirectoryBusy(ValueError):
  """Another process holds the directory's lock (a user error: exit 2)."""


class UnsafeLink(ValueError):
  """A write or delete would go through a symbolic link (exit 2)."""


def _busy(what, pid):
  """The refusal of `what` (a directory, or a phrase ending in one) that
  process `pid` holds."""
  return DirectoryBusy('{} is in use by another process (pid {}); wait for '
                       'it to finish or stop it'.format(what, pid))


def _read_holder(fd):
  """(pid or 'unknown', covers its subtree) from a lock file."""
  words = os.pread(fd, 64, 0).decode('ascii', 'replace').split()
  return (words[0] if words else 'unknown'), _SUBTREE in words[1:]


def _open_lock_file(directory, flags):
  path = os.path.join(directory, LOCK_FILE)
  try:
    return os.open(path, flags | os.O_NOFOLLOW, 0o666)
  except OSError as error:
    if error.errno == errno.ELOOP:
      raise UnsafeLink('{} is a symbolic link; refusing to write through '
                       'it'.format(path)) from error
    raise


def holder(directory, subtree_only=False):
  """The pid (a str) of another process holding `directory`'s lock, else
  None; creates nothing.

  Args:
    directory: a directory that may hold a lock file.
    subtree_only: count only locks that cover their subtree.
  """
  if os.path.realpath(directory) in _HELD:
    return None
  try:
    fd = _open_lock_file(directory, os.O_RDONLY)
  except (OSError, UnsafeLink):
    return None
  try:
    fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
  except BlockingIOError:
    pid, subtree = _read_holder(fd)
    return pid if subtree or not subtree_only else None
  finally:
    os.close(fd)  # also drops the shared lock just taken, if any
  return None


def _overlapping_holder(real, shown):
  """The refusal of a subtree lock on `real` (shown as `shown`) that
  overlaps another process's subtree lock: one above it (looking at each
  parent) or one beneath it (walking the tree's lock files without
  following symbolic links); None when there is none."""
  directory = real
  while os.path.dirname(directory) != directory:
    directory = os.path.dirname(directory)
    pid = holder(directory, subtree_only=True)
    if pid:
      return _busy('{} is inside {}, which'.format(shown, directory), pid)
  for parent, unused_dirnames, filenames in os.walk(real):
    pid = (parent != real and LOCK_FILE in filenames and
           holder(parent, subtree_only=True))
    if pid:
      return _busy('{} holds {}, which'.format(shown, parent), pid)
  return None


def first_missing(path):
  """The outermost directory that creating `path` would create, or None."""
  missing = None
  while not os.path.lexists(path):
    missing = path
    parent = os.path.dirname(path)
    if parent == path:
      break
    path = parent
  return missing


def _flock_exclusive(fd, attempts=5, pause=0.01):
  """Whether the exclusive lock of `fd` was taken. A process looking for
  holders (`holder`) takes the shared lock for an instant: a few attempts
  tell that instant from a holder."""
  for attempt in range(attempts):
    try:
      fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
      return True
    except BlockingIOError:
      if attempt + 1 < attempts:
        time.sleep(pause)
  return False


class DirectoryLock(object):
  """An exclusive lock on a directory; a context manager.

  Attributes:
    directory: the locked directory.
  """

  def __init__(self, directory, subtree=False):
    self.directory = os.path.abspath(directory)
    self.subtree = subtree
    self._fd = None
    self._created_dir = None   # the outermost directory acquire made
    self._created_file = False  # whether acquire made the lock file

  def acquire(self):
    """Takes the lock, creating the directory if needed.

    Raises:
      DirectoryBusy: naming the pid of the process that holds it (or, for a
        subtree lock, of a subtree lock enclosing it or inside it).
      UnsafeLink: when the lock file is a symbolic link.
    """
    if self._fd is not None:
      return self
    real = os.path.realpath(self.directory)
    if self.subtree:
      busy = _overlapping_holder(real, self.directory)
      if busy:
        raise busy  # nothing created yet
    self._created_dir = first_missing(self.directory)
    os.makedirs(self.directory, exist_ok=True)
    fd = self._lock_file()
    os.ftruncate(fd, 0)
    text = str(os.getpid()) + (' ' + _SUBTREE if self.subtree else '')
    os.pwrite(fd, text.encode('ascii'), 0)
    self._fd = fd
    self._real = real
    _HELD.add(real)
    if self.subtree:
      busy = _overlapping_holder(real, self.directory)  # see the docstring
      if busy:
        self.release(remove_created=True)
        raise busy
    return self

  def _lock_file(self):
    """A descriptor of the lock file, exclusively locked: the file at the
    path once locked (one removed meanwhile by its holder is tried again)."""
    path = os.path.join(self.directory, LOCK_FILE)
    while True:
      existed = os.path.lexists(path)
      fd = _open_lock_file(self.directory, os.O_RDWR | os.O_CREAT)
      if not _flock_exclusive(fd):
        pid, _ = _read_holder(fd)
        os.close(fd)
        raise _busy(self.directory, pid)
      try:
        current = os.stat(path, follow_symlinks=False)
      except FileNotFoundError:
        current = None
      if current and os.path.samestat(current, os.fstat(fd)):
        self._created_file = self._created_file or not existed
        return fd
      os.close(fd)

  def release(self, remove_created=False):
    """Drops the lock.

    Args:
      remove_created: also remove the lock file, if acquire created it, and
        the directories it created, if nothing else has filled them (a
        refused or failed run leaves no trace).
    """
    if self._fd is None:
      return
    if remove_created:
      self._remove_created()
    os.close(self._fd)  # closing the descriptor drops the flock
    self._fd = None
    _HELD.discard(self._real)

  def _remove_created(self):
    """Removes, while still locked, what acquire created and nothing else
    filled: the lock file, then the emptied directories up to the
    outermost one it made."""
    try:
      if self._created_file:
        os.remove(os.path.join(self.directory, LOCK_FILE))
        self._created_file = False
      directory = self.directory
      while self._created_dir:
        os.rmdir(directory)  # fails on a directory something else filled
        if directory == self._created_dir:
          break
        directory = os.path.dirname(directory)
    except OSError:
      pass  # filled meanwhile: leave it as it is

  @property
  def held(self):
    return self._fd is not None

  def __enter__(self):
    return self.acquire()

  def __exit__(self, *unused_exc):
    self.release()


def refuse_outside_links(root, directory=None):
  """Refuses symbolic links that would take writes out of `root`.

  Checks each path component from `root` down to `directory`, and every
  entry beneath `directory` (links are not followed): a symbolic link whose
  target resolves outside `root` is refused.

  Args:
    root: the output directory the user gave.
    directory: a directory beneath it that will be written (default: root).

  Raises:
    UnsafeLink: naming the link and where it leads.
  """
  real_root = os.path.realpath(root)
  directory = directory or root

  def check(path):
    if os.path.islink(path):
      target = os.path.realpath(path)
      if os.path.commonpath([real_root, target]) != real_root:
        raise UnsafeLink('{} is a symbolic link to {}, outside {}; refusing to '
                         'write or delete through it'.format(path, target,
                                                             root))

  path = root
  for part in os.path.relpath(directory, root).split(os.sep):
    if part not in ('', '.'):
      path = os.path.join(path, part)
      check(path)
  for parent, dirnames, filenames in os.walk(directory):
    for name in dirnames + filenames:
      check(os.path.join(parent, name))
