"""One table of an experiment tree: a row per run, and a row per group.

A group is the set of trials of one setting: (kind, name, level) for the
lottery experiment and its controls, (kind, method, sparsity) for sparse
training. A group row holds the number of trials and, for every metric, its
mean, standard deviation (over trials, ddof=1; 0 for a single trial),
minimum and maximum, NaNs ignored.
"""

import math
import os

import numpy as np

from lottery_ticket.analysis import run_discovery
from lottery_ticket.analysis import run_facts
from lottery_ticket.analysis import run_summary
from lottery_ticket.analysis import tables
from lottery_ticket.foundations import save_restore

# The winning tickets lead the lottery rows; the controls follow.
WINNING = 'same_init'
STATS = ('mean', 'std', 'min', 'max')
IDENTITY = ('kind', 'name', 'level', 'sparsity')
# What a run is beyond its group: read from its configuration by run_facts,
# for the sections that compare across groups (pruning at initialisation,
# the published figures). collapsed: the layers its mask left collapsed;
# unreached_outputs: how many outputs no input reaches through its mask.
FACTS = ('network', 'dataset', 'training_len', 'method', 'ablation',
         'collapsed', 'unreached_outputs')
RUN_COLUMNS = (IDENTITY + ('trial',) + run_summary.METRICS +
               ('early_stop_split',) + FACTS + ('finished', 'run_dir'))
# The aggregated table's: every stat of every metric.
GROUP_COLUMNS = (IDENTITY + ('trials',) + tuple(
    '{}_{}'.format(metric, stat) for metric in run_summary.METRICS
    for stat in STATS) + ('collapsed', 'unreached_outputs'))

_TITLES = {
    'percent_remaining': '% weights remaining',
    'early_stop_iteration': 'early-stop iteration',
    'early_stop_test_accuracy': 'test acc. at early stop',
    'final_test_accuracy': 'final test acc.',
    'final_train_accuracy': 'final train acc.',
}


def run_rows(experiment_dir, include_unfinished=False):
  """One summary dict per run (see run_summary.summarize) with its FACTS,
  'settings' (every setting value, RunInfo.values) and 'info' (its
  run_discovery.RunInfo), sorted by group.

  Raises:
    ValueError: if the directory holds no (finished) runs.
  """
  rows = []
  for info in run_discovery.find_runs(experiment_dir, include_unfinished):
    row = run_summary.summarize(info)
    row.update(_identity(info.kind, info.key))
    row.update(_facts(info), info=info)
    rows.append(row)
  return rows


def _facts(info):
  """FACTS of a run (method and ablation only for sparse training), and
  its settings."""
  values = info.values
  sparse = info.kind == run_discovery.SPARSE
  return {'network': run_facts.network(values),
          'dataset': values.get('dataset'),
          'training_len': values.get('training_len'),
          'method': str(values.get('method') or info.name) if sparse else None,
          'ablation': str(values.get('ablation') or 'none') if sparse else None,
          'collapsed': run_facts.collapsed_layers(info.config),
          'unreached_outputs': run_facts.unreached_outputs(info.config),
          'settings': values}


def _identity(kind, key):
  return {'level': key if kind == run_discovery.LOTTERY else None,
          'sparsity': key if kind == run_discovery.SPARSE else None}


def group_rows(rows):
  """One aggregated dict per group of runs (winning tickets first).

  Args:
    rows: dicts from `run_rows`.

  Returns:
    dicts with IDENTITY and what `aggregate` gives for run_summary.METRICS.
  """
  groups = {}
  for row in rows:
    groups.setdefault((row['kind'], row['name'], row['key']), []).append(row)
  return [dict(kind=kind, name=name, key=key, **_identity(kind, key),
               **aggregate(members, run_summary.METRICS))
          for (kind, name, key), members in sorted(groups.items(),
                                                   key=_group_order)]


def aggregate(members, metrics):
  """What the rows of one group's trials add up to.

  Returns:
    a dict of 'trials', '<metric>_<stat>' for every metric of `metrics` and
    every stat in STATS (NaNs ignored), 'collapsed': {trial: [layers]} for
    the trials whose mask collapsed a layer and 'unreached': {trial: count}
    for those whose mask left outputs unreached.
  """
  group = {'trials': len(members),
           'collapsed': {m['trial']: m['collapsed'] for m in members
                         if m.get('collapsed')},
           'unreached': {m['trial']: m['unreached_outputs'] for m in members
                         if m.get('unreached_outputs')}}
  for metric in metrics:
    values = np.array([m[metric] for m in members], dtype=np.float64)
    values = values[np.isfinite(values)]
    stats = dict.fromkeys(STATS, math.nan) if not values.size else {
        'mean': float(np.mean(values)),
        'std': float(np.std(values, ddof=1)) if values.size > 1 else 0.0,
        'min': float(np.min(values)), 'max': float(np.max(values))}
    group.update({'{}_{}'.format(metric, stat): value
                  for stat, value in stats.items()})
  return group


