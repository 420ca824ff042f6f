r"""Flag lines for the gradient-flow comparison of sparse training methods.

  python -m lottery_ticket.argfiles.sparse_train_argfile \
      --output_dir=results/sparse --sparsities=0.8,0.9,0.95 --trials=3

prints one line per method x sparsity x trial for
`lottery_ticket.mnist_fc.runners.sparse_train`, e.g.

  --method=rigl --sparsity=0.9 \
  --output_dir=results/sparse/rigl/sparsity0.9/trial0 --dataset=mnist --seed=0

Directories: `{output_dir}/{method}/sparsity{s}/trial{t}`, except dense,
which has no sparsity: one line per trial, no --sparsity flag, written to
`{output_dir}/dense/trial{t}`. The seed of trial t is t.

`--pack` prints one line per method x sparsity for all the trials instead,

  --method=rigl --sparsity=0.9 --output_dir=results/sparse/rigl/sparsity0.9 \
  --dataset=mnist --trials=3 --seed=0

which the runner trains as one pack, trial t into the directory of its
unpacked line (mnist_fc/trials.py); a packed line's --mask_from names the
prune runs' base, `{output_dir}/prune/sparsity{s}`, whose trial{t} trial t
reads.

Dependencies: `lottery` (the pruning solution's mask with its original
initialisation) and `scratch` (the same mask with a fresh initialisation)
start from a finished `prune` run. Their lines carry

  --mask_from={output_dir}/prune/sparsity{s}/trial{t}

the directory of the prune run of the same sparsity and trial, from which
the runner reads the final mask (and, for lottery, the initial weights).
Every prune line comes before any lottery or scratch line, and the sweep
runner (argfiles.runner) starts a line only after the earlier lines whose
output directories it names are done, so the sweep can run in parallel as
it is; a lottery or scratch line whose prune run failed is not started.
With another tool, run the prune lines first.

`--paper=mlp` (or `lenet5`) gives Evci et al.'s comparison: every method
(rigl_inverted included) at the preset's sparsity (98% / 95%), each line
with `--preset`, and set, rigl and rigl_inverted also starting from the
prune run's final mask, as the paper's configuration files do. `--scale`
shortens every step count for a quick look (paper_recipes.py).

`--paper=pai` gives pruning at initialisation with its sanity checks
(Frankle et al. 2021): for each preset (lenet5, mlp), every method of
pruning at initialisation alone and with each --ablation, at sparsities
0.5 to 0.998, into `{output_dir}/{preset}/{method}[_{ablation}]/sparsity{s}`,
every method ranking globally (`--prune_scope=global` on every line, SNIP
and GraSP included; a --prune_scope given replaces it).

`--paper=lmc` gives the random-pruning control of the linear-mode-
connectivity recipe (Frankle et al. 2020), run after
`lottery_experiment_argfile --paper=lmc` with the same --output_dir,
--trials, --scale (and --network, --rewind_iteration, --iterations if it
had them): for every IMP tree {output_dir}/{network}/k{k} and level L >= 1,
the mask of IMP's level L shuffled within each layer, from level 0's
weights at k and trained k..T as the level was (OpenLTH's randomly_prune,
layerwise; paper_recipes.lmc_control_flags), into
{output_dir}/{network}/k{k}/random_pruning/{L}/trial{t}:

  --output_dir=results/lmc/resnet20/k500/random_pruning/3/trial0 \
  --mask_from=results/lmc/resnet20/k500/trial0 --mask_level=3 \
  --method=lottery --shuffle_mask --sparsity=0.488 ... --seed=0

Its other flags are the sparse_train runner's: any of them (`--dataset`,
`--training_len`, `--distribution=erk`, ...) is checked as the runner
checks it and written into every line.
"""

import os

from lottery_ticket import command_line
from lottery_ticket.argfiles import generator_support as support
from lottery_ticket.argfiles import paper_recipes
from lottery_ticket.foundations import choices
from lottery_ticket.foundations import paths
from lottery_ticket.foundations.sparse import sparse_methods
from lottery_ticket.mnist_fc.runners import sparse_train as runner

# The methods of the comparison, run by default.
METHODS = ('dense', 'small_dense', 'prune', 'lottery', 'scratch', 'set',
           'rigl', 'snip', 'grasp')
# Every method the runner knows.
ALL_METHODS = sparse_methods.NAMES
# Methods that start from the mask of the prune run of the same sparsity.
NEEDS_MASK = sparse_methods.names_where(lambda m: m.mask_from == 'required')
# The method whose runs provide those masks.
MASK_SOURCE = 'prune'
# Methods without a sparsity: one line per trial.
DENSE = sparse_methods.names_where(lambda m: not m.sparse)


