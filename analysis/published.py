"""The papers' published figures, and a table of them beside this run's.

`FIGURES` holds every published number the report can compare with, each
with the paper, the table, figure or section it comes from, the network,
dataset and weights remaining it was measured at, the method (named as
this library names the runs: same_init and reinit for the lottery
experiment and its control, the sparse method, or method_ablation), what
was measured and the paper's training length. A number enters only once it
has been read in a source named in its `source`; numbers printed only as
curves of a figure are not read off the plot.

What is in, and what is not (checked 2026-12):

- Frankle & Carbin (ICLR 2019), LeNet-300-100 on MNIST: the paper gives its
  test accuracies and early-stopping iterations at 51.3%, 21.1%, 7.0% and
  3.6% of weights as curves only (Figs. 1, 3, 4; its text describes those
  four levels in words, as the README of Grzejdziok/deep-learning-group-2,
  a reproduction, quotes it); §2 states in numbers how a winning ticket at
  about 21% compares with the dense network and with its random
  reinitialisation. Those statements are the three figures below.
- Evci et al. (2020/AAAI 2022), Tanaka et al. (2020) and Frankle et al.
  (ICLR 2021): no MNIST-scale number has been verified from a source read;
  none is listed (docs/analysis.md says so).

`comparison(rows)` matches each figure with the runs of the same network
and method nearest its weights remaining (within MATCH_TOLERANCE), measures
the same quantity on them, and says "scaled" when the runs' training length
or dataset differ from the paper's.
"""

import dataclasses
import math

import numpy as np

from lottery_ticket.analysis import run_discovery
from lottery_ticket.analysis import run_facts
from lottery_ticket.argfiles import paper_recipes
from lottery_ticket.foundations import durations

FRANKLE_CARBIN = 'Frankle & Carbin 2019'
# The lottery runners' defaults are the paper's (50,000 iterations).
FRANKLE_CARBIN_TRAINING = paper_recipes.LOTTERY_STEPS['training_len']
_FC_SOURCE = (
    'the ICLR 2019 text of §2, read as quoted in a public study note of the '
    'paper (its repository was not recorded); an earlier arXiv version, also '
    "read, words it 'converges 2.44x faster' at 'about 21%'. Check against "
    'the PDF before citing.')

# Papers the issue asks for whose MNIST-scale numbers are not in FIGURES:
# none has been read in a source yet (see the module docstring).
NOT_VERIFIED = ('Evci et al. 2020 (test accuracy per method, MLP at 98% and '
                'LeNet-5 at 95%)', 'Tanaka et al. 2020', 'Frankle et al. 2021',
                'Frankle & Carbin 2019 accuracies and early-stopping '
                'iterations at 51.3%, 21.1%, 7.0% and 3.6% (curves only)')

# The lmc recipe's paper (Frankle, Dziugaite, Roy & Carbin, ICML 2020):
# what its report would set beside the runs, and where the paper has it.
LMC_NOT_VERIFIED = ('the dense test accuracy of ResNet-20 and VGG-16 '
                    '(Table 1) and the rewind iteration k from which IMP '
                    'subnetworks match it (the figures of Section 5)')

# A figure matches runs whose percent of weights remaining is within this
# factor of its own (levels of the lottery experiment are 20% apart).
MATCH_TOLERANCE = 1.1


@dataclasses.dataclass(frozen=True)
class Figure(object):
  """One published number.

  Attributes:
    paper: authors and year.
    reference: where in the paper (table, figure, section).
    network: as run_facts.network names it ('lenet_300_100', 'lenet5').
    dataset: the paper's dataset, as the library names it ('mnist').
    training_len: the paper's training length ('50000it').
    percent_remaining: weights remaining, in percent.
    method: the runs' name in this library (same_init, reinit, snip,
      snip_shuffle, ...).
    metric: a key of MEASURES.
    value: the published number, in MEASURES' unit.
    source: where the number was read.
    quote: the paper's words or label for it.
  """
  paper: str
  reference: str
  network: str
  dataset: str
  training_len: str
  percent_remaining: float
  method: str
  metric: str
  value: float
  source: str
  quote: str = ''


