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

Dataset and training length: left out unless given, so each line uses the
configuration saved by the lottery run it reads (its config.json); giving
them overrides that.
"""

import sys

from absl import flags as absl_flags

from lottery_ticket.argfiles import generator_support as support
from lottery_ticket.argfiles import paper_recipes

MODES = ('reinit', 'reuse', 'reuse_sign')

def define_flags(flag_values):
  """Defines this generator's flags on flag_values."""
  support.define_trial_flags(flag_values, default_trials=5)
  absl_flags.DEFINE_list('modes', None,
                         'Controls to run: any of ' + ', '.join(MODES) +
                         '; unset: all, or reinit with --paper.',
                         flag_values=flag_values)
  absl_flags.DEFINE_list('levels', None,
                         'Pruning levels to run, e.g. 0,3,6 (or use '
                         '--iterations).', flag_values=flag_values)
  absl_flags.DEFINE_integer('iterations', None,
                            'Run every level 0..N (the --iterations of the '
                            'lottery sweep); instead of --levels.',
                            lower_bound=0, flag_values=flag_values)
  support.define_data_flags(flag_values, default_dataset=None,
                            unset="the lottery run's (its config.json)")
  absl_flags.DEFINE_integer('seed_offset', 0,
                            'Trial t runs with seed t + seed_offset.',
                            lower_bound=0, flag_values=flag_values)
  absl_flags.DEFINE_bool('paper', False, "Frankle & Carbin's control: reinit "
                         'on every level 0..{} (unless --levels or '
                         '--iterations say otherwise).'.format(
                             paper_recipes.FRANKLE_CARBIN_LEVELS),
                         flag_values=flag_values)


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
               iterations=None, dataset=None, training_len=None,
               seed_offset=0, extra_flags=None, paper=False, pack=False):
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
    dataset: a dataset overriding the lottery run's, or None (usual).
    training_len: a training length overriding the lottery run's, or None.
    seed_offset: added to the trial number to give each line's seed.
    extra_flags: a str of further flags appended to every line, or None.
    paper: Frankle & Carbin's control (reinit; every level of the paper's
      lottery sweep unless levels or iterations are given). The lines read
      the lottery runs' configurations, so a --scale of that sweep carries
      over.
    pack: one line per level and mode for all the trials (--trials, the
      base as --output_dir, the first trial's seed), instead of one per
      trial; needs seed_offset 0.

  Returns:
    A list of str, trial-major (unless packed), then level, then mode.

  Raises:
    ValueError: naming any value out of range or unknown.
  """
  base = support.check_output_dir(output_dir)
  if modes is None:
    modes = ('reinit',) if paper else MODES
  if paper and levels is None and iterations is None:
    iterations = paper_recipes.FRANKLE_CARBIN_LEVELS
  modes = support.check_choices(support.as_list(modes, 'modes'), MODES,
                                'mode')
  levels = resolve_levels(levels, iterations)
  seed_offset = support.check_count(seed_offset, 'seed_offset', minimum=0)
  if dataset is not None:
    support.check_choices([dataset], support.dataset_names(), 'dataset')
  lines = []
  for line in support.trial_lines(trials, first_trial, pack):
    trial_flags = line.flags(seed_offset)
    for level in levels:
      for mode in modes:
        lines.append(support.format_line([
            ('output_dir', line.directory(base)),
            ('level', level),
            ('mode', mode),
            ('dataset', dataset),
            ('training_len', training_len),
        ] + trial_flags, extra_flags))
  return lines


if __name__ == '__main__':
  support.run_generator(sys.modules[__name__])
