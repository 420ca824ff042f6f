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
Flags left unset (training_len, experiment_name, rewind_iteration) are left
out, so the runner's defaults apply.

`--pack` prints one line for the five trials instead,

  --output_dir=results/lottery --iterations=10 --dataset=mnist \
  --training_len=50000it --trials=5 --seed=0

which the runner trains as one pack, level by level in one graph, writing
the same trial directories as the five lines (mnist_fc/trials.py): fewer
processes, each busier.

`--paper` gives Frankle & Carbin's LeNet-300-100 experiment (the runner's
defaults are the paper's settings) over 20 levels, with its random-pruning
control: each trial gets a second line, `--pruning=random
--experiment_name=random_pruning`, writing
{output_dir}/random_pruning/trial{t}/{level}/random_pruning/ (a tree of its
own: one writer per directory; with --pack, a second packed line writing
the base {output_dir}/random_pruning); the reinitialisation control comes from
reinitialize_argfile --paper. `--scale=0.02` shortens every step count
(training length, evaluation and checkpoint intervals) for a quick look;
see paper_recipes.py.
"""

import os
import sys

from absl import flags as absl_flags

from lottery_ticket.argfiles import generator_support as support
from lottery_ticket.argfiles import paper_recipes


def define_flags(flag_values):
  """Defines this generator's flags on flag_values."""
  support.define_trial_flags(flag_values, default_trials=5)
  absl_flags.DEFINE_integer('iterations', None,
                            'Pruning iterations per trial (levels 0..N); '
                            'unset: 10, or {} with --paper.'.format(
                                paper_recipes.FRANKLE_CARBIN_LEVELS),
                            lower_bound=0, flag_values=flag_values)
  support.define_data_flags(flag_values)
  absl_flags.DEFINE_string('experiment_name', None,
                           "Name of the experiment within each level; unset: "
                           "the runner's default (same_init).",
                           flag_values=flag_values)
  absl_flags.DEFINE_integer('rewind_iteration', None,
                            'Training iteration to rewind to (late '
                            "resetting); unset: the runner's default (0).",
                            lower_bound=0, flag_values=flag_values)
  absl_flags.DEFINE_bool('paper', False, "Frankle & Carbin's experiment with "
                         'its random-pruning control.', flag_values=flag_values)
  absl_flags.DEFINE_float('scale', 1.0, 'Multiply every step count by this '
                          '(a quick look at the same experiment).',
                          flag_values=flag_values)


DEFAULT_ITERATIONS = 10


def make_lines(output_dir, trials=5, first_trial=0, iterations=None,
               dataset='mnist', training_len=None, experiment_name=None,
               rewind_iteration=None, extra_flags=None, paper=False,
               scale=1.0, pack=False):
  """The lines of a lottery ticket sweep, one per trial (or per pack).

  Args:
    output_dir: the base directory; trial t writes `{output_dir}/trial{t}`.
    trials: the number of trials.
    first_trial: the number (and seed) of the first trial.
    iterations: pruning iterations per trial.
    dataset: one of generator_support.dataset_names().
    training_len: training length per level (e.g. '50000it'), or None.
    experiment_name: the experiment's name within each level, or None.
    rewind_iteration: the iteration to rewind weights to, or None.
    extra_flags: a str of further flags appended to every line, or None.
    paper: add the random-pruning control line of every trial (and default
      to the paper's number of levels).
    scale: multiply the step counts of the runner's defaults by this.
    pack: one line per experiment for all its trials (--trials, the base
      as --output_dir, the first trial's seed), instead of one per trial.

  Returns:
    A list of str.

  Raises:
    ValueError: naming any value out of range.
  """
  base = support.check_output_dir(output_dir)
  if iterations is None:
    iterations = (paper_recipes.FRANKLE_CARBIN_LEVELS if paper
                  else DEFAULT_ITERATIONS)
  iterations = support.check_count(iterations, 'iterations', minimum=0)
  steps = paper_recipes.lottery_flags(scale)
  if training_len is not None:
    steps['training_len'] = training_len
  variants = [(base, [('experiment_name', experiment_name)])]
  if paper:
    name = paper_recipes.RANDOM_PRUNING_NAME
    variants.append((os.path.join(base, name),
                     [('pruning', 'random'), ('experiment_name', name)]))
  support.check_choices([dataset], support.dataset_names(), 'dataset')
  if rewind_iteration is not None:
    rewind_iteration = support.check_count(rewind_iteration,
                                           'rewind_iteration', minimum=0)
  return [
      support.format_line([
          ('output_dir', line.directory(root)),
          ('iterations', iterations),
          ('dataset', dataset)] + sorted(steps.items()) + variant + [
              ('rewind_iteration', rewind_iteration),
          ] + line.flags(), extra_flags)
      for root, variant in variants
      for line in support.trial_lines(trials, first_trial, pack)
  ]


if __name__ == '__main__':
  support.run_generator(sys.modules[__name__])
