"""The papers' published figures, as data, and the report's section that
sets each beside the runs that match it.

`FIGURES` holds every number of ../shared/papers/published.md (the notes
of what could be read, and where), one `Figure` per number, read from
published_figures.tsv beside this module (a row per number; its papers,
their sources and what is missing are in published_papers.json): its paper
(and the version the number is from), where in the paper, the network,
dataset and weights remaining it was measured at, the method (named as
this library names the runs: same_init and reinit for the lottery
experiment and its control, random_pruning, the sparse method, or
method_ablation as 'snip_shuffle'), the quantity (a key of MEASURES), the
value in the paper's unit (accuracies in percent, differences in
percentage points), and its `Source`: where it was read and how directly
(first-hand: the paper or the authors' files; second-hand: the paper's
words as a reproduction or a reader's notes quote them, with a confidence;
computed: aggregated from the authors' released data; the LeNet-5 rows of
Evci et al.'s post are commented out in its source, so read with medium
confidence). `MISSING` names what was looked for and not found. Nothing
here is a target: it is what the papers say.

`comparison(rows)` matches each figure with the group of runs of the same
network and method nearest its weights remaining (within MATCH_TOLERANCE)
and measures the same quantity on them; a claim about the whole pruning
curve (the level where accuracy returns to the dense network's) is measured
on every level of the method. It is "scaled" when the runs' training length
or dataset differ from the paper's. `section(rows)` prints, per paper, the
matched figures beside the runs, then the figures no run matches (what a
full run would be held against), then what is missing.
"""

import csv
import dataclasses
import json
import math
import os
from typing import Optional, Tuple

import numpy as np

from lottery_ticket.analysis import results_table
from lottery_ticket.analysis import run_discovery
from lottery_ticket.analysis import run_facts
from lottery_ticket.analysis import tables
from lottery_ticket.argfiles import paper_recipes
from lottery_ticket.foundations import durations

# A figure matches the group whose percent of weights remaining is within
# this factor of its own (levels of the lottery experiment are 20% apart).
MATCH_TOLERANCE = 1.1
# Within this factor of 100%, a group is the dense network.
_DENSE = 99.0

FIRST = 'first-hand'
SECOND = 'second-hand'
COMPUTED = "computed from the authors' released data"


@dataclasses.dataclass(frozen=True)
class Source(object):
  """Where a figure was read, and how directly.

  Attributes:
    where: the repository and file, or the part of the paper.
    hand: FIRST, SECOND or COMPUTED.
    confidence: how far the copy is trusted ('high', 'medium'), if said.
  """
  where: str
  hand: str
  confidence: str = ''

  def describe(self):
    """'kowshik.../claims.json (second-hand, high confidence)'."""
    hand = self.hand + (', {} confidence'.format(self.confidence)
                        if self.confidence else '')
    return '{} ({})'.format(self.where, hand)


@dataclasses.dataclass(frozen=True)
class Paper(object):
  """A paper whose figures are listed.

  Attributes:
    name: authors and year, as the report heads its section.
    title: the title and venue.
    version: the version the figures are from, when versions differ.
    training_lens: ((network, length), ...): the paper's training length
      per network, where the notes record it ('50000it').
    note: what the notes say of the paper beyond its numbers.
  """
  name: str
  title: str
  version: str = ''
  training_lens: Tuple[Tuple[str, str], ...] = ()
  note: str = ''


@dataclasses.dataclass(frozen=True)
class Figure(object):
  """One published number (or a claim the paper words without one).

  Attributes:
    paper: its Paper.
    where: the table, figure or section.
    network: as run_facts.network names it ('lenet_300_100', 'vgg16').
    dataset: as the library names it ('mnist', 'cifar10').
    percent: weights remaining, in percent; None for a claim about every
      level, or where the notes do not say.
    method: the runs' name in this library (see the module docstring).
    measure: a key of MEASURES.
    value: the number, in MEASURES' unit; None when the paper states the
      claim in words only (then `note` holds them).
    source: its Source.
    qualifier: the paper's bound on the value ('more than', 'up to').
    note: what goes with the value (a spread, 'chance').
    settings: ((setting, value), ...) the runs must have (how Renda et
      al.'s retraining methods are told apart).
  """
  paper: Paper
  where: str
  network: str
  dataset: str
  percent: Optional[float]
  method: str
  measure: str
  value: Optional[float]
  source: Source
  qualifier: str = ''
  note: str = ''
  settings: Tuple[Tuple[str, object], ...] = ()

  def label(self):
    """The method with the settings it needs ('same_init, retrain=...')."""
    return ', '.join([self.method] + ['{}={}'.format(k, v)
                                      for k, v in self.settings])


