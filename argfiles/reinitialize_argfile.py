r"""Flag lines for the reinitialisation controls of a lottery ticket sweep.

  python -m lottery_ticket.argfiles.reinitialize_argfile \
      --output_dir=results/lottery --trials=5 --iterations=10 \
      --modes=reinit,reuse,reuse_sign

prints one line per trial x level x mode for
`lottery_ticket.mnist_fc.runners.reinitialize`, e.g.

  --output_dir=results/lottery/trial0 --level=3 --mode=reinit --seed=0

Run it after the lottery sweep with the same --output_dir and trials: each
line reads the masks of `{output_dir}/trial{t}/{level}/same_init/` and
writes `{output_dir}/trial{t}/{level}/{mode}/`.

`--paper=lmc` prints the reinit control of every IMP tree of
`lottery_experiment_argfile --paper=lmc` ({output_dir}/{network}/k{k}; give
the sweep's --output_dir and --scale, and --network or --rewind_iteration if
it had them): the tree's masks, a fresh initialisation trained from
iteration 0.

`--pack` prints one line per level x mode for all the trials instead,

  --output_dir=results/lottery --level=3 --mode=reinit --trials=5 --seed=0

which the runner trains as one pack: trial t reads and writes the same
directories as its unpacked line (mnist_fc/trials.py). Packed or not, the
lottery sweep it reads may have been run either way.

Modes (see mnist_fc/reinitialize.py): reinit (the ticket's mask, a fresh
random initialisation), reuse (the mask, weights re-sampled from the
surviving initial weights), reuse_sign (as reuse, keeping each weight's
original sign).

Levels: either --levels=0,3,6 (a list) or --iterations=N (a count: every
level 0..N of a lottery sweep run with --iterations=N).

Seeds: the line of trial t has seed t + seed_offset (default 0), the seed
of the lottery run it controls, so it sees the same data order. That does
not make its initialisation the lottery run's: the reinitialize runner
draws the controls' weights from their own random stream (per level). A
packed line names trial t by its seed, so --pack takes no seed offset.

Its other flags are the reinitialize runner's: any of them (`--dataset`,
`--training_len`, `--source_experiment`, ...) is checked as the runner
checks it and written into every line. Left out, each line uses the
configuration saved by the lottery run it reads (its config.json).
"""

from lottery_ticket import command_line
from lottery_ticket.argfiles import generator_support as support
from lottery_ticket.argfiles import paper_recipes
from lottery_ticket.mnist_fc import experiments
from lottery_ticket.mnist_fc.runners import reinitialize as runner

MODES = experiments.MODES


def resolve_levels(levels=None, iterations=None):
  """The levels to run, from a list or from a count.

  Args:
    levels: a list of levels (ints or str) or a comma-separated str, or
      None.
    iterations: a count N meaning levels 0..N, or None.

  Returns:
    A sorted list of distinct ints.

  Raises:
    ValueError: unless exactly one of levels and iterations is given, or if
      a level is not a non-negative integer.
  """
  if (levels is None) == (iterations is None):
    raise ValueError('give exactly one of levels (a list) and iterations '
                     '(a count)')
  if iterations is not None:
    return list(range(support.check_count(iterations, 'iterations', 0) + 1))
  return sorted({support.check_count(level, 'level', minimum=0)
                 for level in support.as_list(levels, 'levels')})


