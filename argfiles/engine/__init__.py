"""The generic sweep engine: running flag lines as resumable processes.

Nothing here knows this library's runners, datasets or trials; it runs any
runner CLI once per line (argfiles/sweep.py plans which lines may start).

  programs.py   the runner CLI: its command, output directories, checks
  run.py        one line executed in its own process, with its log
  state.py      the per-line record that makes a sweep resumable
  schedule.py   which runs may start: each after the runs it reads from
  sweep_lock.py one sweep at a time on each record
  lifeline.py   runs that die with their sweep
  executors.py  sequential, local processes, Ray tasks
  resources.py  cores, memory, thread counts
  progress.py   progress and summary on stderr
"""