# The measures -----------------------------------------------------------------


_STOP, _ACCURACY = 'early_stop_iteration', 'early_stop_test_accuracy'
# What a point measure compares a group with: the same method's dense group.
DENSE = 'dense'


def _points_above(group, other):
  """Points of early-stop test accuracy of `group` above `other`'s."""
  return 100.0 * (group[_ACCURACY] - other[_ACCURACY])


def percent_back_to_dense(curve, dense):
  """Frankle & Carbin's "returning to the level of the original network":
  from the most accurate pruned level on (from the first pruned level when
  none is above the dense network), the percent remaining of the first
  whose test accuracy at early stopping is at or below the dense network's
  (NaN when every level stays above).

  Args:
    curve: the pruned groups of one method, by decreasing percent.
    dense: its dense group.
  """
  accuracies = [g['early_stop_test_accuracy'] for g in curve]
  best = int(np.nanargmax(accuracies))
  start = best if accuracies[best] > dense['early_stop_test_accuracy'] else 0
  for group in curve[start:]:
    if group['early_stop_test_accuracy'] <= dense['early_stop_test_accuracy']:
      return group['percent_remaining']
  return math.nan


def best_final_gain(curve, dense):
  """The most the final test accuracy of a pruned level exceeds the dense
  network's, in points (F&C's "up to 0.35 percentage points" at 50,000)."""
  return 100.0 * (max(g['final_test_accuracy'] for g in curve) -
                  dense['final_test_accuracy'])


def _points(value):
  return '{:+.2f} pp'.format(value)


def _weights(value):
  return ('{:.1f}M'.format(value / 1e6) if value >= 1e6
          else '{:.0f}K'.format(value / 1e3))


@dataclasses.dataclass(frozen=True)
class Measure(object):
  """A quantity a figure states.

  Attributes:
    describe: what it is, as the report names it.
    shown: formats a value.
    point: measures it on a matched group: f(group), or f(group, the group
      of `against`).
    against: what `point` compares the group with: DENSE (the same
      method's dense group) or a method (its group at the same weights
      remaining); '' for nothing.
    curve: measures it on every level of a method: f(pruned groups by
      decreasing percent, the dense group).
    (Neither point nor curve: the report lists the figure and does not
    measure it.)
  """
  describe: str
  shown: object
  point: object = None
  against: str = ''
  curve: object = None


MEASURES = {
    'final_accuracy': Measure(
        'final test accuracy', '{:.2f}%'.format,
        lambda group: 100.0 * group['final_test_accuracy']),
    'early_stop_accuracy': Measure(
        'test accuracy at early stopping', '{:.2f}%'.format,
        lambda group: 100.0 * group[_ACCURACY]),
    'early_stop_vs_dense': Measure(
        'early-stop iteration, change from the dense network',
        '{:+.0%}'.format, lambda group, dense: group[_STOP] / dense[_STOP] - 1,
        DENSE),
    'speedup_vs_dense': Measure(
        "early-stop iteration of the dense network over this one's",
        '{:.2f}x'.format, lambda group, dense: dense[_STOP] / group[_STOP],
        DENSE),
    'reinit_over_ticket': Measure(
        "early-stop iteration of reinit over the ticket's", '{:.2f}x'.format,
        lambda group, reinit: reinit[_STOP] / group[_STOP], 'reinit'),
    'accuracy_vs_dense': Measure(
        'test accuracy at early stopping minus the dense network\'s',
        _points, _points_above, DENSE),
    'accuracy_vs_reinit': Measure(
        "test accuracy at early stopping minus reinit's", _points,
        _points_above, 'reinit'),
    'best_final_gain': Measure(
        "best final test accuracy of a level minus the dense network's",
        _points, curve=best_final_gain),
    'percent_back_to_dense': Measure(
        "% left where accuracy at early stopping falls back to the dense "
        "network's", '{:.1f}%'.format, curve=percent_back_to_dense),
    'weights': Measure('weights of the network', _weights),
    'stable_from_iteration': Measure(
        'rewind iteration from which it is stable (lmc section)',
        '{:.0f}'.format),
    'matching_down_to': Measure(
        "% left down to which it matches the dense network's accuracy",
        '{:g}%'.format),
    'sparsity_trainable': Measure('% of weights removed, still trainable',
                                  '{:g}%'.format),
    'sparsity_failing': Measure('% of weights removed beyond which '
                                'existing methods fail', '{:g}%'.format),
}

