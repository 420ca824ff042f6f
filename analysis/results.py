r"""Tables and figures of an experiment tree.

  python -m lottery_ticket.analysis.results \
      --experiment_dir=results/lottery --output_dir=results/lottery/analysis

writes runs.csv (a row per run), summary.csv (a row per group of trials:
mean, std, min, max of every metric), summary.md (the same as Markdown,
also printed), the PNG figures of results_plots and, for a sweep of pruning
at initialisation, pai.csv and pai.png (results_pai).
"""

from lottery_ticket import command_line
from lottery_ticket.analysis import results_pai
from lottery_ticket.analysis import results_table


def results(experiment_dir, output_dir, levels=None, include_unfinished=False,
            plots=True, quiet=False):
  """Reads every run under experiment_dir and writes tables and plots.

  Args:
    experiment_dir: root of an experiment tree (lottery trials, controls,
      sparse-training runs, or any mix).
    output_dir: where the tables and figures go.
    levels: pruning levels drawn in the accuracy curves (a list or
      '0,3,6'; default: up to five spread over the levels present).
    include_unfinished: also read runs without a DONE marker.
    plots: draw the figures (needs matplotlib).
    quiet: do not print the Markdown table.

  Returns:
    dict name -> path of every file written.

  Raises:
    ValueError: if experiment_dir holds no runs or a file is unreadable.
  """
  rows = results_table.run_rows(experiment_dir, include_unfinished)
  groups = results_table.group_rows(rows)
  written = results_table.write_tables(rows, groups, output_dir)
  written.update(results_pai.write(rows, output_dir, plots)[1])
  if plots:
    from lottery_ticket.analysis import results_plots  # pylint: disable=g-import-not-at-top
    written.update(results_plots.plot_all(rows, groups, output_dir, levels))
  if not quiet:
    print(results_table.to_markdown(groups))
    print('{} runs in {} groups; wrote {}'.format(
        len(rows), len(groups), ', '.join(sorted(written.values()))))
  return written


# Its command line: flags from the signature, help from the docstring.
RUNNER = command_line.command(results, 'analysis.results')


if __name__ == '__main__':
  command_line.run(RUNNER)
