"""The pruning-at-initialisation comparison: accuracy per method, ablation
and sparsity, as in Frankle, Dziugaite, Roy & Carbin (2021).

A run belongs here when its method prunes at initialisation
(paper_recipes.PAI_METHODS: snip, grasp, synflow, iter_snip, force and the
two baselines magnitude_init and random_init) and the runs form a sweep of
them (some ablation, or a method at several sparsities). Its group is (network,
method, ablation, sparsity), read from its configuration rather than from
its directory, so a sweep laid out by `sparse_train_argfile --paper=pai`
and runs made by hand are read alike.

Accuracy is the test accuracy at the end of training. The recipe's presets
hold out no validation split, so an "early-stopping" accuracy would pick its
iteration by the test loss; it is in pai.csv for reference only.

A run whose mask left a layer empty or unreachable (layer collapse, recorded
by the run as collapsed_layers) is marked in the table with a footnote that
names the layers, and in the figure (results_pai_plots); one whose mask left
some outputs reached by no input (unreached_outputs) is marked in the table
with a footnote that counts them.
"""

import os

from lottery_ticket.analysis import results_table
from lottery_ticket.analysis import run_discovery
from lottery_ticket.analysis import run_facts
from lottery_ticket.analysis import tables
from lottery_ticket.argfiles import paper_recipes
from lottery_ticket.foundations import save_restore
from lottery_ticket.foundations.sparse import sparse_methods

METHODS = paper_recipes.PAI_METHODS
# The two baselines of the 2021 paper, drawn in every panel of the figure.
BASELINES = ('random_init', 'magnitude_init')
ABLATIONS = sparse_methods.ABLATIONS
METRICS = ('percent_remaining', 'final_test_accuracy',
           'early_stop_test_accuracy')
GROUP = ('network', 'method', 'ablation', 'sparsity')
CSV_COLUMNS = (GROUP + ('trials', 'percent_remaining_mean') +
               tuple('final_test_accuracy_' + s for s in results_table.STATS) +
               ('early_stop_test_accuracy_mean', 'collapsed',
                'unreached_outputs'))
CSV_NAME = 'pai.csv'


def pai_rows(rows):
  """The per-run rows (results_table.run_rows) of pruning at
  initialisation, each with 'sparsity' and 'ablation' always set."""
  return [dict(row, ablation=row['ablation'] or 'none',
               sparsity=float(row['sparsity'] or 0.0))
          for row in rows if row['kind'] == run_discovery.SPARSE and
          row['method'] in METHODS]


def group(pai):
  """Aggregates pai_rows by GROUP, in network, method, ablation, sparsity
  order.

  Returns:
    dicts with GROUP and what results_table.aggregate gives for METRICS.
  """
  groups = {}
  for row in pai:
    groups.setdefault(tuple(row[k] for k in GROUP), []).append(row)
  return [dict(zip(GROUP, key), **results_table.aggregate(groups[key], METRICS))
          for key in sorted(groups, key=_order)]


def _order(key):
  network, method, ablation, sparsity = key
  return (network, _rank(method, METHODS), _rank(ablation, ABLATIONS), sparsity)


def _rank(value, order):
  """Where `value` stands in `order` (after all of it when not there)."""
  return order.index(value) if value in order else len(order)


def panels(groups):
  """[(network, method)] in drawing order: every method that has its own
  lines; a baseline gets a panel only when it was run with an ablation or
  nothing else was run."""
  out = []
  for network in sorted({g['network'] for g in groups}):
    members = [g for g in groups if g['network'] == network]
    methods = sorted({g['method'] for g in members},
                     key=lambda m: _rank(m, METHODS))
    own = [m for m in methods if m not in BASELINES or any(
        g['method'] == m and g['ablation'] != 'none' for g in members)]
    out += [(network, m) for m in (own or methods)]
  return out


def to_csv(groups):
  """CSV text of the groups (collapse and unreached outputs written as
  their notes)."""
  return results_table.groups_csv(groups, CSV_COLUMNS)


