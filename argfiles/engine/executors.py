"""Ways of executing a sweep's runs: one by one, in local processes, on Ray.

Every executor has the same interface:

  executor.allocate(num_runs) -> Allocation(parallelism, threads_per_run)
  executor.run(runs, progress) -> list of run.RunResult

`run` executes every run, reports each start and end to the progress
tracker, and returns when all have ended; a failing run does not stop the
others, except those that read its output (schedule.py), which fail
without starting. A run starts only once the runs it reads from are done.
If the executor itself is interrupted (Ctrl-C, SIGTERM), it stops the runs
in flight, records them as failed ('interrupted') so a re-run executes them
again, and re-raises.

Every run is its own runner process (a fresh TensorFlow graph and session).
With more than one at a time, each gets thread-count environment variables
(resources.thread_environment) so that the runs together stay within the
cores.
"""

import collections
import time

from lottery_ticket.argfiles.engine import resources
from lottery_ticket.argfiles.engine import schedule as schedule_lib
from lottery_ticket.argfiles.engine import state as state_lib
from lottery_ticket.foundations import choices

# How often the local executor checks its processes, in seconds.
_POLL_SECONDS = 0.05
# How long the Ray executor waits for a task before updating the progress.
_RAY_WAIT_SECONDS = 1.0


class Allocation(collections.namedtuple(
    'Allocation', ['parallelism', 'threads_per_run'])):
  """How an executor spreads runs over the machine.

  Attributes:
    parallelism: how many runs execute at once.
    threads_per_run: the compute threads (Ray: CPUs) each run gets, or None
      if runs are not limited (they use every core).
  """


class ExecutorError(ValueError):
  """An executor was asked for with invalid settings or cannot start."""


def _check_positive(name, value):
  if value is not None and (value != int(value) or value < 1):
    raise ExecutorError('{} must be at least 1, got {}'.format(name, value))


class Executor(object):
  """The common interface and the loop every executor shares.

  The loop keeps up to `parallelism` runs in flight, starting waiting runs
  in line order as soon as the runs they read from are done (schedule.py),
  and failing without a start those that read from a failed run.
  Subclasses say how to spread runs (`allocate(num_runs)`: an
  Allocation), how to start a run (`_start(run, env)`: a RunResult if it
  failed to start, else None), how many are in flight (`_in_flight()`),
  how to wait a little for some to end (`_collect()`: the RunResults of
  those that did, possibly none) and how to stop every run in flight,
  recording it as failed (`_stop_all()`).
  """

  name = None

  def __init__(self, parallelism=None, cpus_per_run=None,
               memory_per_run_gb=None):
    """Checks the settings shared by every executor.

    Args:
      parallelism: how many runs to execute at once; None picks a default.
      cpus_per_run: the threads (Ray: CPUs) each run gets; None picks a
        default.
      memory_per_run_gb: the memory each run needs, in GiB; None leaves the
        executor's default.

    Raises:
      ExecutorError: if a number is less than 1 (memory: not positive).
    """
    _check_positive('parallelism', parallelism)
    _check_positive('cpus_per_run', cpus_per_run)
    if memory_per_run_gb is not None and not memory_per_run_gb > 0:
      raise ExecutorError('memory_per_run_gb must be positive, got {}'.format(
          memory_per_run_gb))
    self.parallelism = parallelism
    self.cpus_per_run = cpus_per_run
    self.memory_per_run_gb = memory_per_run_gb

  def describe(self, num_runs):
    """A one-line description of how num_runs runs will be spread."""
    allocation = self.allocate(num_runs)
    threads = ('all cores each' if allocation.threads_per_run is None else
               '{} thread(s) each'.format(allocation.threads_per_run))
    return '{} executor, {} at a time, {}'.format(
        self.name, allocation.parallelism, threads)

  def run(self, runs, progress):
    """Executes runs, reporting each start and end to progress (and letting
    it redraw its status line while they execute).

    Args:
      runs: the run.Run to execute, in line order.
      progress: a progress.Progress.

    Returns:
      The run.RunResult of every run, in the order they ended.

    Raises:
      KeyboardInterrupt: (or any other exception) after stopping the runs
        in flight and recording them as failed ('interrupted').
    """
    allocation = self.allocate(len(runs))
    env = ({} if allocation.threads_per_run is None else
           resources.thread_environment(allocation.threads_per_run))
    waiting = schedule_lib.Schedule(runs)
    results = []

    def settle(result):
      waiting.record(result)
      progress.finished(result)
      results.append(result)

    self._begin(allocation)
    try:
      while True:
        for run, failed in waiting.pop_blocked():
          settle(run.fail_unstarted(
              'not started: it reads the output of line {}, which '
              'failed'.format(failed)))
        started_failing = False
        while self._in_flight() < allocation.parallelism:
          run = waiting.pop_ready()
          if run is None:
            break
          progress.started(run)
          result = self._start(run, env)
          if result is not None:
            settle(result)
            started_failing = True
        if not self._in_flight():
          if not waiting:
            break
          if started_failing:
            continue  # Their dependants are blocked now; settle them.
          raise RuntimeError('no line can start; waiting: {}'.format(
              len(waiting)))
        for result in self._collect():
          settle(result)
        progress.tick()
    except BaseException:
      self._stop_all()
      raise
    finally:
      self._end()
    return results

  def _begin(self, allocation):
    """Prepares to start runs."""

  def _end(self):
    """Cleans up after the last run (also after an interruption)."""