def make_lines(output_dir, trials=5, first_trial=0, modes=None, levels=None,
               iterations=None, seed_offset=0, paper='', scale=1.0,
               network=None, rewind_iteration=None, pack=False, **flags):
  """The lines of the reinitialisation controls: trials x levels x modes.

  Args:
    output_dir: the base directory of the lottery sweep.
    trials: the number of trials.
    first_trial: the number of the first trial.
    modes: a list (or comma-separated str) of MODES (None: all, or reinit
      with paper).
    levels: a list (or comma-separated str) of levels; or None with
      iterations.
    iterations: run levels 0..iterations; or None with levels.
    seed_offset: added to the trial number to give each line's seed.
    paper: '' (none), 'frankle_carbin' (True means it too) or 'lmc': the
      paper's control (reinit; every level of the paper's lottery sweep
      unless levels or iterations are given). The lines read the lottery
      runs' configurations, so a --scale of that sweep carries over; lmc
      writes the lines of every IMP tree of the recipe
      ({output_dir}/{network}/k{k}, paper_recipes.lmc_trees).
    scale: with lmc, the --scale the lottery sweep was generated with (it
      names the trees by their scaled k).
    network: with lmc, only this network's trees.
    rewind_iteration: with lmc, only the tree of this k (as its name says).
    pack: one line per level and mode for all the trials (--trials, the
      base as --output_dir, the first trial's seed), instead of one per
      trial; needs seed_offset 0.
    **flags: further flags of the reinitialize runner (dataset,
      training_len, ...), written into every line.

  Returns:
    A list of str, trial-major (unless packed), then level, then mode.

  Raises:
    ValueError: naming any value out of range or unknown.
  """
  base = support.check_output_dir(output_dir)
  paper = paper_recipes.lottery_paper(paper)
  lmc = paper == paper_recipes.LMC
  if (network is not None or rewind_iteration is not None or
      paper_recipes.check_scale(scale) != 1.0) and not lmc:
    raise ValueError('--scale, --network and --rewind_iteration name the '
                     'trees of --paper=lmc: give it too')
  if modes is None:
    modes = ('reinit',) if paper else MODES
  if paper and levels is None and iterations is None:
    iterations = (paper_recipes.LMC_LEVELS if lmc
                  else paper_recipes.FRANKLE_CARBIN_LEVELS)
  modes = support.check_choices(modes, MODES, 'mode')
  levels = resolve_levels(levels, iterations)
  seed_offset = support.check_count(seed_offset, 'seed_offset', minimum=0)
  for name in ('level', 'mode'):
    if name in flags:
      raise ValueError('--{} is written by the generator: give --{}s'.format(
          name, name))
  flags = support.check_runner_flags(runner.RUNNER, flags)
  head = [(name, flags.pop(name, None)) for name in ('dataset',
                                                      'training_len')]
  trees = ([tree for _, _, tree in paper_recipes.lmc_trees(
      base, scale, network, rewind_iteration)] if lmc else [base])
  return [support.format_line(
      [('output_dir', line.directory(tree)), ('level', level),
       ('mode', mode)] + head + line.flags(seed_offset) + list(flags.items()))
          for tree in trees
          for line in support.trial_lines(trials, first_trial, pack)
          for level in levels for mode in modes]

S = support.S
GENERATOR = support.Generator(
    name='reinitialize_argfile', make_lines=make_lines, runner=runner.RUNNER,
    arguments=support.trial_arguments(default_trials=5) + (
        S('modes', 'str', None, 'controls to run: any of {}'.format(
            ', '.join(MODES)), derived='all, or reinit with --paper'),
        S('levels', 'str', None, 'pruning levels to run, e.g. 0,3,6 (or use '
          '--iterations)', derived='none'),
        S('iterations', 'int', None, 'run every level 0..N (the '
          '--iterations of the lottery sweep); instead of --levels',
          minimum=0, derived='--levels'),
        S('seed_offset', 'int', 0, 'trial t runs with seed t + seed_offset',
          minimum=0),
        S('paper', 'str', '', "a paper's control, reinit on every level "
          '(unless --levels or --iterations say otherwise): frankle_carbin '
          '(levels 0..{}) or lmc (levels 0..{} of every IMP tree of '
          'lottery_experiment_argfile --paper=lmc)'.format(
              paper_recipes.FRANKLE_CARBIN_LEVELS, paper_recipes.LMC_LEVELS),
          choices=('',) + paper_recipes.LOTTERY_PAPERS)) +
    support.lmc_tree_arguments(),
    summary='Flag lines of the reinitialisation controls of a lottery sweep '
    'for lottery_ticket.mnist_fc.runners.reinitialize.')

RUNNER = GENERATOR.command


if __name__ == '__main__':
  command_line.run(RUNNER)
