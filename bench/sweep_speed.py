"""Wall time of one small lottery sweep, run sequentially and in parallel.

  python -m lottery_ticket.bench.sweep_speed [--runs=8] [--parallelism=2]
      [--iterations=1] [--training_len=300it] [--repeats=1]
      [--output_dir=DIR] [--keep] [--verbose]

Generates `runs` lottery ticket trials on the offline digits dataset (each a
few seconds), executes them once with the sequential executor (one run at a
time, TensorFlow free to use every core) and once with the local executor
(`parallelism` runs at a time, the cores split among them by thread-count
environment variables), each into a fresh directory, and prints both wall
times, their ratio and the thread split. Small runs spend much of their time
in single-threaded work (starting Python, importing TensorFlow, building the
graph), which is why running them side by side pays.

On a machine shared with other work, other processes take cores away from
one timing or the other; --repeats=N alternates the two sweeps N times and
reports each one's fastest time (the one least disturbed) next to all the
times. As a yardstick, the benchmark also times `parallelism` copies of a
pure-Python busy loop run side by side against the same copies run one
after another: the best speedup any executor could get from this machine
at that moment.
"""

import io
import shutil
import subprocess
import sys
import tempfile
import time

from lottery_ticket import command_line

from lottery_ticket.argfiles import lines as lines_lib
from lottery_ticket.argfiles import lottery_experiment_argfile
from lottery_ticket.argfiles import sweep as sweep_lib
from lottery_ticket.argfiles.engine import executors
from lottery_ticket.argfiles.engine import programs
from lottery_ticket.argfiles.engine import resources
from lottery_ticket.argfiles.engine import state as state_lib
from lottery_ticket.foundations.storage import progress

LOTTERY = 'lottery_ticket.mnist_fc.runners.lottery_experiment'
TARGET_SPEEDUP = 1.6


def time_sweep(executor, output_dir, runs, iterations, training_len,
               verbose=False):
  """Runs one sweep into output_dir and returns its wall time in seconds.

  Args:
    executor: an executors.Executor.
    output_dir: a fresh base directory for the sweep.
    runs: the number of trials.
    iterations: pruning iterations per trial.
    training_len: training length per level.
    verbose: print the sweep's progress to stderr.

  Returns:
    The sweep's wall time in seconds.

  Raises:
    RuntimeError: if any run failed (a timing of failures means nothing).
  """
  text = '\n'.join(lottery_experiment_argfile.make_lines(
      output_dir, trials=runs, iterations=iterations, dataset='digits',
      training_len=training_len))
  sweep_runs = sweep_lib.plan(programs.Program(LOTTERY),
                              lines_lib.parse_text(text))
  stream = sys.stderr if verbose else io.StringIO()
  begin = time.time()
  results = sweep_lib.run_sweep(sweep_runs, sweep_runs, executor,
                               stream=stream)
  elapsed = time.time() - begin
  failures = [r for r in results if r.status != state_lib.DONE]
  if failures:
    raise RuntimeError('{} of {} runs failed under {}; first: {} (log: {})'
                       .format(len(failures), runs, executor.name,
                               failures[0].error, failures[0].log_path))
  return elapsed


# A CPU-bound child process of about a second, for the yardstick.
_BUSY_LOOP = 'total = 0\nfor i in range(12000000):\n  total += i\n'


def machine_speedup(parallelism):
  """How much faster `parallelism` busy loops finish side by side.

  Args:
    parallelism: the number of CPU-bound processes.

  Returns:
    (time one after another) / (time side by side), as a float.
  """
  command = [sys.executable, '-c', _BUSY_LOOP]
  begin = time.time()
  for _ in range(parallelism):
    subprocess.run(command, check=True)
  one_by_one = time.time() - begin
  begin = time.time()
  processes = [subprocess.Popen(command) for _ in range(parallelism)]
  for process in processes:
    process.wait()
  return one_by_one / (time.time() - begin)


def main(runs=8, parallelism=2, iterations=1, training_len='300it',
         repeats=1, output_dir=None, keep=False, verbose=False):
  """Times the sweep under both executors and prints the comparison.

  Args:
    runs: the number of trials in the sweep.
    parallelism: runs at once under the local executor.
    iterations: pruning iterations per trial.
    training_len: training length per level.
    repeats: how many times to time each executor (alternating).
    output_dir: where the sweeps write; None means a temporary directory,
      removed afterwards unless keep.
    keep: keep the temporary directory.
    verbose: print each sweep's progress (otherwise a progress bar over
      the sweeps shows on a terminal's stderr).
  """
  base = output_dir or tempfile.mkdtemp(prefix='sweep_speed_')
  sequential = executors.make_executor('sequential')
  local = executors.make_executor('local', parallelism=parallelism)
  times = {sequential.name: [], local.name: []}
  try:
    with progress.Bar(1 + 2 * repeats, 'sweep_speed', unit='timings',
                      quiet=verbose) as bar:
      yardstick = machine_speedup(parallelism)
      bar.update()
      for repeat in range(repeats):
        for executor in (sequential, local):
          directory = '{}/{}{}'.format(base, executor.name, repeat)
          times[executor.name].append(time_sweep(
              executor, directory, runs, iterations, training_len, verbose))
          bar.update()
  finally:
    if output_dir is None and not keep:
      shutil.rmtree(base, ignore_errors=True)
  threads = local.allocate(runs).threads_per_run
  best = {name: min(seconds) for name, seconds in times.items()}
  speedup = best[sequential.name] / best[local.name]

  def all_times(name):
    if repeats == 1:
      return ''
    return '  all: ' + ', '.join('{:.1f}'.format(t) for t in times[name])

  print('sweep: {} lottery runs, digits, {} iteration(s) of {} each, '
        '{} cores'.format(runs, iterations, training_len,
                          resources.cpu_count()))
  print('sequential: {:7.1f} s  (1 run at a time, the library default '
        'threads: 1 intra-op + 2 inter-op){}'.format(best[sequential.name],
                              all_times(sequential.name)))
  print('local:      {:7.1f} s  ({} runs at a time, {} intra-op + 1 '
        'inter-op thread each, OMP_NUM_THREADS={}){}'.format(
            best[local.name], parallelism, threads, threads,
            all_times(local.name)))
  print('speedup:    {:7.2f}x (target >= {}x){}'.format(
      speedup, TARGET_SPEEDUP,
      '' if speedup >= TARGET_SPEEDUP else '  BELOW TARGET'))
  print('machine:    {:7.2f}x for {} busy loops side by side (the most this '
        'machine gave when measured)'.format(yardstick, parallelism))
  if keep and output_dir is None:
    print('outputs kept in ' + base)


RUNNER = command_line.command(main, 'bench.sweep_speed')


if __name__ == '__main__':
  command_line.run(RUNNER)