FIGURES = (
    Figure(FRANKLE_CARBIN, '§2, iterative pruning (Fig. 4a)',
           run_facts.LENET_300_100, 'mnist', FRANKLE_CARBIN_TRAINING, 21.1,
           'same_init', 'early_stop_iteration_vs_dense', -0.38, _FC_SOURCE,
           'early-stopping occurs 38% earlier than for the original network '
           '(Pm = 21%)'),
    Figure(FRANKLE_CARBIN, '§2, random reinitialization (Fig. 4a)',
           run_facts.LENET_300_100, 'mnist', FRANKLE_CARBIN_TRAINING, 21.1,
           'same_init', 'early_stop_iteration_reinit_over_ticket', 2.51,
           _FC_SOURCE, 'reaches minimum validation loss 2.51x faster than '
           'when reinitialized (Pm = 21%)'),
    Figure(FRANKLE_CARBIN, '§2, random reinitialization (Fig. 4a)',
           run_facts.LENET_300_100, 'mnist', FRANKLE_CARBIN_TRAINING, 21.1,
           'same_init', 'early_stop_test_accuracy_over_reinit', 0.005,
           _FC_SOURCE, 'half a percentage point more accurate (Pm = 21%)'),
)


def _own(name):
  return lambda group, find: group[name]


def _vs_dense(group, find):
  dense = find(group['method'], 100.0)
  return group['early_stop_iteration'] / dense['early_stop_iteration'] - 1.0


def _reinit_over(group, find):
  return find('reinit', group['percent_remaining'])[
      'early_stop_iteration'] / group['early_stop_iteration']


def _accuracy_over_reinit(group, find):
  reinit = find('reinit', group['percent_remaining'])
  return group['early_stop_test_accuracy'] - reinit['early_stop_test_accuracy']


# metric -> (what it is, how to measure it on a matched group and the groups
# it is compared with, how to show it).
MEASURES = {
    'final_test_accuracy': ('test accuracy at the end of training',
                            _own('final_test_accuracy'), '{:.4f}'.format),
    'early_stop_test_accuracy': ('test accuracy at early stopping',
                                 _own('early_stop_test_accuracy'),
                                 '{:.4f}'.format),
    'early_stop_iteration': ('early-stopping iteration',
                             _own('early_stop_iteration'), '{:.0f}'.format),
    'early_stop_iteration_vs_dense': (
        'early-stopping iteration, change from the dense network', _vs_dense,
        '{:+.0%}'.format),
    'early_stop_iteration_reinit_over_ticket': (
        "early-stopping iteration of reinit over the ticket's", _reinit_over,
        '{:.2f}x'.format),
    'early_stop_test_accuracy_over_reinit': (
        'test accuracy at early stopping minus reinit\'s',
        _accuracy_over_reinit, lambda v: '{:+.2f} pp'.format(100 * v)),
}
_AVERAGED = ('percent_remaining', 'early_stop_iteration',
             'early_stop_test_accuracy', 'final_test_accuracy')


def measured_groups(rows):
  """The runs' groups as the figures name them.

  Args:
    rows: per-run rows (results_table.run_rows).

  Returns:
    dicts: network, method (same_init, reinit, snip_shuffle, ...), key,
    trials, the means of _AVERAGED, and the sets of training lengths and
    datasets its runs used.
  """
  groups = {}
  for row in rows:
    if row['kind'] == run_discovery.SPARSE:
      method = paper_recipes.pai_name(row['method'], row['ablation'] or 'none')
    elif row['kind'] == run_discovery.LOTTERY:
      method = row['name']
    else:
      continue
    groups.setdefault((row['network'], method, row['key']), []).append(row)
  out = []
  for (network, method, key), members in groups.items():
    group = {'network': network, 'method': method, 'key': key,
             'trials': len(members),
             'training_lens': sorted({str(m['training_len']) for m in members}),
             'datasets': sorted({str(m['dataset']) for m in members})}
    for name in _AVERAGED:
      values = np.array([m[name] for m in members], dtype=np.float64)
      values = values[np.isfinite(values)]
      group[name] = float(values.mean()) if values.size else math.nan
    if (math.isnan(group['percent_remaining']) and
        members[0]['kind'] == run_discovery.SPARSE):
      group['percent_remaining'] = run_facts.percent_of(key)
    out.append(group)
  return out


