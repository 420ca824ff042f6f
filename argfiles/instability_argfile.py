r"""Flag lines for the instability analysis of every level of the lmc recipe.

  python -m lottery_ticket.argfiles.instability_argfile \
      --output_dir=results/lmc --trials=2 --paper=lmc

prints, for each IMP tree {output_dir}/{network}/k{k} of
`lottery_experiment_argfile --paper=lmc` (paper_recipes.lmc_trees), each
trial t and each level L,

  --run_dir=results/lmc/resnet20/k500/trial0/3/same_init \
  --output_dir=results/lmc/resnet20/instability/k500/trial0/3 \
  --rewind_iterations=500 --num_points=21 --plot=False

for `lottery_ticket.analysis.instability`. Why k for every level of the k
tree: Frankle et al. (2020) ask whether the sparse network IMP finds with
rewinding to k is stable to SGD noise from where it starts training, which
is iteration k: the level's own first weights (level 0's weights at k,
masked), then two copies with different data orders train k..T and the
error barrier between them is measured. A level's line reads only its
finished run, so run the lines after the lottery sweep (and give the same
--output_dir, --trials, --scale, --network, --rewind_iteration and
--iterations). Each line writes one directory beside the trees, so the
trees stay what the lottery runner wrote; analysis.lmc_report reads both.
"""

import os

from lottery_ticket import command_line
from lottery_ticket.argfiles import generator_support as support
from lottery_ticket.argfiles import paper_recipes
from lottery_ticket.foundations import choices
from lottery_ticket.foundations import paths

NAME = 'instability_argfile'


def make_lines(output_dir, trials=5, first_trial=0, paper=paper_recipes.LMC,
               scale=1.0, network=None, rewind_iteration=None,
               iterations=None, num_points=21, split='test'):
  """The instability lines: tree x trial x level.

  Args:
    output_dir: the --output_dir of the lmc lottery sweep.
    trials: the number of trials of that sweep.
    first_trial: its first trial.
    paper: the recipe ('lmc', the only one with instability lines).
    scale: the sweep's --scale (its trees are named by the scaled k).
    network: only this network's trees.
    rewind_iteration: only the tree of this k (as its name says).
    iterations: levels 0..iterations (None: the recipe's).
    num_points: points on each linear path, alpha in [0, 1].
    split: the split the paths are evaluated on ('test', as the paper).

  Returns:
    A list of str, tree-major, then trial, then level.

  Raises:
    ValueError: naming any value out of range or unknown.
  """
  base = support.check_output_dir(output_dir)
  choices.check('paper', paper, (paper_recipes.LMC,))
  levels = support.check_count(
      paper_recipes.LMC_LEVELS if iterations is None else iterations,
      'iterations', 0)
  num_points = support.check_count(num_points, 'num_points', 2)
  lines = []
  for name, rewind, tree in paper_recipes.lmc_trees(base, scale, network,
                                                     rewind_iteration):
    results = paper_recipes.lmc_instability_dir(base, name, rewind)
    lines += [support.format_line([
        ('run_dir', paths.run(paths.trial(tree, trial), level)),
        ('output_dir', os.path.join(paths.trial(results, trial), str(level))),
        ('rewind_iterations', rewind), ('num_points', num_points),
        ('split', split), ('plot', 'False')])
              for trial in support.trial_numbers(trials, first_trial)
              for level in range(levels + 1)]
  return lines


def print_lines(**flags):
  for line in make_lines(**flags):
    print(line)


S = support.S
RUNNER = command_line.Runner(
    name=NAME, function=print_lines,
    summary='Flag lines of the instability analysis of every level of '
    'lottery_experiment_argfile --paper=lmc, for '
    'lottery_ticket.analysis.instability.',
    concerns=(), epilog=__doc__.split('\n', 1)[1].strip(),
    arguments=(
        S('output_dir', 'str', None, 'the --output_dir of the lmc lottery '
          'sweep (required)', derived='required'),
        S('trials', 'int', 5, 'trials of that sweep', minimum=1),
        S('first_trial', 'int', 0, 'its first trial', minimum=0),
        S('paper', 'str', paper_recipes.LMC, 'the recipe',
          choices=(paper_recipes.LMC,)),
        S('iterations', 'int', None, 'levels 0..N', minimum=0,
          derived=str(paper_recipes.LMC_LEVELS)),
        S('num_points', 'int', 21, 'points on each linear path', minimum=2),
        S('split', 'str', 'test', 'the split the paths are evaluated on',
          choices=('test', 'validate', 'train'))) +
    support.lmc_tree_arguments(prefix=''))

if __name__ == '__main__':
  command_line.run(RUNNER)