# The figures, read from the data files beside this module -----------------

_HERE = os.path.dirname(os.path.abspath(__file__))


def _number(text):
  return float(text) if text else None


def _read_papers():
  """({key: Paper}, {key: Source}, MISSING) from published_papers.json."""
  with open(os.path.join(_HERE, 'published_papers.json'),
            encoding='utf-8') as f:
    data = json.load(f)
  papers = {key: Paper(**dict(fields, training_lens=tuple(
      fields.get('training_lens', {}).items())))
            for key, fields in data['papers'].items()}
  sources = {key: Source(**fields) for key, fields in data['sources'].items()}
  return papers, sources, tuple((papers[key], what)
                                for key, what in data['missing'])


def _read_figures(papers, sources):
  """The Figures of published_figures.tsv, a row each (papers and sources
  by their keys in published_papers.json; settings as 'name=value ...')."""
  with open(os.path.join(_HERE, 'published_figures.tsv'),
            encoding='utf-8') as f:
    rows = list(csv.DictReader(f, delimiter='\t', quoting=csv.QUOTE_NONE))
  return tuple(Figure(**dict(
      row, paper=papers[row['paper']], source=sources[row['source']],
      percent=_number(row['percent']), value=_number(row['value']),
      settings=tuple(tuple(s.split('=', 1)) for s in row['settings'].split())))
               for row in rows)


_PAPERS, _SOURCES, MISSING = _read_papers()
# In the file's order, which is the report's when no run matches.
PAPERS = tuple(_PAPERS.values())
FRANKLE_CARBIN, RENDA, TANAKA, FRANKLE_2021, LMC, EVCI, FORCE = PAPERS
FIGURES = _read_figures(_PAPERS, _SOURCES)

# Matching figures with runs ---------------------------------------------------

_AVERAGED = ('percent_remaining', 'early_stop_iteration',
             'early_stop_test_accuracy', 'final_test_accuracy')


def measured_groups(rows):
  """The runs' groups as the figures name them.

  Args:
    rows: per-run rows (results_table.run_rows).

  Returns:
    dicts: network, method (same_init, reinit, snip_shuffle, ...), name
    (the group's full name, 'same_init (retrain=finetune)'), key, trials,
    settings (the first run's), the means of _AVERAGED, and the sets of
    training lengths and datasets its runs used.
  """
  groups = {}
  for row in rows:
    if row['kind'] == run_discovery.SPARSE:
      method = paper_recipes.pai_name(row['method'], row['ablation'] or 'none')
    elif row['kind'] == run_discovery.LOTTERY:
      method = row['name'].split(' (')[0]
    else:
      continue
    groups.setdefault((row['network'], method, row['name'], row['key']),
                      []).append(row)
  out = []
  for (network, method, name, key), members in groups.items():
    stats = results_table.aggregate(members, _AVERAGED)
    group = {'network': network, 'method': method, 'name': name, 'key': key,
             'trials': len(members),
             'settings': members[0].get('settings') or {},
             'training_lens': sorted({str(m['training_len']) for m in members}),
             'datasets': sorted({str(m['dataset']) for m in members})}
    group.update({metric: stats[metric + '_mean'] for metric in _AVERAGED})
    if (math.isnan(group['percent_remaining']) and
        members[0]['kind'] == run_discovery.SPARSE):
      group['percent_remaining'] = run_facts.percent_of(key)
    out.append(group)
  return out


