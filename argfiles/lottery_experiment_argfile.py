r"""Flag lines for the lottery ticket experiment: one line per trial.

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
"""

import sys

from absl import flags as absl_flags

from lottery_ticket.argfiles import generator_support as support


def define_flags(flag_values):
  """Defines this generator's flags on flag_values."""
  support.define_trial_flags(flag_values, default_trials=5)
  absl_flags.DEFINE_integer('iterations', 10,
                            'Pruning iterations per trial (levels 0..N).',
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


def make_lines(output_dir, trials=5, first_trial=0, iterations=10,
               dataset='mnist', training_len=None, experiment_name=None,
               rewind_iteration=None, extra_flags=None):
  """The lines of a lottery ticket sweep, one per trial.

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

  Returns:
    A list of str.

  Raises:
    ValueError: naming any value out of range.
  """
  base = support.check_output_dir(output_dir)
  iterations = support.check_count(iterations, 'iterations', minimum=0)
  support.check_choices([dataset], support.dataset_names(), 'dataset')
  if rewind_iteration is not None:
    rewind_iteration = support.check_count(rewind_iteration,
                                           'rewind_iteration', minimum=0)
  return [
      support.format_line([
          ('output_dir', support.trial_directory(base, trial)),
          ('iterations', iterations),
          ('dataset', dataset),
          ('training_len', training_len),
          ('experiment_name', experiment_name),
          ('rewind_iteration', rewind_iteration),
          ('seed', trial),
      ], extra_flags) for trial in support.trial_numbers(trials, first_trial)
  ]


if __name__ == '__main__':
  support.run_generator(sys.modules[__name__])
