"""What every command line of the library shares: flags, help, errors, Ctrl-C.

A command is a `Runner`: a library function (Fire dispatches to it), its own
arguments (`output_dir`, `iterations`, ...) as Settings, and the
configuration concerns it takes. A plain function is a command too
(`command(function, name)`: its Settings from its signature and docstring).
Every command of cli_main.COMMANDS runs through `run`, and from its one
declaration come

  * `--help`: every flag on one line with its choices and one default,
    grouped by concern, on stdout, exit 0 (no pager);
  * one strict reading of the command line (`read_command_line`), before
    the function runs and before anything is written: flags only, each
    once, named and with a value (`flag_problem`, which a sweep's lines get
    too); each value parsed from its text by its Setting; a flag the
    command does not take, a missing required argument, and what the
    command's configuration refuses (its resolve). Fire's loose reading
    (`--seed=0x10` as 16, `--=5` found after training) never decides;
  * one-line errors: bad input (ValueError, including dataset errors and a
    configuration mismatch, a file-system error or a missing optional
    dependency) prints `name: error: message` and exits 2;
  * Ctrl-C or SIGTERM: one line saying that what was saved is kept and how
    to resume, exit 130 or 143 (at any moment, start-up included:
    _interrupts.py);
  * `validate_flags(argv)`: the same reading, without running anything
    (the sweep runner calls it once per line before starting).

Nothing here imports TensorFlow or a package of the library other than
`foundations.hparams`, so `--help` is instant and every package may use
this module.
"""
import dataclasses
import inspect
import re
import sys
from typing import Any, Callable, Optional, Sequence

import fire
from lottery_ticket import _interrupts
from lottery_ticket.foundations import hparams


# The forms a command line may take (read_command_line), in every --help.
FORMS = ('Flags are --name=value or --name value (a bare --name is true); a '
         'list is 300,100 or [300,100]; an integer is decimal digits; a flag '
         'is given once, with a value.')


@dataclasses.dataclass(frozen=True)
class Runner(object):
  """A command: its function, own arguments and configuration concerns.

  Attributes:
    name: the program name in messages.
    function: the library function Fire calls.
    summary: what the command does, first line of its help.
    arguments: Settings of the function's own arguments.
    concerns: the configuration Concerns it takes as flags.
    resolve: callable(flags dict) -> anything, raising ValueError for flags
      the concerns refuse (validate_flags calls it; None checks only the
      command line's shape and the own arguments).
    default_overrides: dict of defaults differing from the settings'.
    epilog: more help text (presets, examples).
    cleanup: callable() run when the command fails or is interrupted in
      this process (e.g. releasing directory locks), or None.
    text_flags: whether the flags that are not its own arguments reach the
      function as the text of the command line (True for a bare flag),
      rather than as Fire reads them: a generator writes them into lines.
    positional: names of own arguments that are given as the first words
      of the command line, in this order (`RUNNER ARGFILE`), not as flags.
    rest: the name of the argument given, as a tuple, the words after a
      '--' (the sweep's generator's flags); '' refuses a '--'.
    handles_interrupts: whether the function takes Ctrl-C and SIGTERM over
      itself (the sweep's start-up exits at once, then its runs stop and
      are recorded): `run` leaves the signals alone.
    returns_status: whether what the function returns is the exit status
      (the sweep's: 1 if a line failed).
  """
  name: str
  function: Callable
  summary: str
  arguments: Sequence[hparams.Setting]
  concerns: Sequence[hparams.Concern]
  resolve: Optional[Callable] = None
  default_overrides: Any = None
  epilog: str = ''
  cleanup: Optional[Callable] = None
  text_flags: bool = False
  positional: Sequence[str] = ()
  rest: str = ''
  handles_interrupts: bool = False
  returns_status: bool = False

  def help(self):
    own = '\n'.join(
        s.describe().replace('--' + s.name, s.name.upper(), 1)
        if s.name in self.positional else s.describe()
        for s in self.arguments)
    words = ''.join(name.upper() + ' ' for name in self.positional)
    parts = ['{}\n\nUsage: {} {}[--flag=value ...]\n{}'.format(
        self.summary, self.name, words, FORMS),
             '{}:\n{}'.format(self.name, own),
             hparams.help_text(self.concerns, self.default_overrides),
             self.epilog]
    return '\n\n'.join(part for part in parts if part) + '\n'


