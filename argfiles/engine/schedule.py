"""The order runs may start in: each after the runs whose outputs it reads.

A line depends on an earlier line when one of its flag values is that
line's output directory (see sweep.plan), as a sparse-training `lottery`
line names its `prune` run in --mask_from. A Schedule hands out the
waiting runs, in line order, as their dependencies finish, and gives up on
those a failed run would have fed, so a parallel sweep never starts a run
before its inputs exist.
"""

from lottery_ticket.argfiles.engine import state as state_lib


class Schedule(object):
  """The runs of one invocation still to start, and what holds them back."""

  def __init__(self, runs):
    """Starts with every run waiting.

    Args:
      runs: the runs to execute (run.Run, each with depends_on). A
        dependency outside this list counts as done: the sweep skipped it
        because an earlier invocation finished it.
    """
    self._waiting = list(runs)
    self._unfinished = {run.line.number for run in runs}
    self._failed = set()

  def __len__(self):
    return len(self._waiting)

  def record(self, result):
    """Notes that a run has ended.

    Args:
      result: its run.RunResult.
    """
    self._unfinished.discard(result.number)
    if result.status != state_lib.DONE:
      self._failed.add(result.number)

  def pop_blocked(self):
    """Removes and returns the waiting runs a failed run would have fed.

    Returns:
      A list of (run, the number of the failed line it depends on).
    """
    blocked = []
    for run in list(self._waiting):
      failed = [n for n in run.depends_on if n in self._failed]
      if failed:
        self._waiting.remove(run)
        self._unfinished.discard(run.line.number)
        self._failed.add(run.line.number)  # Its dependants cannot run either.
        blocked.append((run, failed[0]))
    return blocked

  def pop_ready(self):
    """Removes and returns the first waiting run whose inputs are done.

    Returns:
      A run.Run, or None if every waiting run waits for a running one.
    """
    for run in self._waiting:
      if not any(n in self._unfinished or n in self._failed
                 for n in run.depends_on):
        self._waiting.remove(run)
        return run
    return None
