"""Batch sweeps: flag-line generators, and a runner that executes them.

Generators (each a command printing one flag line per run, or with --pack
one per configuration training all its trials as one pack, and a
`make_lines` function returning them; their flags are their runner's,
plus a few of their own):
  lottery_experiment_argfile  lottery ticket trials
  reinitialize_argfile        reinit / reuse / reuse_sign controls
  sparse_train_argfile        the gradient-flow comparison of sparse methods
  generator_support           what they share (command line, checks, lines)

The sweep runner (`python -m lottery_ticket.argfiles.runner RUNNER ARGFILE`)
and what it knows of this library:
  runner.py     the command line
  sweep.py      planning a sweep (output directories, packed trials, inputs)
  lines.py      reading lines from files, generators and scripts
  changes.py    lines whose arguments changed since they ran
  preflight.py  checks before any line starts (datasets, runner flags)

The generic engine it drives (`engine/`: runner processes, records, locks,
executors, Ray), which knows nothing of this library's runners.
"""
