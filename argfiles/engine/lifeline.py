"""Runner processes that die with the sweep that started them.

A sweep stops its runs when it is interrupted (Ctrl-C, SIGTERM), but
SIGKILL, an out-of-memory kill or a lost terminal end it without a word: its
children would keep training, writing outputs nobody records, while a
re-run of the sweep starts the same lines beside them. On Linux each child
asks the kernel, before it executes the runner, to be sent SIGKILL when its
parent dies (prctl PR_SET_PDEATHSIG), so no run outlives its sweep.

Elsewhere the kernel offers no such guarantee; the sweep then records each
child's pid and host, and a re-run refuses to start while a recorded child
on this host is still alive (see `alive`).
"""

import ctypes
import os
import signal
import sys

_PR_SET_PDEATHSIG = 1


def _load_prctl():
  """libc's prctl, or None where there is none (not Linux)."""
  if not sys.platform.startswith('linux'):
    return None
  try:
    prctl = ctypes.CDLL(None, use_errno=True).prctl
  except (OSError, AttributeError):
    return None
  prctl.restype = ctypes.c_int
  prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong,
                    ctypes.c_ulong, ctypes.c_ulong]
  return prctl


# Loaded once in the parent: the child, between fork and exec, should only
# make the call, not look anything up.
_PRCTL = _load_prctl()

# Whether children started with `preexec_function` die with their parent.
CHILDREN_DIE_WITH_PARENT = _PRCTL is not None


def preexec_function():
  """What a child runs between fork and exec so it dies with this process.

  Returns:
    A function for subprocess.Popen's preexec_fn, or None where children
    cannot be tied to their parent (then use `alive` on a re-run).
  """
  if _PRCTL is None:
    return None
  parent = os.getpid()

  def die_with_parent():
    _PRCTL(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    # The parent may have died before the request was made: the kernel
    # would then never send the signal, so the child ends itself.
    if os.getppid() != parent:
      os.kill(os.getpid(), signal.SIGKILL)

  return die_with_parent


def alive(pid):
  """Whether a process with this pid exists on this machine.

  Args:
    pid: an int, or None.

  Returns:
    True if the process exists (also when it belongs to another user) and
    is not a zombie (dead, waiting to be reaped), False otherwise or for
    None.
  """
  if not pid:
    return False
  try:
    os.kill(int(pid), 0)
  except ProcessLookupError:
    return False
  except PermissionError:
    pass
  return not _is_zombie(int(pid))


def _is_zombie(pid):
  """Whether /proc says the process has exited and awaits its reaper."""
  try:
    with open('/proc/{}/stat'.format(pid)) as f:
      stat = f.read()
  except OSError:
    return False  # No /proc (not Linux), or the process is gone meanwhile.
  return stat.rpartition(')')[2].split()[:1] == ['Z']