def to_markdown(groups):
  """Markdown of `group`'s output: per network, a row per method and
  ablation, a column per sparsity, cells the mean final test accuracy (±
  std over trials); a cell with a collapsed trial, or one with unreached
  outputs, carries a numbered mark explained below the table
  (results_table.mark)."""
  lines = []
  for network in sorted({g['network'] for g in groups}):
    members = [g for g in groups if g['network'] == network]
    sparsities = sorted({g['sparsity'] for g in members})
    cells, notes = {}, {}
    for entry in members:
      label = '{} at sparsity {:g}'.format(
          paper_recipes.pai_name(entry['method'], entry['ablation']),
          entry['sparsity'])
      cells[(entry['method'], entry['ablation'], entry['sparsity'])] = (
          results_table.mean_std(entry, 'final_test_accuracy') +
          results_table.mark(entry, label, notes))
    lines += ['### {}'.format(run_facts.network_title(network)), '']
    # The groups come in method and ablation order (see `group`).
    lines += tables.markdown(
        ['method', 'ablation'] + ['{:g}% left'.format(run_facts.percent_of(s))
                                  for s in sparsities],
        ([method, ablation] + [cells.get((method, ablation, s), '')
                               for s in sparsities]
         for method, ablation in dict.fromkeys((g['method'], g['ablation'])
                                               for g in members)),
        ['---', '---'] + ['---:'] * len(sparsities))
    lines += results_table.mark_notes(notes) + ['']
  return lines


def sweep_rows(rows):
  """pai_rows(rows) when they form a sweep of the comparison (some
  ablation, or a method at several sparsities), else [] (a method or two of
  another comparison, say snip in Evci et al.'s, stay in the summary)."""
  pai = pai_rows(rows)
  sparsities = {}
  for row in pai:
    sparsities.setdefault(row['method'], set()).add(row['sparsity'])
  if (any(r['ablation'] != 'none' for r in pai) or
      any(len(s) > 1 for s in sparsities.values())):
    return pai
  return []


def sweep_groups(rows):
  """The (kind, name, key) groups of a pruning-at-initialisation sweep
  among rows (see sweep_rows): the section shows them, so the summary
  table and the training curves leave them out."""
  return {(r['kind'], r['name'], r['key']) for r in sweep_rows(rows)}


def write(rows, output_dir, plots=True):
  """Writes pai.csv (and pai.png) when the rows hold a sweep of pruning at
  initialisation.

  Args:
    rows: per-run rows (results_table.run_rows).
    output_dir: where the files go.
    plots: draw pai.png (needs matplotlib).

  Returns:
    (the groups, dict file kind -> path); ([], {}) without such a sweep
    (see sweep_rows).
  """
  pai = sweep_rows(rows)
  if not pai:
    return [], {}
  groups = group(pai)
  written = {'pai_csv': os.path.join(output_dir, CSV_NAME)}
  save_restore.write_text(written['pai_csv'], to_csv(groups))
  if plots:
    from lottery_ticket.analysis import results_pai_plots  # pylint: disable=g-import-not-at-top
    written['pai'] = results_pai_plots.plot(
        groups, os.path.join(output_dir, 'pai.png'), panels(groups))
  return groups, written


def section(rows, output_dir):
  """The report's lines for the comparison (see write; none without a
  sweep)."""
  groups, written = write(rows, output_dir)
  if not groups:
    return []
  return ['## Pruning at initialisation: methods and their ablations', '',
          'Test accuracy at the end of training against the weights '
          'remaining, a panel per method with a line per ablation (shuffle: '
          'the mask permuted within each layer; reinit: the kept weights '
          're-drawn; invert: the lowest scores kept); random_init and '
          'magnitude_init, the baselines, in every panel (Frankle et al. '
          '2021, Figs. 2-4). Error bars: min-max over trials; a red ring '
          'marks a point of the panel\'s method where some trial\'s network '
          'collapsed (the tables below name the layers, baselines '
          'included). The numbers are in [{0}]({0}).'.format(CSV_NAME), '',
          '![Pruning at initialisation]({})'.format(
              os.path.relpath(written['pai'], output_dir)), ''] + to_markdown(
                  groups)
