"""What the argfile generators share: writing lines, checking values, main.

A generator module (see lines.py for the protocol) defines its absl flags in
`define_flags(flag_values)` and builds its lines in `make_lines(**values)`;
`run_generator` turns such a module into a command that prints one line per
run. The checks here raise ValueError naming the value that was wrong, so a
library caller and the command line get the same message.
"""

import collections
import os
import shlex
import sys

from absl import flags as absl_flags

from lottery_ticket.foundations import paths



def dataset_names():
  """The datasets the runners accept: the names of the dataset registry.

  Returns:
    A sorted tuple of str.
  """
  from lottery_ticket.datasets import registry  # pylint: disable=g-import-not-at-top
  return tuple(sorted(registry.NAMES))


def format_flag(name, value):
  """One flag as it appears in a line, or '' for a flag left out.

  Args:
    name: the flag name, without dashes.
    value: None (left out), True (a bare `--name`), or any value written
      with str() and shell-quoted where needed.

  Returns:
    A str such as '--seed=3', '--permute_labels' or
    "--output_dir='a b/trial1'".
  """
  if value is None or value is False:
    return ''
  if value is True:
    return '--' + name
  return '--{}={}'.format(name, shlex.quote(str(value)))


def format_line(pairs, extra_flags=None):
  """A flag line from (name, value) pairs, in order.

  Args:
    pairs: an iterable of (name, value); see format_flag.
    extra_flags: None, or a str of further flags appended verbatim (already
      quoted as in a line).

  Returns:
    The line as a str.
  """
  parts = [format_flag(name, value) for name, value in pairs]
  if extra_flags:
    parts.append(extra_flags.strip())
  return ' '.join(part for part in parts if part)


def as_list(value, name):
  """A list-valued argument as a list of stripped, non-empty str.

  Args:
    value: a comma-separated str or a sequence.
    name: the argument's name, for errors.

  Returns:
    A list of str, each value once, in order of first appearance.

  Raises:
    ValueError: if the list is empty.
  """
  if isinstance(value, str):
    items = value.split(',')
  else:
    items = list(value or [])
  items = [str(item).strip() for item in items if str(item).strip()]
  items = list(dict.fromkeys(items))  # Drops repeats, keeps the order.
  if not items:
    raise ValueError('{} must name at least one value'.format(name))
  return items


def check_count(value, name, minimum=1):
  """An integer argument at least `minimum`.

  Args:
    value: the value (an int, or a str of one).
    name: the argument's name, for errors.
    minimum: the smallest allowed value.

  Returns:
    The int.

  Raises:
    ValueError: if value is not an integer >= minimum.
  """
  try:
    number = int(value)
    if number != float(value):
      raise ValueError()
  except (TypeError, ValueError):
    raise ValueError('{} must be an integer, got {!r}'.format(name, value))
  if number < minimum:
    raise ValueError('{} must be at least {}, got {}'.format(
        name, minimum, number))
  return number


def check_choices(values, choices, name):
  """Checks that every value is one of the choices.

  Args:
    values: a list of str.
    choices: the allowed values.
    name: the argument's name, for errors.

  Returns:
    values.

  Raises:
    ValueError: naming the first value not among the choices.
  """
  for value in values:
    if value not in choices:
      raise ValueError('No such {}: {!r} (choose from {})'.format(
          name, value, ', '.join(choices)))
  return values


def check_output_dir(output_dir):
  """The base output directory, which must be given.

  Raises:
    ValueError: if it is empty or None.
  """
  if not output_dir:
    raise ValueError('output_dir must be given')
  return str(output_dir).rstrip('/') or '/'


def trial_numbers(trials, first_trial=0):
  """The trial numbers of a sweep: first_trial, ..., first_trial + trials - 1.

  Args:
    trials: how many trials (>= 1).
    first_trial: the first trial's number (>= 0), so a sweep can be extended
      with more trials later without redoing the earlier ones.

  Returns:
    A list of int.

  Raises:
    ValueError: if trials < 1 or first_trial < 0.
  """
  trials = check_count(trials, 'trials')
  first_trial = check_count(first_trial, 'first_trial', minimum=0)
  return list(range(first_trial, first_trial + trials))


def trial_directory(output_dir, trial):
  """The directory of one trial: `{output_dir}/trial{trial}`.

  foundations.paths owns the layout (trial0, trial1, ...).
  """
  return paths.trial(output_dir, trial)