class LocalExecutor(Executor):
  """Up to N runner processes at a time on this machine.

  By default N = min(cores, available memory / memory per run, runs) and
  each run gets floor(cores / N) threads.
  """

  name = 'local'

  def __init__(self, **kwargs):
    super(LocalExecutor, self).__init__(**kwargs)
    self._active = []

  def allocate(self, num_runs):
    parallelism = self.parallelism or resources.default_parallelism(
        num_runs, self.memory_per_run_gb)
    threads = self.cpus_per_run or resources.threads_per_run(parallelism)
    return Allocation(parallelism, threads)

  def _start(self, run, env):
    failed = run.start(env)
    if failed is None:
      self._active.append(run)
    return failed

  def _in_flight(self):
    return len(self._active)

  def _collect(self):
    time.sleep(_POLL_SECONDS)
    ended = []
    for run in list(self._active):
      returncode = run.process.poll()
      if returncode is not None:
        self._active.remove(run)
        ended.append(run.finish(returncode))
    return ended

  def _stop_all(self):
    while self._active:
      self._active.pop().stop(state_lib.INTERRUPTED)


class SequentialExecutor(LocalExecutor):
  """One run after another, each free to use every core."""

  name = 'sequential'

  def __init__(self, parallelism=None, **kwargs):
    if parallelism not in (None, 1):
      raise ExecutorError('the sequential executor runs one line at a time; '
                          'use --executor=local for --parallelism={}'.format(
                              parallelism))
    super(SequentialExecutor, self).__init__(parallelism=1, **kwargs)

  def allocate(self, num_runs):
    del num_runs  # Always one at a time.
    return Allocation(1, self.cpus_per_run)


def _execute_on_worker(run, env):
  """The Ray task: executes one run on whichever node Ray chose."""
  return run.execute(env)


