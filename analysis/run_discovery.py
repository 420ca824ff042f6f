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
(kind, name, key) and on every setting of their configuration but the seed
are the trials of one group: runs of one method that differ in, say, the
sparsity distribution or the initialisation are never averaged together;
their names carry the settings that tell them apart
("rigl (distribution=erk)").
"""

import dataclasses
import os
import re
import sys
from typing import Optional

from lottery_ticket.analysis import run_summary
from lottery_ticket.foundations import paths
from lottery_ticket.foundations.storage import integrity
from lottery_ticket.mnist_fc import config as config_lib

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
    settings: its identity settings, as flat name -> value, but those that
      differ between the trials of one setting (seed, order seed, the run a
      mask comes from) and those already in name and key.
    values: every setting value config.json records (lists as tuples) over
      `settings`; those alone when the file holds a setting this version
      does not know.
  """
  run_dir: str
  kind: str
  name: str
  key: Optional[object]
  trial: str
  finished: bool
  config: dict
  settings: dict = dataclasses.field(default_factory=dict)
  values: dict = dataclasses.field(default_factory=dict)

  @property
  def group(self):
    """(kind, name, key): the runs sharing it are trials of one setting."""
    return (self.kind, self.name, self.key)


def describe(run_dir):
  """The RunInfo of one run directory.

  Raises:
    ValueError: if config.json cannot be read.
    integrity.DamagedFile: if a finished run's output differs from what its
      DONE recorded.
  """
  path = paths.config(run_dir)
  config = run_summary.read_object(path, 'a configuration')
  parts = os.path.normpath(os.path.abspath(run_dir)).split(os.sep)
  finished = integrity.verify_finished(run_dir)
  details = config_lib.details(config)
  settings, recorded = _settings(path, config)
  grouping = {k: v for k, v in settings.items() if k not in _NOT_GROUPING}
  level = _int_or_none(parts[-2])
  if config.get('experiment') == 'lottery':
    kind, name, key = LOTTERY, details.get('experiment_name') or parts[-1], int(
        details.get('level', level or 0))
  elif config.get('experiment') == 'sparse_train':
    kind, name = SPARSE, str(settings.get('method') or parts[-1])
    key = float(settings.get('sparsity') or 0.0)
  elif config.get('experiment') == 'reinitialize' and 'level' in details:
    kind, name, key = LOTTERY, str(details.get('mode') or parts[-1]), int(
        details['level'])
  elif level is not None:
    # A control (reinit, reuse, ...) trained by the single-run trainer into
    # {trial}/{level}/{mode}: the path is all that names it.
    kind, name, key = LOTTERY, parts[-1], level
  else:
    kind, name, key = TRAIN, parts[-1], None
  return RunInfo(run_dir=run_dir, kind=kind, name=name, key=key,
                 trial=_trial(parts, settings), finished=finished,
                 config=config, settings=grouping, values=dict(grouping, **{
                     k: tuple(v) if isinstance(v, list) else v
                     for k, v in recorded.items() if v is not None}))


# Settings that differ between trials of one setting, or are name and key.
_NOT_GROUPING = ('seed', 'train_order_seed', 'mask_from', 'method', 'sparsity')


def _settings(path, saved):
  """(identity settings, every recorded value) of a config.json, flat:
  the identity ones resolved when it reads, else as recorded; no values
  when it holds a setting this version does not know."""
  try:
    recorded = config_lib.flatten(saved, path)[0]
  except ValueError:
    recorded = {}
  try:
    config = config_lib.read(path)
  except ValueError:
    return recorded, recorded
  identity = {s.name for c in config.concerns for s in c.settings
              if s.identity}
  return {k: tuple(v) if isinstance(v, list) else v
          for k, v in config.values.items() if k in identity}, recorded


def distinguish(runs):
  """Names each group of runs apart by the settings that differ within it.

  Runs of one (kind, name) whose settings differ get the differing settings
  in their name, so they form separate groups. Returns warnings (one line
  each) about two runs with the same trial in one group.
  """
  by_name = {}
  for run in runs:
    by_name.setdefault((run.kind, run.name), []).append(run)
  for members in by_name.values():
    keys = sorted({k for r in members for k in r.settings})
    varying = [k for k in keys
               if len({repr(r.settings.get(k)) for r in members}) > 1]
    if varying:
      for run in members:
        run.name = '{} ({})'.format(run.name, ', '.join(
            '{}={}'.format(k, shown(run.settings.get(k), 'None'))
            for k in varying))
  warnings, seen = [], {}
  for run in runs:
    other = seen.setdefault((run.group, run.trial), run.run_dir)
    if other != run.run_dir:
      warnings.append('warning: {} and {} are both trial {} of {} {} {}'.format(
          other, run.run_dir, run.trial, run.kind, run.name, run.key))
  return warnings


def shown(value, none=''):
  """A setting's value as text: a list's items joined by commas, None as
  `none`."""
  if isinstance(value, (list, tuple)):
    return ','.join(str(v) for v in value)
  return none if value is None else str(value)


def find_runs(experiment_dir, include_unfinished=False):
  """The RunInfo of every run under `experiment_dir`.

  Args:
    experiment_dir: the root of the tree (a trial or a single run is fine).
    include_unfinished: also return runs without a DONE marker (their
      metrics stop where they were last written).

  Returns:
    A list of RunInfo sorted by (kind, name, key, trial).

  Raises:
    ValueError: if `experiment_dir` is not a directory, or there is no
      (finished) run under it.
  """
  if not os.path.isdir(experiment_dir):
    raise ValueError('No such experiment directory: {}'.format(experiment_dir))
  dirs = []
  for directory, subdirs, _ in os.walk(experiment_dir):
    # Hidden directories hold staging copies and sweep bookkeeping.
    subdirs[:] = sorted(d for d in subdirs if not d.startswith('.'))
    if (os.path.isfile(paths.config(directory)) and
        os.path.isfile(paths.metrics(directory))):
      dirs.append(directory)
  if not dirs:
    raise ValueError('No runs under {} (a run is a directory with config.json '
                     'and metrics.json)'.format(experiment_dir))
  runs = [describe(d) for d in sorted(dirs)]
  for warning in distinguish(runs):
    print(warning, file=sys.stderr)
  if not include_unfinished:
    runs = [r for r in runs if r.finished]
    if not runs:
      raise ValueError('No finished runs under {} ({} unfinished, without a DONE '
                       'file; pass include_unfinished=True to read them)'.format(
                           experiment_dir, len(dirs)))
  return sorted(runs, key=_sort_key)


def _sort_key(run):
  """Groups in order, their trials numerically when they are numbers."""
  number = _int_or_none(run.trial)
  return (run.kind, run.name, -1 if run.key is None else run.key,
          (0, number, '') if number is not None else (1, 0, str(run.trial)),
          run.run_dir)


def _trial(parts, settings):
  """The label of the last trial{T} component of the path, else the seed."""
  labels = [match.group(1) for match in map(_TRIAL.match, parts) if match]
  seed = settings.get('seed')
  return labels[-1] if labels else str(seed) if seed is not None else '0'


def _int_or_none(text):
  try:
    return int(text)
  except (TypeError, ValueError):
    return None