def format_sparsity(value):
  """A sparsity as written in flags and directory names.

  Args:
    value: a float or str in (0, 1).

  Returns:
    The shortest str of the value ('0.9', '0.95'), so the flag and the
    directory name always agree.

  Raises:
    ValueError: if value is not a number strictly between 0 and 1.
  """
  try:
    number = float(value)
  except (TypeError, ValueError):
    raise ValueError('sparsity must be a number, got {!r}'.format(value))
  if not 0.0 < number < 1.0:
    raise ValueError('sparsity must be strictly between 0 and 1, got '
                     '{!r}'.format(value))
  return repr(number)


def configuration_directory(output_dir, method, sparsity):
  """The directory holding the trials of one method and sparsity: the
  --output_dir of a packed line (foundations.paths owns the layout)."""
  return paths.sparse_configuration(output_dir, method,
                                    None if method in DENSE else sparsity)


DEFAULT_SPARSITIES = (0.8, 0.9, 0.95)


def make_lines(output_dir, trials=3, first_trial=0, methods=None,
               sparsities=None, dataset=None, training_len=None,
               paper=None, scale=1.0, pack=False, rewind_iteration=None,
               iterations=None, **flags):
  """The lines of the comparison: method x sparsity x trial.

  Args:
    output_dir: the base directory (see configuration_directory).
    trials: the number of trials.
    first_trial: the number (and seed) of the first trial.
    methods: a list (or comma-separated str) of ALL_METHODS.
    sparsities: a list (or comma-separated str) of sparsities in (0, 1).
    dataset: the runner's --dataset (None: mnist, or lmc's cifar10).
    training_len: the training length, or None for the runner's default.
    paper: 'mlp' or 'lenet5' for Evci et al.'s comparison with that preset,
      'pai' or 'lmc' (see the module docstring), or None.
    scale: with paper, multiply every step count by this.
    rewind_iteration: with lmc, only the trees of this k.
    iterations: with lmc, the levels 1..iterations (None: the recipe's).
    pack: one line per method and sparsity for all the trials (--trials,
      configuration_directory as --output_dir and the prune runs' as
      --mask_from, the first trial's seed), instead of one per trial.
    **flags: further flags of the sparse_train runner, written into every
      line.

  Returns:
    A list of str: method-major (those reading the prune mask last), then
    sparsity, then trial (unless packed).

  Raises:
    ValueError: naming any value out of range or unknown.
  """
  base = support.check_output_dir(output_dir)
  paper = paper or None
  if paper == paper_recipes.LMC:
    return _lmc_lines(base, trials, first_trial, dataset, training_len, scale,
                      rewind_iteration, iterations, pack, flags)
  if rewind_iteration is not None or iterations is not None:
    raise ValueError('--rewind_iteration and --iterations name the trees and '
                     'levels of --paper=lmc: give it too')
  written = ('method', 'sparsity', 'mask_from', 'preset')
  if paper == paper_recipes.PAI:
    methods = support.check_choices(methods or paper_recipes.PAI_METHODS,
                                    paper_recipes.PAI_METHODS, 'method')
    sparsities = sparsities or paper_recipes.PAI_SPARSITIES
    written += ('ablation',)
    # (preset, the directory of its methods, method, ablation) in order.
    runs = [(preset, os.path.join(base, preset), method, ablation)
            for preset in paper_recipes.PAI_PRESETS for method in methods
            for ablation in paper_recipes.pai_ablations(method)]
    reads_mask = lambda method: False
  else:
    if paper is not None:
      choices.check('paper', paper, paper_recipes.EVCI_PRESETS)
    elif paper_recipes.check_scale(scale) != 1.0:
      raise ValueError('--scale shortens a paper recipe: give --paper too')
    if sparsities is None:
      sparsities = ([paper_recipes.evci_sparsity(paper)] if paper
                    else DEFAULT_SPARSITIES)
    reads_mask = (paper_recipes.reads_prune_mask if paper
                  else lambda method: method in NEEDS_MASK)
    if methods is None:
      methods = paper_recipes.EVCI_METHODS if paper else METHODS
    methods = support.check_choices(methods, ALL_METHODS, 'method')
    # Those reading a prune mask after all the others (a stable sort).
    runs = [(paper, base, method, 'none')
            for method in sorted(methods, key=reads_mask)]
  sparsities = list(dict.fromkeys(format_sparsity(s) for s in support.as_list(
      sparsities, 'sparsities')))  # '0.9' and '0.90' are one sparsity.
  flags = _runner_flags(flags, written, dataset=dataset or 'mnist',
                        training_len=training_len)
  dataset = flags.pop('dataset')
  trial_lines = support.trial_lines(trials, first_trial, pack)
  lines = []
  for preset, root, method, ablation in runs:
    steps, rest = support.with_recipe(dict(
        paper_recipes.PAI_FLAGS if paper == paper_recipes.PAI else {},
        **(paper_recipes.evci_flags(preset, method, scale) if preset
           else {})), flags)
    lines += [support.format_line([
        ('preset', preset), ('method', method), ('sparsity', sparsity),
        ('ablation', ablation != 'none' and ablation),
        ('output_dir', line.directory(configuration_directory(
            root, paper_recipes.pai_name(method, ablation), sparsity))),
        ('mask_from', reads_mask(method) and line.directory(
            configuration_directory(base, MASK_SOURCE, sparsity))),
        ('dataset', dataset)] + steps + line.flags() + rest)
              for sparsity in ([None] if method in DENSE else sparsities)
              for line in trial_lines]
  return lines


