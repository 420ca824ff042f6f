"""Batch sweeps: flag-line generators, and a runner that executes them.

Generators (each a command printing one flag line per run, or with --pack
one per configuration training all its trials as one pack, and a
`make_lines` function returning them; their flags are their runner's,
plus a few of their own):
  lottery_experiment_argfile  lottery ticket trials
  reinitialize_argfile        reinit / reuse / reuse_sign controls
  sparse_train_argfile        the gradient-flow comparison of sparse methods
  generator_support           what they share (command line, checks, lines)

The runner (`python -m lottery_ticket.argfiles.runner RUNNER ARGFILE`):
  runner.py     the command line
  sweep.py      planning a sweep (output directories, duplicates, inputs)
  schedule.py   which runs may start: each after the runs it reads from
  lines.py      reading lines from files, generators and scripts
  programs.py   the runner CLI: its command, output directories, checks
  run.py        one line executed in its own process, with its log
  state.py      the per-line record that makes a sweep resumable
  changes.py    lines whose arguments changed since they ran
  preflight.py  checks before any line starts (datasets, runner flags)
  sweep_lock.py one sweep at a time on each record
  lifeline.py   runs that die with their sweep
  executors.py  sequential, local processes, Ray tasks
  resources.py  cores, memory, thread counts
  progress.py   progress and summary on stderr
"""
