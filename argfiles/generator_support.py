"""What the argfile generators share: their command line, checks, lines.

A generator is a function `make_lines(output_dir, trials, ..., **flags)`
returning one flag line per run of a runner. Its command line is the
runner's: every flag of the runner (its own arguments and its concerns'
settings, declared once in hparams Settings) may be given to the generator,
is checked by the runner's Setting, and is written into every line as it
was given; the generator adds its own few (`--trials`, `--pack`,
`--paper`, ...), declared as Settings too. `Generator` bundles the two, and
its `command` runs through lottery_ticket.command_line as the runners do
(help, one-line errors, exit 2). The checks raise ValueError naming the
value that was wrong, so a library caller and the command line get the same
message.
"""

import collections
import dataclasses
import functools
import shlex
from typing import Callable, Mapping, Optional, Sequence

from lottery_ticket import command_line
from lottery_ticket.foundations import choices
from lottery_ticket.foundations import hparams
from lottery_ticket.foundations import paths

S = hparams.Setting
# Flags every generator writes itself: a runner flag of the same name given
# to a generator means the generator's own.
WRITTEN = ('output_dir', 'trials', 'seed')


def trial_arguments(default_trials):
  """The Settings of --output_dir, --trials, --first_trial and --pack."""
  return (
      S('output_dir', 'str', None, 'the base output directory (required)',
        derived='required'),
      S('trials', 'int', default_trials, 'number of trials (independent '
        'replicates)', minimum=1),
      S('first_trial', 'int', 0, 'number of the first trial; trial t uses '
        'seed t', minimum=0),
      S('pack', 'bool', False, 'one line per configuration for all its '
        'trials, trained together as one pack (--output_dir=BASE '
        '--trials=N --seed=FIRST), instead of one line per trial'),
  )


def check_runner_flags(runner, flags):
  """Checks flags bound for every line against the runner's Settings.

  Args:
    runner: the command_line.Runner the lines are for.
    flags: dict name -> value (a str as written, a number, True for a bare
      flag, or None for a flag left out).

  Returns:
    The flags given (not None), in order, as they were given.

  Raises:
    ValueError: naming a flag the runner does not take, one the generator
      writes itself, or a bad value.
  """
  settings = command_line.settings(runner)
  out = {}
  for name, value in flags.items():
    if value is None:
      continue
    if name in WRITTEN:
      raise ValueError('--{} is written by the generator into each line; '
                       'it is not a flag to pass through'.format(name))
    if name not in settings:
      raise ValueError('--{}={} is not a flag of {} (see its --help)'.format(
          name, value, runner.name))
    settings[name].parse(value)
    out[name] = value
  return out


def format_line(pairs):
  """A flag line from (name, value) pairs, in order.

  Args:
    pairs: an iterable of (name, value): None or False leaves the flag out,
      True writes a bare `--name`, any other value is written with str()
      and shell-quoted where needed ("--output_dir='a b/trial1'").

  Returns:
    The line as a str.
  """
  return ' '.join('--' + name if value is True else '--{}={}'.format(
      name, shlex.quote(str(value))) for name, value in pairs
                  if value is not None and value is not False)


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
  items = value.split(',') if isinstance(value, str) else list(value or [])
  # Drops blanks and repeats, keeps the order.
  items = list(dict.fromkeys(filter(None, (str(i).strip() for i in items))))
  if not items:
    raise ValueError('{} must name at least one value'.format(name))
  return items


def check_count(value, name, minimum=1):
  """An integer argument at least `minimum`, read as a flag is.

  Raises:
    ValueError: if value is not an integer >= minimum.
  """
  return S(name, 'int', minimum, '', minimum=minimum).parse(value)


def check_choices(values, allowed, name):
  """A list-valued argument (as_list, named `name`s), once each is found
  among the allowed (ValueError: 'No such {name}: ...' for the first that
  is not)."""
  return [choices.check(name, value, allowed)
          for value in as_list(values, name + 's')]


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
    return base if self.packed else paths.trial(base, self.numbers[0])

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


def with_recipe(steps, flags):
  """A recipe's settings with the flags given replacing theirs.

  Args:
    steps: dict flag -> value of the recipe (its step counts, its presets).
    flags: the checked runner flags given; a --training_len given joins the
      recipe's settings even where the recipe has none.

  Returns:
    (the recipe's settings as sorted (flag, value) pairs, the other flags
    given as pairs in their order).
  """
  steps = dict(steps, **{name: value for name, value in flags.items()
                         if name in steps or name == 'training_len'})
  return (sorted(steps.items()),
          [(name, value) for name, value in flags.items()
           if name not in steps])


def lmc_tree_arguments(prefix='with --paper=lmc: '):
  """The Settings naming the IMP trees of lottery_experiment_argfile
  --paper=lmc that a control's lines read: --scale, --network and
  --rewind_iteration, each help text after `prefix`."""
  return (
      S('scale', 'float', 1.0, prefix + 'the --scale of the lottery sweep '
        '(its trees are named by the scaled k)', above=0, maximum=1),
      S('network', 'str', None, prefix + 'only the trees of this network',
        derived='every network of the recipe'),
      S('rewind_iteration', 'int', None, prefix + 'only the trees of this k',
        minimum=0, derived='every k of the recipe'))


@dataclasses.dataclass(frozen=True)
class Generator(object):
  """A generator of lines for a runner, and its command line.

  Attributes:
    name: the program name in messages.
    make_lines: callable(**flags) -> list of str.
    runner: the command_line.Runner the lines are for; its flags are the
      generator's too.
    arguments: Settings of the generator's own arguments.
    summary: what it prints, first line of its help.
    defaults: defaults of runner flags that the generator writes into every
      line unless told otherwise (shown in its help).
  """
  name: str
  make_lines: Callable
  runner: command_line.Runner
  arguments: Sequence[hparams.Setting]
  summary: str
  defaults: Optional[Mapping[str, object]] = None

  @property
  def command(self):
    """The command_line.Runner printing the lines (runner flags reach
    make_lines as the text of the command line)."""
    own = {s.name for s in self.arguments}
    runner_arguments = tuple(s for s in self.runner.arguments
                             if s.name not in own and s.name not in WRITTEN)
    runner_flags = hparams.Concern(self.runner.name, runner_arguments)
    # A flag the generator takes itself (--network: every network of a
    # recipe) is its own, not also its runner's concern's.
    concerns = tuple(hparams.Concern(c.name, tuple(
        s for s in c.settings if s.name not in own))
                     for c in self.runner.concerns)

    @functools.wraps(self.make_lines)
    def print_lines(*args, **kwargs):
      for line in self.make_lines(*args, **kwargs):
        print(line)
    return command_line.Runner(
        name=self.name, function=print_lines, summary=self.summary,
        arguments=tuple(self.arguments),
        concerns=(runner_flags,) + concerns,
        default_overrides=dict(self.runner.default_overrides or {},
                               **(self.defaults or {})),
        epilog='Every other flag is a flag of {} (above, by concern), '
        'checked as it checks it and written into every line.'.format(
            self.runner.name),
        text_flags=True)

  def lines(self, argv):
    """The lines of a command line of this generator (in this process).

    Raises:
      ValueError: in one line, for a bad flag or value.
    """
    return list(self.make_lines(**command_line.read_command_line(
        self.command, argv)))