def _runner_flags(flags, written, **given):
  """The runner flags given (`given` first), checked by the runner's
  settings.

  Raises:
    ValueError: for a flag the generator writes itself (`written`).
  """
  for name in written:
    if name in flags:
      raise ValueError('--{} is written by the generator (see --methods, '
                       '--sparsities, --paper)'.format(name))
  return support.check_runner_flags(runner.RUNNER, dict(given, **flags))


def _lmc_lines(base, trials, first_trial, dataset, training_len, scale,
               rewind_iteration, iterations, pack, flags):
  """The lines of --paper=lmc: IMP tree x level 1..iterations x trial, the
  random-pruning control (paper_recipes.lmc_control_flags), a flag given
  replacing the recipe's value."""
  given = _runner_flags(flags, ('method', 'sparsity', 'mask_from',
                                'mask_level', 'shuffle_mask', 'preset'),
                        dataset=dataset, training_len=training_len)
  network = given.pop('network', None)
  levels = support.check_count(
      paper_recipes.LMC_LEVELS if iterations is None else iterations,
      'iterations', 1)
  trial_lines = support.trial_lines(trials, first_trial, pack)
  lines = []
  for name, _, tree in paper_recipes.lmc_trees(base, scale, network,
                                               rewind_iteration):
    for level in range(1, levels + 1):
      values = dict(paper_recipes.lmc_control_flags(name, level, scale),
                    **given)
      support.check_runner_flags(runner.RUNNER, values)
      for line in trial_lines:
        lines.append(support.format_line(
            [('output_dir', line.directory(paper_recipes.lmc_control_dir(
                tree, level))), ('mask_from', line.directory(tree))] +
            sorted(values.items()) + line.flags()))
  return lines


S = support.S
GENERATOR = support.Generator(
    name='sparse_train_argfile', make_lines=make_lines, runner=runner.RUNNER,
    arguments=support.trial_arguments(default_trials=3) + (
        S('methods', 'str', None, 'methods to run: any of {}'.format(
            ', '.join(ALL_METHODS)),
          derived='all but rigl_inverted, or all with --paper'),
        S('sparsities', 'str', None, 'fractions of weights removed, each in '
          '(0, 1)', derived="0.8,0.9,0.95, or the preset's with --paper"),
        S('paper', 'str', None, "Evci et al.'s comparison with this network's "
          'preset, pai: pruning at initialisation with its sanity checks '
          '(Frankle et al. 2021) on both presets, or lmc: the random-pruning '
          'control of every level of lottery_experiment_argfile --paper=lmc '
          "(each level's IMP mask shuffled within each layer, rewound to k)",
          choices=tuple(paper_recipes.EVCI_PRESETS) +
          (paper_recipes.PAI, paper_recipes.LMC),
          derived='none'),
        S('scale', 'float', 1.0, 'with --paper: multiply every step count by '
          'this (a quick look)', above=0, maximum=1),
        support.lmc_tree_arguments()[2],  # --rewind_iteration
        S('iterations', 'int', None, 'with --paper=lmc: the levels 1..N of '
          'the lottery sweep', minimum=1,
          derived=str(paper_recipes.LMC_LEVELS))),
    summary='Flag lines of the sparse-training comparison for '
    'lottery_ticket.mnist_fc.runners.sparse_train.')

RUNNER = GENERATOR.command


if __name__ == '__main__':
  command_line.run(RUNNER)