def _candidates(groups, network, method, settings=(), name=None):
  """The groups of a network and method with `settings`; a group named
  plainly (no settings in its name) is preferred to the variants of one
  whose runs differ in some setting. `name` asks for one group name."""
  found = [g for g in groups if g['network'] == network and
           g['method'] == method and (name is None or g['name'] == name) and
           all(g['settings'].get(k) == v for k, v in settings)]
  return [g for g in found if g['name'] == method] or found


def _nearest(candidates, percent):
  """The candidate nearest `percent` remaining (by their ratio), within
  MATCH_TOLERANCE; the last of equally near ones."""
  best, distance = None, math.log(MATCH_TOLERANCE)
  for group in candidates:
    if 0 < group['percent_remaining'] < math.inf:
      gap = abs(math.log(group['percent_remaining'] / percent))
      if gap <= distance:
        best, distance = group, gap
  return best


def scaled(figure, groups):
  """What of the runs' setting differs from the paper's ('' when nothing
  does, or when the notes do not record the paper's)."""
  lens = sorted({l for g in groups for l in g['training_lens']})
  datasets = sorted({d for g in groups for d in g['datasets']})
  paper_len = dict(figure.paper.training_lens).get(figure.network)
  reasons = []
  if paper_len and any(not _same_length(l, paper_len) for l in lens):
    reasons.append('training_len {} vs {}'.format(','.join(lens), paper_len))
  if any(d != figure.dataset for d in datasets):
    reasons.append('dataset {} vs {}'.format(','.join(datasets),
                                             figure.dataset))
  return '; '.join(reasons)


def _same_length(run, paper):
  try:
    return durations.parse(run) == durations.parse(paper)
  except (TypeError, ValueError):
    return run == paper


def _measure(figure, groups):
  """(value, the groups it was measured on, text of their % left), or None
  when no runs match the figure."""
  measure = MEASURES[figure.measure]
  candidates = _candidates(groups, figure.network, figure.method,
                           figure.settings)
  if measure.curve is not None:
    for name in sorted({g['name'] for g in candidates}):
      levels = sorted((g for g in candidates if g['name'] == name),
                      key=lambda g: -g['percent_remaining'])
      if (len(levels) > 1 and levels[0]['percent_remaining'] >= _DENSE and
          np.isfinite([g['early_stop_test_accuracy'] for g in levels]).any()):
        return (measure.curve(levels[1:], levels[0]), levels,
                '{:.1f}-{:.1f}'.format(levels[0]['percent_remaining'],
                                       levels[-1]['percent_remaining']))
    return None
  if measure.point is None or figure.percent is None:
    return None
  group = _nearest(candidates, figure.percent)
  used = [group]
  if group is not None and measure.against:
    method, percent = ((group['method'], 100.0) if measure.against == DENSE
                       else (measure.against, group['percent_remaining']))
    used.append(_nearest(_candidates(
        groups, figure.network, method,
        name=group['name'] if method == group['method'] else None), percent))
  if None in used:
    return None
  return measure.point(*used), used, '{:.1f}'.format(group['percent_remaining'])


def comparison(rows, figures=FIGURES):
  """Each figure beside what the runs measured.

  Args:
    rows: per-run rows (results_table.run_rows).
    figures: the published figures (default: FIGURES).

  Returns:
    (matched, unmatched): matched a dict per figure some runs match: the
    Figure, 'measured' (the same quantity on the runs), 'percent' (text of
    the matched groups' weights remaining), 'trials' (the fewest of the
    groups used) and 'scaled' (scaled()'s text); unmatched the other
    Figures.
  """
  groups = measured_groups(rows)
  matched, unmatched = [], []
  for figure in figures:
    found = _measure(figure, groups)
    if found is None:
      unmatched.append(figure)
      continue
    value, used, percent = found
    matched.append({'figure': figure, 'measured': value, 'percent': percent,
                    'trials': min(g['trials'] for g in used),
                    'scaled': scaled(figure, used)})
  return matched, unmatched