class RayExecutor(Executor):
  """Each run a Ray task declaring the CPUs (and memory) it needs.

  Connects to the cluster at `address` ('auto' finds a cluster started on
  this machine with `ray start --head`), or starts a local Ray instance
  when no address is given and Ray is not already initialised. A Ray
  instance this executor started is shut down when the sweep ends.

  Each task asks for cpus_per_run CPUs (default 1) and, if
  memory_per_run_gb is given, that much memory; its runner process gets
  cpus_per_run threads. At most `parallelism` tasks are submitted at once
  (default: the cluster's CPUs / cpus_per_run), so Ray's queue holds no
  more than can run, and the progress counts stay truthful.

  The runner module, this package and the output directories must exist
  on every node (e.g. the same install and a shared file system).
  """

  name = 'ray'

  def __init__(self, address=None, **kwargs):
    """Imports Ray, an optional dependency, now: before any line is read.

    Raises:
      ExecutorError: if Ray is not installed, saying how to install it (or
        for a bad setting, see Executor).
    """
    super(RayExecutor, self).__init__(**kwargs)
    try:
      import ray  # pylint: disable=g-import-not-at-top
    except ImportError:
      raise ExecutorError("the ray executor needs Ray: pip install -e "
                          "'.[ray]' (or pip install ray)")
    self._ray = ray
    self.address = address
    self._started_ray = False
    self._task = None
    self._in_flight_runs = {}

  def _connect(self):
    """Ray, started (and later shut down) here unless already running."""
    if not self._ray.is_initialized():
      try:
        self._ray.init(address=self.address)
      except (ConnectionError, RuntimeError, ValueError) as e:
        message = (str(e).strip().splitlines() or [type(e).__name__])[0]
        raise ExecutorError('cannot start or reach Ray{}: {}'.format(
            ' at ' + self.address if self.address else '', message))
      self._started_ray = True
    return self._ray

  def allocate(self, num_runs):
    ray = self._connect()
    cpus = self.cpus_per_run or 1
    parallelism = self.parallelism
    if parallelism is None:
      cluster_cpus = int(ray.cluster_resources().get('CPU', 1))
      parallelism = max(1, min(cluster_cpus // cpus, max(1, num_runs)))
    return Allocation(parallelism, cpus)

  def _begin(self, allocation):
    options = {'num_cpus': allocation.threads_per_run, 'max_retries': 0}
    if self.memory_per_run_gb:
      options['memory'] = int(self.memory_per_run_gb * 2**30)
    self._task = self._connect().remote(_execute_on_worker).options(**options)

  def _end(self):
    if self._started_ray:
      self._ray.shutdown()
      self._started_ray = False

  def _start(self, run, env):
    self._in_flight_runs[self._task.remote(run, env)] = run
    return None

  def _in_flight(self):
    return len(self._in_flight_runs)

  def _collect(self):
    ready, _ = self._ray.wait(list(self._in_flight_runs), num_returns=1,
                              timeout=_RAY_WAIT_SECONDS)
    ended = []
    for reference in ready:
      run = self._in_flight_runs.pop(reference)
      try:
        ended.append(self._ray.get(reference))
      except Exception as e:  # pylint: disable=broad-except
        ended.append(self._record_task_failure(run, e))
    return ended

  def _stop_all(self):
    for reference, run in self._in_flight_runs.items():
      self._ray.cancel(reference)  # The task then stops its runner process.
      self._record_task_failure(run, state_lib.INTERRUPTED)
    self._in_flight_runs = {}

  def _record_task_failure(self, run, error):
    """Records a run whose Ray task died (it could not record itself)."""
    if not isinstance(error, str):
      lines = [row for row in str(error).splitlines() if row.strip()]
      error = 'ray task failed: {}'.format(
          lines[-1].strip() if lines else type(error).__name__)
    record = run.read_state() or state_lib.new_state(
        run.line.argv, run.log_path, run.runner)
    record['start_time'] = record.get('start_time') or time.time()
    return run.record_end(record, state_lib.FAILED, record.get('returncode'),
                          error)


EXECUTORS = {executor.name: executor for executor in (
    SequentialExecutor, LocalExecutor, RayExecutor)}


def make_executor(name, address=None, **kwargs):
  """Builds an executor by name.

  Args:
    name: 'sequential', 'local' or 'ray'.
    address: the Ray cluster's address (ray only).
    **kwargs: parallelism, cpus_per_run, memory_per_run_gb (see Executor).

  Returns:
    An Executor.

  Raises:
    ExecutorError: if there is no such executor, an address is given to an
      executor other than ray, or a setting is invalid.
  """
  choices.check('executor', name, EXECUTORS, ExecutorError)
  if name == RayExecutor.name:
    kwargs['address'] = address
  elif address:
    raise ExecutorError('--address is for the ray executor, not {}'.format(
        name))
  return EXECUTORS[name](**kwargs)
