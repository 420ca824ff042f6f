r"""Flag lines for the lottery ticket experiment: one line per trial, or
one packed line for all of them.

  python -m lottery_ticket.argfiles.lottery_experiment_argfile \
      --output_dir=results/lottery --trials=5 --iterations=10 \
      --dataset=mnist --training_len=50000it

prints, for t = 0..4,

  --output_dir=results/lottery/trial{t} --iterations=10 --dataset=mnist \
  --training_len=50000it --seed={t}

for `lottery_ticket.mnist_fc.runners.lottery_experiment`. Each line is one
trial: the runner trains, prunes and resets through levels 0..iterations,
writing `{output_dir}/{level}/{experiment_name}/`. The seed of trial t is t.
Its flags are the runner's: any flag of the lottery_experiment runner
(`--pruning=global`, `--rewind_iteration=1000`, ...) is checked as the
runner checks it and written into every line; flags left unset are left
out, so the runner's defaults apply (except --dataset, mnist, and
--iterations, 10).

`--pack` prints one line for the five trials instead,

  --output_dir=results/lottery --iterations=10 --dataset=mnist \
  --training_len=50000it --trials=5 --seed=0

which the runner trains as one pack, level by level in one graph, writing
the same trial directories as the five lines (mnist_fc/trials.py): fewer
processes, each busier.

`--paper=frankle_carbin` gives Frankle & Carbin's LeNet-300-100 experiment
(the runner's defaults are the paper's settings) over 20 levels, with its
random-pruning control: each trial gets a second line, `--pruning=random
--experiment_name=random_pruning`, writing
{output_dir}/random_pruning/trial{t}/{level}/random_pruning/ (a tree of its
own: one writer per directory; with --pack, a second packed line writing
the base {output_dir}/random_pruning); the reinitialisation control comes from
reinitialize_argfile --paper=frankle_carbin.

`--paper=lmc` gives the linear-mode-connectivity experiment (Frankle et al.
2020) on CIFAR-10: for each network (resnet20 and vgg16, or the one
--network names) and each rewind iteration k of paper_recipes.LMC_REWINDS
(or the one --rewind_iteration names), an IMP tree
{output_dir}/{network}/k{k}/ trained as OpenLTH trains the network, over 20
levels. Its controls read the finished tree: random pruning (each level's
mask shuffled within each layer, rewound to k) from sparse_train_argfile
--paper=lmc, the reinitialisation from reinitialize_argfile --paper=lmc,
the instability of every level from instability_argfile --paper=lmc. Any
runner flag given replaces the recipe's value in every line.

`--scale=0.02` shortens every step count (training length, evaluation and
checkpoint intervals; for lmc also k and the learning-rate drops) for a
quick look; see paper_recipes.py.
"""

import os

from lottery_ticket import command_line
from lottery_ticket.argfiles import generator_support as support
from lottery_ticket.argfiles import paper_recipes
from lottery_ticket.mnist_fc.runners import lottery_experiment as runner

DEFAULT_ITERATIONS = 10


def make_lines(output_dir, trials=5, first_trial=0, iterations=None,
               dataset=None, training_len=None, experiment_name=None,
               rewind_iteration=None, paper='', scale=1.0, pack=False,
               **flags):
  """The lines of a lottery ticket sweep, one per trial (or per pack).

  Args:
    output_dir: the base directory; trial t writes `{output_dir}/trial{t}`.
    trials: the number of trials.
    first_trial: the number (and seed) of the first trial.
    iterations: pruning iterations per trial (None: 10, or the paper's).
    dataset: the runner's --dataset (None: mnist, or the paper's).
    training_len: training length per level (e.g. '50000it'), or None.
    experiment_name: the experiment's name within each level, or None.
    rewind_iteration: the iteration to rewind weights to, or None (with
      lmc: the only k to run).
    paper: '' (none), 'frankle_carbin' (True means it too) or 'lmc' (see
      the module docstring): the paper's settings and controls, and its
      number of levels unless iterations is given.
    scale: multiply the step counts of the recipe by this.
    pack: one line per experiment for all its trials (--trials, the base
      as --output_dir, the first trial's seed), instead of one per trial.
    **flags: further flags of the lottery_experiment runner, written into
      every line.

  Returns:
    A list of str.

  Raises:
    ValueError: naming any value out of range or unknown.
  """
  base = support.check_output_dir(output_dir)
  paper = paper_recipes.lottery_paper(paper)
  if paper == paper_recipes.LMC:
    return _lmc_lines(base, trials, first_trial, iterations, dataset,
                      training_len, experiment_name, rewind_iteration, scale,
                      pack, flags)
  if iterations is None:
    iterations = (paper_recipes.FRANKLE_CARBIN_LEVELS if paper
                  else DEFAULT_ITERATIONS)
  flags = support.check_runner_flags(runner.RUNNER, dict(
      iterations=iterations, dataset=dataset or 'mnist',
      training_len=training_len, experiment_name=experiment_name,
      rewind_iteration=rewind_iteration, **flags))
  steps, rest = support.with_recipe(paper_recipes.lottery_flags(scale), flags)
  return _tree_lines(base, trials, first_trial, pack, bool(paper), steps,
                     dict(rest))