# The report's section ---------------------------------------------------------


def published_value(figure):
  """The figure as the paper states it: '> +0.30 pp', '91.71% (± 0.23)'."""
  if figure.value is None:
    return figure.note
  text = MEASURES[figure.measure].shown(figure.value)
  if figure.qualifier:
    text = '{} {}'.format(figure.qualifier, text)
  return text + (' ({})'.format(figure.note) if figure.note else '')


def _percent(figure):
  return 'every level' if (figure.percent is None and MEASURES[
      figure.measure].curve) else ('' if figure.percent is None
                                   else '{:g}'.format(figure.percent))


def _measured(item):
  value = item['measured']
  if not math.isfinite(value):
    return ('not reached' if item['figure'].measure == 'percent_back_to_dense'
            else 'n/a')
  return MEASURES[item['figure'].measure].shown(value)


def paper_lines(paper, matched=(), unmatched=None):
  """Markdown lines of one paper: its figures beside the runs, those no run
  matches, what is missing, and the sources (numbered per paper).

  Args:
    paper: a Paper.
    matched: comparison()'s matched items (those of other papers ignored).
    unmatched: Figures no run matches (default: all of the paper's).
  """
  mine = [m for m in matched if m['figure'].paper == paper]
  rest = [f for f in (FIGURES if unmatched is None else unmatched)
          if f.paper == paper]
  sources = {}  # source -> its number, in the order they are cited

  def cite(source):
    return '[{}]'.format(sources.setdefault(source, len(sources) + 1))

  lines = ['### {}, {}{}'.format(paper.name, paper.title,
                                 ', figures from ' + paper.version
                                 if paper.version else ''), '']
  if paper.note:
    lines += [paper.note, '']
  if mine:
    lines += tables.markdown(
        ['where', 'network', '% left (paper / runs)', 'method', 'measure',
         'published', 'these runs', 'trials', 'setting', 'source'],
        ([f.where, run_facts.network_title(f.network),
          '{} / {}'.format(_percent(f), item['percent']), f.label(),
          MEASURES[f.measure].describe, published_value(f), _measured(item),
          item['trials'], 'scaled: ' + item['scaled'] if item['scaled']
          else 'as the paper', cite(f.source)]
         for item in mine for f in [item['figure']]),
        ['---'] * 5 + ['---:'] * 3 + ['---'] * 2) + ['']
  if rest:
    if mine:
      lines += ['No run here matches these (what a full run would be held '
                'against):', '']
    lines += tables.markdown(
        ['where', 'network', 'dataset', '% left', 'method', 'measure',
         'published', 'source'],
        ([f.where, run_facts.network_title(f.network), f.dataset,
          _percent(f), f.label(), MEASURES[f.measure].describe,
          published_value(f), cite(f.source)] for f in rest),
        ['---'] * 6 + ['---:', '---']) + ['']
  missing = [what for owner, what in MISSING if owner == paper]
  if missing:
    lines += ['Not found: ' + '; '.join(missing) + '.', '']
  if sources:
    lines += ['Sources: ' + '; '.join('[{}] {}'.format(n, s.describe())
                                      for s, n in sources.items()) + '.', '']
  return lines


def section(rows):
  """The report's lines: per paper, its figures beside the runs that match
  them, the figures no run matches, and what could not be found."""
  matched, unmatched = comparison(rows)
  lines = ['## Published figures beside this run', '',
           'Every number of the papers in analysis/published_figures.tsv, '
           'with where it was read and how directly. A number whose network, '
           'method and weights remaining (within {:.0%}) these runs have '
           'stands beside the same quantity measured on them (mean over '
           'trials; a claim about every level is measured on all of a '
           'method\'s levels); "scaled" names what differs from the paper\'s '
           'setting, and a scaled run is not expected to reach the paper\'s '
           'numbers. {} of {} figures match these runs.'.format(
               MATCH_TOLERANCE - 1, len(matched), len(matched) +
               len(unmatched)), '']
  papers = sorted(PAPERS, key=lambda p: not any(
      m['figure'].paper == p for m in matched))
  for paper in papers:
    lines += paper_lines(paper, matched, unmatched)
  return lines
