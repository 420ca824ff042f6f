"""The directory lock: one holder, named in the refusal, gone with its process."""

import os
import subprocess
import sys

import pytest

from lottery_ticket.foundations.storage import dir_lock

HOLD = ('import sys, time\n'
        'from lottery_ticket.foundations.storage import dir_lock\n'
        'dir_lock.DirectoryLock(sys.argv[1]).acquire()\n'
        'print("held", flush=True)\n'
        'time.sleep(60)\n')


def test_second_process_is_refused_by_pid_and_lock_dies_with_holder(tmp_path):
  holder = subprocess.Popen([sys.executable, '-c', HOLD, str(tmp_path)],
                            stdout=subprocess.PIPE, text=True)
  try:
    assert holder.stdout.readline().strip() == 'held'
    with pytest.raises(dir_lock.DirectoryBusy, match='pid {}'.format(holder.pid)):
      dir_lock.DirectoryLock(str(tmp_path)).acquire()
  finally:
    holder.kill()
    holder.wait()
  # SIGKILL leaves no stale lock.
  with dir_lock.DirectoryLock(str(tmp_path)) as lock:
    assert lock.held
    with open(os.path.join(str(tmp_path), dir_lock.LOCK_FILE)) as f:
      assert f.read() == str(os.getpid())
  assert not lock.held