def flag_problem(argv):
  """What makes a command line's words other than flags, or None.

  The one check of a command line's shape, shared by every command and by
  a sweep's lines (argfiles/lines.py): flags only (`--name=value`,
  `--name value`, or a bare `--name` for true), each once, each named by an
  identifier and given a value. Whatever Fire would read loosely is refused:
  a positional word or a lone '--' (Fire would run the function and then
  fail on what it could not consume), `--=5` (a flag without a name), a
  repeated flag (Fire keeps the last silently), `--masks=` (an empty value
  is a typo more often than a choice: leave the flag out for its default).

  Args:
    argv: the words of the command line (after any positional words).

  Returns:
    None, or the problem in one line naming the word.
  """
  seen = {}
  for name, value, word in hparams.flag_words(argv):
    if word == '--':
      return ("a lone '--' (what follows it would go to Fire, not to the "
              'command)')
    if name is None:
      return '{!r} is not a flag: flags are --name=value'.format(word)
    if not name.isidentifier():
      return '{!r} is a flag without a name (flags are --name=value)'.format(
          word)
    if value == '':
      return ('--{} has an empty value: give a value, or leave the flag out '
              'for its default'.format(name))
    if name in seen:
      return '--{} is given twice ({} and {}): give it once'.format(
          name, seen[name], word)
    seen[name] = word
  return None


def flag_items(argv):
  """(name, raw text) of each flag, in order (None for a bare `--flag`).

  Raises:
    ValueError: for a command line flag_problem refuses.
  """
  problem = flag_problem(argv)
  if problem:
    raise ValueError(problem)
  return [(name, value) for name, value, _ in hparams.flag_words(argv)]


def _own_words(runner, argv):
  """The words of argv before a '--' whose rest goes to runner.rest."""
  if runner.rest and '--' in argv:
    return argv[:argv.index('--')]
  return argv


def split_words(runner, argv):
  """(the leading words naming runner.positional, the flags, the words
  after a '--' if runner.rest takes them).

  Raises:
    ValueError: if fewer words than runner.positional lead the command line.
  """
  argv = list(argv)
  own = _own_words(runner, argv)
  count = len(runner.positional)
  words = own[:count]
  if len(words) < count or any(w.startswith('-') for w in words):
    raise ValueError('{} needs {} before its flags'.format(
        runner.name, ' '.join(n.upper() for n in runner.positional)))
  return words, own[count:], argv[len(own) + 1:]


def settings(runner):
  """{name: Setting} of every flag of a Runner: its own arguments and its
  concerns' settings."""
  out = {s.name: s for c in runner.concerns for s in c.settings}
  out.update((s.name, s) for s in runner.arguments)
  return out


def read_command_line(runner, argv):
  """Every argument of a command line, parsed and checked: the one strict
  reading of every command of the library.

  Nothing is run or written here, and nothing reaches the function but what
  passed: the shape (flag_problem), each value parsed from its text by its
  Setting (so `--seed=0x10` and `--seed=1e3` are refused: an int is decimal
  digits), a missing required argument, a flag the command does not take,
  and the runner's own check of its configuration (resolve).

  Args:
    runner: the Runner.
    argv: the words after the program name.

  Returns:
    {name: value} of every own argument (given, or its Setting's default:
    the one place a command's defaults are stated) and of the other flags
    given: concern settings typed by their Settings, the text of any other
    flag (kept for resolve and the function's **flags; with
    runner.text_flags, of every flag that is not an own argument).

  Raises:
    ValueError: in one line naming the argument and its value.
  """
  words, argv, rest = split_words(runner, argv)
  own = {s.name: s for s in runner.arguments}
  known = settings(runner)
  values = {s.name: s.default for s in runner.arguments
            if s.derived != 'required'}
  values.update((name, own[name].parse(word))
                for name, word in zip(runner.positional, words))
  for name, text in flag_items(argv):
    setting = known.get(name)
    if setting is None and not _takes_more(runner):
      raise ValueError('{} does not take --{} (see --help)'.format(
          runner.name, name))
    if text is None and (setting is None or setting.kind != 'bool'):
      raise ValueError('--{} needs a value (--{}=...)'.format(name, name))
    typed = setting.parse('true' if text is None else text) if setting else None
    kept_as_text = setting is None or (runner.text_flags and name not in own)
    values[name] = (True if text is None else text) if kept_as_text else typed
  missing = [s.name for s in runner.arguments
             if s.derived == 'required' and s.name not in values]
  if missing:
    raise ValueError('{} needs {}'.format(
        runner.name, ', '.join('--' + m for m in missing)))
  if runner.resolve is not None:
    runner.resolve({n: v for n, v in values.items() if n not in own})
  if runner.rest:
    values[runner.rest] = tuple(rest)
  return values


def _takes_more(runner):
  """Whether flags beyond its Settings reach the function's **flags (and
  its resolve, which checks them)."""
  return runner.resolve is not None or runner.function is not None and any(
      p.kind == p.VAR_KEYWORD
      for p in inspect.signature(runner.function).parameters.values())


def validate_flags(runner, argv):
  """Checks a command line without running it (nothing is written).

  Raises:
    ValueError: in one line, for an unknown flag or a bad value.
  """
  read_command_line(runner, argv)