class TrialLine(collections.namedtuple('TrialLine', ['numbers', 'packed'])):
  """The trials of one line: one trial, or (--pack) several as one pack.

  A packed line is the runners' `--trials` form (mnist_fc/trials.py):
  `--output_dir=BASE --trials=N --seed=FIRST` trains trials FIRST..FIRST+N-1
  together, trial t into {BASE}/trial{t} with seed t, each what the
  unpacked line of that trial writes. So one packed line stands for the
  lines of its trials, and a directory flag naming another run names its
  base.

  Attributes:
    numbers: the trial numbers (their seeds), in order.
    packed: whether the line is packed (--trials), even for one trial.
  """

  def directory(self, base):
    """The directory flag of this line for a run tree at `base`: base itself
    when packed, else its trial's directory."""
    return base if self.packed else trial_directory(base, self.numbers[0])

  def flags(self, seed_offset=0):
    """The trial flags ending the line: [--trials,] --seed.

    Args:
      seed_offset: added to the trial number to give the seed; a packed
        line names each trial's directory by its seed, so it takes none.

    Raises:
      ValueError: for a seed_offset on a packed line.
    """
    if self.packed and seed_offset:
      raise ValueError('--pack trains trial t with seed t (in trial{t}), so '
                       'it takes no seed offset: give seed_offset=0 or no '
                       '--pack')
    pairs = [('trials', len(self.numbers))] if self.packed else []
    return pairs + [('seed', self.numbers[0] + seed_offset)]


def trial_lines(trials, first_trial=0, pack=False):
  """The trials of each line of one configuration.

  Args:
    trials, first_trial: as for trial_numbers.
    pack: one packed line for all the trials, instead of one per trial.

  Returns:
    A list of TrialLine.
  """
  numbers = trial_numbers(trials, first_trial)
  if pack:
    return [TrialLine(numbers, True)]
  return [TrialLine([number], False) for number in numbers]


def define_trial_flags(flag_values, default_trials):
  """Defines --output_dir, --trials, --first_trial, --pack, --extra_flags."""
  absl_flags.DEFINE_string('output_dir', None, 'Base output directory.',
                           flag_values=flag_values)
  absl_flags.DEFINE_integer('trials', default_trials,
                            'Number of trials (independent replicates).',
                            lower_bound=1, flag_values=flag_values)
  absl_flags.DEFINE_integer('first_trial', 0,
                            'Number of the first trial; trial t uses seed t.',
                            lower_bound=0, flag_values=flag_values)
  absl_flags.DEFINE_bool('pack', False, 'One line per configuration for all '
                         'its trials, trained together as one pack '
                         '(--output_dir=BASE --trials=N --seed=FIRST), '
                         'instead of one line per trial.',
                         flag_values=flag_values)
  absl_flags.DEFINE_string('extra_flags', None,
                           'Further flags appended to every line verbatim, '
                           "e.g. '--pruning=global'.", flag_values=flag_values)


def flag_dict(flag_values):
  """The parsed values of a FlagValues, by long flag name.

  Args:
    flag_values: an absl FlagValues, already parsed.

  Returns:
    A dict of flag name to value (short names left out).
  """
  return {name: flag_values[name].value for name in flag_values
          if flag_values[name].name == name}


def define_data_flags(flag_values, default_dataset='mnist', unset='the '
                      "runner's default"):
  """Defines --dataset and --training_len.

  Args:
    flag_values: the absl FlagValues to define them on.
    default_dataset: the default dataset, or None to leave it out of lines.
    unset: what a flag left out of the lines means, for the help text.
  """
  absl_flags.DEFINE_enum('dataset', default_dataset, dataset_names(),
                         'Dataset; unset: {}.'.format(unset),
                         flag_values=flag_values)
  absl_flags.DEFINE_string('training_len', None,
                           "Training length, e.g. '50000it' or '40ep'; "
                           'unset: {}.'.format(unset), flag_values=flag_values)


def run_generator(module, argv=None):
  """Runs a generator module as a command: parses flags, prints lines.

  Args:
    module: a module following the generator protocol.
    argv: the full command line (program name first); None means sys.argv.

  Returns:
    Does not return: exits 0 after printing the lines, or 2 with a
    one-line error on bad flags or values.
  """
  argv = sys.argv if argv is None else argv
  flag_values = absl_flags.FlagValues()
  module.define_flags(flag_values)
  absl_flags.DEFINE_bool('help', False, 'Show this help.', short_name='?',
                         flag_values=flag_values)
  try:
    leftover = flag_values(argv)
    if flag_values['help'].value:
      sys.stdout.write((module.__doc__ or '') + '\n' +
                       flag_values.get_help() + '\n')
      sys.exit(0)
    if len(leftover) > 1:
      raise ValueError('unexpected arguments: {}'.format(
          ' '.join(leftover[1:])))
    values = flag_dict(flag_values)
    del values['help']
    lines = module.make_lines(**values)
  except (absl_flags.Error, ValueError) as e:
    sys.stderr.write('{}: error: {}\n'.format(os.path.basename(argv[0]), e))
    sys.exit(2)
  for line in lines:
    sys.stdout.write(line + '\n')
  sys.exit(0)