def _group_order(item):
  """Kinds apart, winning tickets first, then names; keys in order."""
  (kind, name, key), _ = item
  return (kind, name != WINNING, name, -1 if key is None else key)


def collapse_note(group):
  """'trial 0: fc2; trial 1: fc1, fc2' for a group's collapsed trials."""
  return '; '.join('trial {}: {}'.format(trial, ', '.join(layers))
                   for trial, layers in sorted(group['collapsed'].items()))


def unreached_note(group):
  """'trial 0: 3 outputs; trial 2: 1 output' for a group's trials with
  outputs no input reaches."""
  return '; '.join('trial {}: {} output{}'.format(trial, count,
                                                  '' if count == 1 else 's')
                   for trial, count in sorted(group.get('unreached',
                                                        {}).items()))


# Mark a group in which some trial's mask collapsed a layer, or left some
# output unreached by any input; each mark is numbered and explained below
# its table: (symbol, title of its notes, the note of a group).
_MARKS = (('†', 'Layer collapse (the mask left these layers empty or cut off '
                'from the input):', collapse_note),
          ('‡', 'Outputs no input reaches (the mask cut every path to these '
                'classes, so they are never predicted from the input):',
           unreached_note))


def mark(group, label, notes):
  """The numbered marks of a group (' †1 ‡2'), its notes added to `notes`
  (mark -> lines, as mark_notes prints them) under `label`."""
  text = ''
  for symbol, _, note_of in _MARKS:
    note = note_of(group)
    if note:
      lines = notes.setdefault(symbol, [])
      lines.append('- {}{} {}: {}'.format(symbol, len(lines) + 1, label, note))
      text += ' {}{}'.format(symbol, len(lines))
  return text


def mark_notes(notes):
  """Markdown lines explaining the marks `mark` gave out."""
  lines = []
  for symbol, title, _ in _MARKS:
    if notes.get(symbol):
      lines += ['', title, ''] + notes[symbol]
  return lines


def to_csv(rows, columns):
  """CSV text of `rows` with the given columns (None and NaN left empty)."""
  return tables.csv_text(columns, ([_csv_cell(row.get(c)) for c in columns]
                                   for row in rows))


def groups_csv(groups, columns):
  """CSV text of aggregated rows, their collapsed trials and unreached
  outputs written as their notes."""
  return to_csv([dict(g, collapsed=collapse_note(g),
                      unreached_outputs=unreached_note(g)) for g in groups],
                columns)


def _csv_cell(value):
  if isinstance(value, (list, tuple)):
    return ' '.join(str(v) for v in value)
  if value is None or (isinstance(value, float) and math.isnan(value)):
    return ''
  if isinstance(value, float):
    return repr(round(value, 6))
  return value


def to_markdown(groups):
  """A Markdown table of aggregated rows: mean +- std of every metric; a
  group with a collapsed trial, or one with unreached outputs, carries a
  numbered mark, its trials named below the table (see `mark`)."""
  notes = {}
  lines = tables.markdown(
      ['kind', 'name', 'level', 'sparsity', 'trials'] +
      [_TITLES[m] for m in run_summary.METRICS],
      ([g['kind'], g['name'] + mark(g, g['name'], notes),
        run_discovery.shown(g['level']), run_discovery.shown(g['sparsity']),
        g['trials']] +
       [mean_std(g, metric) for metric in run_summary.METRICS]
       for g in groups),
      ['---'] * 5 + ['---:'] * len(run_summary.METRICS))
  return '\n'.join(lines + mark_notes(notes)) + '\n'


def mean_std(group, metric):
  """'0.9712 ± 0.0021' of a group's metric ('n/a' without a value; the
  mean alone of a single trial): iterations whole, percents to 2 places,
  accuracies to 4."""
  mean = group[metric + '_mean']
  if math.isnan(mean):
    return 'n/a'
  digits = {'early_stop_iteration': 0, 'percent_remaining': 2}.get(metric, 4)
  if group['trials'] < 2:
    return '{:.{}f}'.format(mean, digits)
  return '{:.{d}f} ± {:.{d}f}'.format(mean, group[metric + '_std'], d=digits)


def write_tables(rows, groups, output_dir):
  """Writes runs.csv, summary.csv and summary.md into output_dir.

  Returns:
    dict file kind -> path.
  """
  written = {'runs_csv': os.path.join(output_dir, 'runs.csv'),
             'summary_csv': os.path.join(output_dir, 'summary.csv'),
             'summary_md': os.path.join(output_dir, 'summary.md')}
  save_restore.write_text(written['runs_csv'], to_csv(rows, RUN_COLUMNS))
  save_restore.write_text(written['summary_csv'],
                          groups_csv(groups, GROUP_COLUMNS))
  save_restore.write_text(written['summary_md'], to_markdown(groups))
  return written