def command(function, name):
  """A plain function as a Runner: its Settings from its signature (kinds
  from the defaults: a bool, int, float or str default gives that kind, a
  tuple of ints 'ints', anything else (None) a text the function reads
  itself; no default: required), their help from the Args section of its
  docstring, its summary from the docstring's first paragraph. So Fire's
  reading is never the value: `--plot=false` is False, `--points=0x10` is
  refused. A default the docstring states in words (`(default: ...)`) is
  shown as those words."""
  doc = inspect.getdoc(function) or ''
  described = _described(doc)
  kinds = {bool: 'bool', int: 'int', float: 'float', str: 'str',
           tuple: 'ints'}
  arguments = []
  epilog = ''
  for parameter in inspect.signature(function).parameters.values():
    text = described.get(parameter.name, '')
    if parameter.kind == parameter.VAR_KEYWORD:
      epilog = '  --FLAG=VALUE: {}'.format(text or 'further settings')
    elif parameter.default is parameter.empty:
      arguments.append(hparams.Setting(parameter.name, 'str', None,
                                       text + ' (required)',
                                       derived='required'))
    else:
      stated = re.search(r'\s*\(default: ([^)]*)\)', text)
      arguments.append(hparams.Setting(
          parameter.name, kinds.get(type(parameter.default), 'str'),
          parameter.default,
          text.replace(stated.group(0), '') if stated else text,
          derived=stated.group(1) if stated else 'none'))
  return Runner(name=name, function=function, arguments=tuple(arguments),
                summary=doc.split('\n\n')[0].replace('\n', ' '),
                concerns=(), epilog=epilog)


def _described(doc):
  """{parameter: its text} of a docstring's Args section (`a, b: text`
  describes both; a deeper or colon-free line continues the text)."""
  described, names, arg_indent = {}, [], None
  lines = doc.splitlines()
  starts = [i for i, line in enumerate(lines)
            if line.strip() in ('Args:', 'Arguments:')]
  for line in lines[starts[0] + 1:] if starts else ():
    stripped = line.strip()
    indent = len(line) - len(line.lstrip())
    if not stripped:
      continue
    if arg_indent is None:
      arg_indent = indent
    if indent < arg_indent:
      break  # the next section (Returns:, Raises:)
    head, colon, rest = stripped.partition(':')
    if indent == arg_indent and colon:
      names = [one.strip() for one in head.replace('**', '').split(',')]
      described.update((one, rest.strip()) for one in names)
    else:
      for one in names:
        described[one] += ' ' + stripped
  return described


def run(runner, argv=None):
  """Runs `runner` as a Fire CLI with the shared help, errors and interrupts.

  Every argument is read by read_command_line before the function runs;
  Fire then dispatches the command line to the function, which gets the
  values read (Fire routes the flags, the Settings read them). Every
  command module declares its Runner as `RUNNER` (a plain function's by
  `command`) and runs it so in its `__main__` block.

  Args:
    runner: a Runner.
    argv: the arguments (default: sys.argv[1:]).
  """
  argv = list(sys.argv[1:] if argv is None else argv)
  if any(a in ('-h', '--help', '-help') for a in _own_words(runner, argv)):
    sys.stdout.write(runner.help())
    sys.exit(0)
  returned = []
  try:
    if not runner.handles_interrupts:
      _interrupts.interrupt_raises()
    values = read_command_line(runner, argv)
    fire.Fire(_called_with(runner.function, values, returned.append),
              command=split_words(runner, argv)[1], name=runner.name)
  # Ctrl-C or SIGTERM (Terminated); ImportError: an optional dependency
  # (matplotlib) is missing.
  except (KeyboardInterrupt, ValueError, OSError, ImportError) as error:
    _interrupts.interrupt_exits()
    if runner.cleanup is not None:
      runner.cleanup()
    if isinstance(error, KeyboardInterrupt):
      signum = _interrupts.signal_of(error)
      print(_interrupts.message(runner.name, signum), file=sys.stderr)
      sys.exit(_interrupts.exit_status(signum))
    print('{}: error: {}'.format(runner.name, one_line(error)),
          file=sys.stderr)
    sys.exit(2)
  _interrupts.interrupt_exits()
  if runner.returns_status:
    sys.exit(returned[0])


def one_line(error):
  """An error as one line: its message's first line, and for an OSError
  (which str() shows as `[Errno 2] No such file or directory: 'x'`) the
  reason and the path in words."""
  if (isinstance(error, OSError) and error.strerror and
      str(error).startswith('[Errno')):  # not a message of the library's own
    where = error.filename if error.filename is not None else ''
    return '{}{}'.format('{}: '.format(where) if where else '',
                         error.strerror.lower()) or repr(error)
  text = str(error).strip()
  return text.splitlines()[0] if text else repr(error)


def _called_with(function, values, keep):
  """What Fire calls: `function` with `values`, read by read_command_line
  (a flag outside the function's parameters reaches its **flags). Fire's
  own reading of the same flags is not used, and a command reports by
  printing: what the function returns goes to `keep`, not echoed."""

  def call(**unused_fire_reading):
    keep(function(**values))
  return call
