"""How much of this machine a sweep may use, and how to split it among runs.

A sweep runs several runner processes at once. Each of them builds its own
TensorFlow session, which by default starts as many threads as there are
cores; N such processes on C cores would then fight over them. The helpers
here pick a number of parallel runs that the cores and the memory can hold,
and the thread-count environment variables that keep N runs within the
cores.
"""

import os

# Memory one small runner process is assumed to need when none is given.
DEFAULT_MEMORY_PER_RUN_GB = 2.0

# The environment variables every runner reads for its session's threads.
INTRA_OP_THREADS_VAR = 'LOTTERY_TICKET_INTRA_OP_THREADS'
INTER_OP_THREADS_VAR = 'LOTTERY_TICKET_INTER_OP_THREADS'


def cpu_count():
  """The number of cores this process may run on (at least 1).

  Returns:
    An int: the affinity mask's size where the platform has one, otherwise
    os.cpu_count().
  """
  try:
    return max(1, len(os.sched_getaffinity(0)))
  except AttributeError:  # Not every platform has an affinity mask.
    return max(1, os.cpu_count() or 1)


def available_memory_gb():
  """Memory available for new processes, in GiB, or None when unknown.

  Returns:
    A float read from /proc/meminfo's MemAvailable where it exists, else the
    physical memory size from sysconf, else None.
  """
  try:
    with open('/proc/meminfo') as meminfo:
      for row in meminfo:
        if row.startswith('MemAvailable:'):
          return int(row.split()[1]) / 2**20  # The value is in KiB.
  except OSError:
    pass
  try:
    return os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30
  except (AttributeError, ValueError, OSError):
    return None


def default_parallelism(num_runs, memory_per_run_gb=None):
  """How many runs to execute at once on this machine.

  Args:
    num_runs: the number of runs waiting to execute.
    memory_per_run_gb: memory one run needs, in GiB; None means
      DEFAULT_MEMORY_PER_RUN_GB.

  Returns:
    min(cores, available memory / memory per run, num_runs), at least 1.
  """
  memory_per_run_gb = memory_per_run_gb or DEFAULT_MEMORY_PER_RUN_GB
  limits = [cpu_count(), max(1, num_runs)]
  memory = available_memory_gb()
  if memory is not None:
    limits.append(int(memory // memory_per_run_gb))
  return max(1, min(limits))


def threads_per_run(parallelism, cpus=None):
  """The threads each of `parallelism` concurrent runs may use.

  Args:
    parallelism: the number of runs executing at once (>= 1).
    cpus: the cores to share among them; None means cpu_count().

  Returns:
    floor(cpus / parallelism), at least 1, so parallelism * threads <= cpus
    whenever parallelism <= cpus.
  """
  cpus = cpus or cpu_count()
  return max(1, cpus // max(1, parallelism))


def thread_environment(threads):
  """Environment variables limiting one run to `threads` compute threads.

  TensorFlow's intra-op pool gets all the threads and its inter-op pool a
  single one: the small graphs of these experiments have little to run
  side by side, and a wide inter-op pool would only add threads competing
  for the same cores. OpenMP and the BLAS libraries numpy may load are held
  to the same count.

  Args:
    threads: a positive int (the executors' Allocation, whose settings
      were checked).

  Returns:
    A dict of environment variable names to string values.
  """
  count = str(int(threads))
  return {
      INTRA_OP_THREADS_VAR: count,
      INTER_OP_THREADS_VAR: '1',
      'OMP_NUM_THREADS': count,
      'OPENBLAS_NUM_THREADS': count,
      'MKL_NUM_THREADS': count,
  }