def _tree_lines(base, trials, first_trial, pack, control, steps, flags):
  """The lines of one lottery tree at `base` and, with `control`, of its
  random-pruning control at {base}/random_pruning (Frankle & Carbin's).

  Args:
    steps: (flag, value) pairs written after --iterations and --dataset.
    flags: the checked runner flags (iterations, dataset, experiment_name
      and rewind_iteration among them); consumed.
  """
  head = [(name, flags.pop(name, None)) for name in ('iterations', 'dataset')]
  variants = [(base, [('experiment_name', flags.pop('experiment_name',
                                                      None))])]
  if control:
    name = paper_recipes.RANDOM_PRUNING_NAME
    variants.append((os.path.join(base, name),
                     [('pruning', 'random'), ('experiment_name', name)]))
  rewind = [('rewind_iteration', flags.pop('rewind_iteration', None))]
  return [
      support.format_line(
          [('output_dir', line.directory(root))] + head + list(steps) +
          variant + rewind + line.flags() +
          [(k, v) for k, v in flags.items() if k not in dict(variant)])
      for root, variant in variants
      for line in support.trial_lines(trials, first_trial, pack)
  ]


def _lmc_lines(base, trials, first_trial, iterations, dataset, training_len,
               experiment_name, rewind_iteration, scale, pack, flags):
  """The lines of --paper=lmc: network x k, each an IMP tree
  (paper_recipes.lmc_flags), a flag given replacing the recipe's value."""
  given = support.check_runner_flags(runner.RUNNER, dict(
      dataset=dataset, training_len=training_len,
      experiment_name=experiment_name, **flags))
  if rewind_iteration is not None:
    support.check_count(rewind_iteration, 'rewind_iteration', 0)
  iterations = support.check_count(
      paper_recipes.LMC_LEVELS if iterations is None else iterations,
      'iterations', 0)
  lines = []
  for network, rewind, tree in paper_recipes.lmc_trees(
      base, scale, given.pop('network', None), rewind_iteration):
    values = support.check_runner_flags(runner.RUNNER, dict(
        paper_recipes.lmc_flags(network, scale), **given,
        iterations=iterations, rewind_iteration=rewind))
    head = {n: values.pop(n) for n in ('iterations', 'dataset',
                                        'experiment_name', 'rewind_iteration')
            if n in values}
    lines += _tree_lines(tree, trials, first_trial, pack, False,
                         sorted(values.items()), head)
  return lines

S = support.S
GENERATOR = support.Generator(
    name='lottery_experiment_argfile', make_lines=make_lines,
    runner=runner.RUNNER,
    arguments=support.trial_arguments(default_trials=5) + (
        S('paper', 'str', '', "a paper's experiment: frankle_carbin "
          '(LeNet-300-100, {} levels, with its random-pruning control) or lmc '
          '(Frankle et al. 2020: ResNet-20 and VGG-16 on CIFAR-10 rewound to '
          'each k of {}, {} levels; its controls from sparse_train_argfile '
          'and reinitialize_argfile); --iterations sets the levels'.format(
              paper_recipes.FRANKLE_CARBIN_LEVELS,
              ','.join(str(k) for k in paper_recipes.LMC_REWINDS),
              paper_recipes.LMC_LEVELS),
          choices=('',) + paper_recipes.LOTTERY_PAPERS),
        S('scale', 'float', 1.0, 'multiply every step count by this (a '
          'quick look at the same experiment)', above=0, maximum=1)),
    summary='Flag lines of lottery ticket trials for '
    'lottery_ticket.mnist_fc.runners.lottery_experiment.',
    defaults={'iterations': DEFAULT_ITERATIONS})

RUNNER = GENERATOR.command


if __name__ == '__main__':
  command_line.run(RUNNER)
