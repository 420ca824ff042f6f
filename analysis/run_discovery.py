"""Finding the runs of an experiment directory tree and saying what each is.

A run directory is any directory holding both `config.json` and
`metrics.json`. The tree around it can take several shapes:

  lottery levels     {experiment}/trial{T}/{level}/{experiment_name}/
                     config.json says 'experiment': 'lottery', the level and
                     the experiment name.
  controls           {experiment}/trial{T}/{level}/{reinit|reuse|reuse_sign}/
                     written by the single-run trainer, so the level and the
                     name come from the path.
  sparse training    {experiment}/{method}/sparsity{s}/trial{T}/
                     config.json says 'experiment': 'sparse_train', the
                     method and the sparsity.

Every run is described by a `RunInfo`: its kind ('lottery', 'sparse' or
'train'), its name (experiment name or method), its key inside that name
(the pruning level, or the sparsity) and its trial. Runs that agree on
(kind, name, key) are the trials of one group.
"""

import dataclasses
import os
import re
from typing import Optional

from lottery_ticket.foundations import paths
from lottery_ticket.foundations import save_restore

LOTTERY = 'lottery'
SPARSE = 'sparse'
TRAIN = 'train'

_TRIAL = re.compile(r'^trial(.+)$')


@dataclasses.dataclass
class RunInfo(object):
  """Where a run lives and which group and trial it belongs to.

  Attributes:
    run_dir: the run directory.
    kind: 'lottery' (a level of a lottery experiment or one of its controls),
      'sparse' (a sparse-training run) or 'train' (anything else).
    name: experiment name (same_init, reinit, ...) or sparse method.
    key: the pruning level (int) for lottery runs, the sparsity (float) for
      sparse runs, None otherwise.
    trial: the trial label (from a trial{T} path component, else the seed).
    finished: whether the run's DONE marker exists.
    config: the parsed config.json.
  """
  run_dir: str
  kind: str
  name: str
  key: Optional[object]
  trial: str
  finished: bool
  config: dict

  @property
  def group(self):
    """(kind, name, key): the runs sharing it are trials of one setting."""
    return (self.kind, self.name, self.key)


def is_run_dir(directory):
  """Whether `directory` holds config.json and metrics.json."""
  return (os.path.isfile(paths.config(directory)) and
          os.path.isfile(paths.metrics(directory)))


def find_run_dirs(experiment_dir):
  """Every run directory under `experiment_dir` (itself included), sorted.

  Raises:
    ValueError: if `experiment_dir` is not a directory.
  """
  if not os.path.isdir(experiment_dir):
    raise ValueError('No such experiment directory: {}'.format(experiment_dir))
  found = []
  for directory, subdirs, _ in os.walk(experiment_dir):
    # Hidden directories hold staging copies and sweep bookkeeping.
    subdirs[:] = sorted(d for d in subdirs if not d.startswith('.'))
    if is_run_dir(directory):
      found.append(directory)
  return sorted(found)


def describe(run_dir):
  """The RunInfo of one run directory.

  Raises:
    ValueError: if config.json cannot be read.
  """
  try:
    config = save_restore.read_json(paths.config(run_dir))
  except (OSError, ValueError) as error:
    raise ValueError('Unreadable {}: {}'.format(paths.config(run_dir),
                                                error)) from error
  parts = os.path.normpath(os.path.abspath(run_dir)).split(os.sep)
  finished = os.path.exists(paths.done_marker(run_dir))
  experiment = config.get('experiment')
  if experiment == 'lottery':
    kind, name, key = LOTTERY, config.get('experiment_name') or parts[-1], int(
        config.get('level', _int_or_none(parts[-2]) or 0))
  elif experiment == 'sparse_train':
    kind, name = SPARSE, str(config.get('method') or parts[-1])
    key = float(config.get('sparsity') or 0.0)
  elif _int_or_none(parts[-2]) is not None:
    # A control (reinit, reuse, ...) trained by the single-run trainer into
    # {trial}/{level}/{mode}: the path is all that names it.
    kind, name, key = LOTTERY, parts[-1], _int_or_none(parts[-2])
  else:
    kind, name, key = TRAIN, parts[-1], None
  return RunInfo(run_dir=run_dir, kind=kind, name=name, key=key,
                 trial=_trial(parts, config), finished=finished, config=config)


def find_runs(experiment_dir, include_unfinished=False):
  """The RunInfo of every run under `experiment_dir`.

  Args:
    experiment_dir: the root of the tree (a trial or a single run is fine).
    include_unfinished: also return runs without a DONE marker (their
      metrics stop where they were last written).

  Returns:
    A list of RunInfo sorted by (kind, name, key, trial).

  Raises:
    ValueError: if there is no (finished) run under `experiment_dir`.
  """
  dirs = find_run_dirs(experiment_dir)
  if not dirs:
    raise ValueError('No runs under {} (a run is a directory with config.json '
                     'and metrics.json)'.format(experiment_dir))
  runs = [describe(d) for d in dirs]
  if not include_unfinished:
    runs = [r for r in runs if r.finished]
    if not runs:
      raise ValueError('No finished runs under {} ({} unfinished, without a DONE '
                       'file; pass include_unfinished=True to read them)'.format(
                           experiment_dir, len(dirs)))
  return sorted(runs, key=_sort_key)


def _sort_key(run):
  key = run.key if run.key is not None else -1
  return (run.kind, run.name, key, _natural(run.trial), run.run_dir)


def _natural(label):
  """Sorts trial labels numerically when they are numbers."""
  number = _int_or_none(label)
  return (0, number, '') if number is not None else (1, 0, str(label))


def _trial(parts, config):
  for part in reversed(parts):
    match = _TRIAL.match(part)
    if match:
      return match.group(1)
  seed = (config.get('run') or {}).get('seed')
  return str(seed) if seed is not None else '0'


def _int_or_none(text):
  try:
    return int(text)
  except (TypeError, ValueError):
    return None