def _nearest(groups, network, method, percent):
  """The group of network and method nearest `percent` remaining, if within
  MATCH_TOLERANCE; names like 'same_init (retrain=finetune)' count as
  variants of same_init only when no plain one exists."""
  candidates = [g for g in groups if g['network'] == network and
                g['method'] == method] or [
                    g for g in groups if g['network'] == network and
                    g['method'].startswith(method + ' (')]
  best, distance = None, math.log(MATCH_TOLERANCE)
  for group in candidates:
    q = group['percent_remaining']
    if q > 0 and math.isfinite(q):
      gap = abs(math.log(q / percent))
      if gap <= distance:
        best, distance = group, gap
  return best


class _Missing(Exception):
  pass


def scaled(figure, group):
  """What differs from the paper's setting ('' when nothing does)."""
  reasons = []
  lens = group['training_lens']
  if any(not _same_length(length, figure.training_len) for length in lens):
    reasons.append('training_len {} vs {}'.format(
        ','.join(lens), figure.training_len))
  if any(d != figure.dataset for d in group['datasets']):
    reasons.append('dataset {} vs {}'.format(','.join(group['datasets']),
                                             figure.dataset))
  return '; '.join(reasons)


def _same_length(run, paper):
  try:
    return durations.parse(run) == durations.parse(paper)
  except (TypeError, ValueError):
    return run == paper


def comparison(rows, figures=FIGURES):
  """Each figure beside what the runs measured.

  Args:
    rows: per-run rows (results_table.run_rows).
    figures: the published figures (default: FIGURES).

  Returns:
    a dict per figure some runs match: the Figure, 'measured' (the same
    quantity on the runs), 'percent_remaining' and 'trials' of the matched
    group, and 'scaled' (scaled()'s text).
  """
  groups = measured_groups(rows)
  out = []
  for figure in figures:
    group = _nearest(groups, figure.network, figure.method,
                     figure.percent_remaining)
    if group is None:
      continue

    def find(method, percent, network=figure.network):
      found = _nearest(groups, network, method, percent)
      if found is None:
        raise _Missing(method)
      return found

    try:
      value = MEASURES[figure.metric][1](group, find)
    except _Missing:
      continue
    out.append({'figure': figure, 'measured': value,
                'percent_remaining': group['percent_remaining'],
                'trials': group['trials'], 'scaled': scaled(figure, group)})
  return out


def to_markdown(matched):
  """Markdown lines of comparison()'s output."""
  lines = ['| paper | where | network | % left (paper / run) | method | '
           'measure | published | this run | setting |',
           '|---|---|---|---|---|---|---:|---:|---|']
  for item in matched:
    figure = item['figure']
    describe, _, shown = MEASURES[figure.metric]
    setting = ('scaled: ' + item['scaled'] if item['scaled']
               else 'as the paper')
    lines.append('| {} | {} | {} | {:g} / {:.1f} | {} | {} | {} | {} | {} |'
                 .format(figure.paper, figure.reference,
                         run_facts.network_title(figure.network),
                         figure.percent_remaining, item['percent_remaining'],
                         figure.method, describe, shown(figure.value),
                         _shown(shown, item['measured']), setting))
  return lines


def _shown(shown, value):
  return 'n/a' if not math.isfinite(value) else shown(value)


def section(rows):
  """The report's lines: the published figures beside the runs; when none
  matches runs of a network the papers used, one line saying what the list
  holds and lacks; nothing otherwise."""
  matched = comparison(rows)
  title = ['## Published figures beside this run', '']
  if not matched:
    papers_networks = {run_facts.LENET_300_100, run_facts.LENET5}
    if not papers_networks & {row['network'] for row in rows}:
      return []
    return title + ['No published figure in analysis/published.py matches '
                    'these runs. It holds {} ({}); not yet verified: {}.'
                    .format(len(FIGURES), ', '.join(sorted(
                        {'{} {}'.format(f.paper, f.reference)
                         for f in FIGURES})), '; '.join(NOT_VERIFIED)), '']
  sources = sorted({item['figure'].source for item in matched})
  return (title + [
      'Each number the papers state for a network, method and weights '
      'remaining that these runs have (analysis/published.py), beside the '
      'same quantity measured on the nearest group of runs (mean over '
      'trials). "scaled" names what differs from the paper\'s setting; a '
      'scaled run is not expected to reach the paper\'s numbers.', ''] +
          to_markdown(matched) + [''] +
          ['Source: ' + source for source in sources] + [''])
