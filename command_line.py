"""What every command line of the library shares: flags, help, errors, Ctrl-C.

A command is a `Runner`: a library function (its signature is the command
line, through Fire), its own arguments (`output_dir`, `iterations`, ...) and
the configuration concerns it takes. From that one declaration come

  * `--help`: every flag on one line with its choices and one default,
    grouped by concern, on stdout, exit 0 (no pager);
  * one-line errors: bad input (ValueError, including dataset errors and a
    configuration mismatch, or a file-system error) prints
    `name: error: message` and exits 2;
  * Ctrl-C or SIGTERM: one line saying that what was saved is kept and how
    to resume, exit 130 or 143 (at any moment, start-up included:
    _interrupts.py);
  * a command line of `--flag=value`s only: a stray word, a repeated flag,
    a missing or empty required argument are refused before the runner
    starts (`check_arguments`);
  * `validate_flags(argv)`: the flags checked without training anything
    (the sweep runner calls it once per line before starting).

A plain function is a command too (`run(function, name=...)`): its help
comes from its signature and docstring, its flags are parsed by the type of
their defaults. Nothing here imports TensorFlow or a package of the library
other than `foundations.hparams`, so `--help` is instant and every package
may use this module.
"""

import dataclasses
import functools
import inspect
import sys
from typing import Any, Callable, Optional, Sequence

import fire
from fire import parser as fire_parser
from lottery_ticket import _interrupts
from lottery_ticket.foundations import hparams


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

  def help(self):
    if not self.arguments and not self.concerns:
      return self.epilog
    own = '\n'.join(
        s.describe().replace('--' + s.name, s.name.upper(), 1)
        if s.name in self.positional else s.describe()
        for s in self.arguments)
    words = ''.join(name.upper() + ' ' for name in self.positional)
    parts = ['{}\n\nUsage: {} {}[--flag=value ...]'.format(
        self.summary, self.name, words), '{}:\n{}'.format(self.name, own),
             hparams.help_text(self.concerns, self.default_overrides),
             self.epilog]
    return '\n\n'.join(part for part in parts if part) + '\n'


def flag_items(argv):
  """(name, raw text) of each `--flag=value` / `--flag value` / `--flag`
  (the text of a bare `--flag` is None: true for a boolean).

  Raises:
    ValueError: for a word that is no flag (Fire would pass it as the next
      positional argument: a stray word must not become a value).
  """
  items = []
  for name, value, word in hparams.flag_words(argv):
    if name is None:
      raise ValueError('unexpected argument {!r} (flags are --name=value)'
                       .format(word))
    items.append((name, value))
  return items


def parse_argv(argv):
  """{flag: value} of `--flag=value` / `--flag value` / `--flag` arguments,
  values read as Fire reads them.

  Raises:
    ValueError: for a positional word, or a flag given twice (Fire would
      keep the last value silently).
  """
  flags = {}
  raw = {}
  for name, value in flag_items(argv):
    if name in raw:
      raise ValueError('--{} is given twice ({} and {}): give it once'.format(
          name, _shown_flag(name, raw[name]), _shown_flag(name, value)))
    raw[name] = value
    flags[name] = fire_parser.DefaultParseValue(
        'true' if value is None else value)
  return flags


def _shown_flag(name, value):
  return '--' + name if value is None else '--{}={}'.format(name, value)


def split_positional(runner, argv):
  """(the leading words naming runner.positional, the rest of argv).

  Raises:
    ValueError: if fewer words than runner.positional lead the command line.
  """
  argv = list(argv)
  count = len(runner.positional)
  words = argv[:count]
  if len(words) < count or any(w.startswith('-') for w in words):
    raise ValueError('{} needs {} before its flags'.format(
        runner.name, ' '.join(n.upper() for n in runner.positional)))
  return words, argv[count:]


def check_arguments(runner, argv):
  """Checks the command line's shape and the runner's own arguments.

  What Fire would read loosely is refused here, before the runner starts:
  a positional word, a repeated flag, a missing or empty required argument
  (Fire would print its usage block, or train into the current directory).
  Own arguments are parsed from their text by their Settings.

  Returns:
    {flag: value} of every flag, values read as Fire reads them (and the
    runner's positional words, as written).

  Raises:
    ValueError: in one line naming the flag and the value.
  """
  words, argv = split_positional(runner, argv)
  flags = parse_argv(argv)
  own = {s.name: s for s in runner.arguments}
  for name, word in zip(runner.positional, words):
    flags[name] = own[name].parse(word)
  for name, value in flag_items(argv):
    if name in own:
      if value is None and own[name].kind != 'bool':
        raise ValueError('--{} needs a value (--{}=...)'.format(name, name))
      own[name].parse('true' if value is None else value)
  missing = [s.name for s in runner.arguments
             if s.default is None and s.derived == 'required' and
             s.name not in flags]
  if missing:
    raise ValueError('{} needs {}'.format(
        runner.name, ', '.join('--' + m for m in missing)))
  return flags


def read_arguments(runner, argv):
  """The runner's own arguments, typed by their Settings.

  For a command that takes only its own arguments (no concerns): each is
  its value on the command line, or its default.

  Returns:
    {name: value} of every own argument.

  Raises:
    ValueError: in one line, for a flag that is not one of them, or a bad
      or missing value.
  """
  check_arguments(runner, argv)
  own = {s.name: s for s in runner.arguments}
  values = {s.name: s.default for s in runner.arguments}
  words, argv = split_positional(runner, argv)
  for name, word in zip(runner.positional, words):
    values[name] = own[name].parse(word)
  for name, value in flag_items(argv):
    if name not in own:
      raise ValueError('unknown flag --{} (see --help)'.format(name))
    values[name] = own[name].parse('true' if value is None else value)
  return values


def with_text(runner, argv):
  """runner.function given its string arguments as written.

  Fire reads `--output_dir=123` as the number 123; a path or a name is the
  text of the command line, parsed by its Setting. With runner.text_flags,
  every flag that is not an own argument is passed as its text too.
  """
  own = {s.name: s for s in runner.arguments}
  given = {}
  for name, value in flag_items(list(argv)):
    if name in own:
      if own[name].kind == 'str' and value is not None:
        given[name] = own[name].parse(value)
    elif runner.text_flags:
      given[name] = True if value is None else value

  signature = inspect.signature(runner.function)
  rest = [p.name for p in signature.parameters.values()
          if p.kind == p.VAR_KEYWORD]

  @functools.wraps(runner.function)
  def call(*args, **kwargs):
    bound = signature.bind_partial(*args, **kwargs)
    for name, value in given.items():
      if name in signature.parameters or not rest:
        bound.arguments[name] = value
      else:
        bound.arguments.setdefault(rest[0], {})[name] = value
    return runner.function(*bound.args, **bound.kwargs)
  return call


def validate_flags(runner, argv):
  """Checks a command line without running it (nothing is written).

  Raises:
    ValueError: in one line, for an unknown flag or a bad value.
  """
  flags = check_arguments(runner, argv)
  for setting in runner.arguments:
    flags.pop(setting.name, None)
  if runner.resolve is not None:
    runner.resolve(flags)


def function_help(function, name):
  """Help of a plain function's command line, from its signature and the
  Args section of its docstring: one line per flag with its one default."""
  doc = inspect.getdoc(function) or ''
  summary = doc.split('\n\n')[0].replace('\n', ' ')
  described = {}
  current = None
  arg_indent = None
  in_args = False
  for line in doc.splitlines():
    stripped = line.strip()
    indent = len(line) - len(line.lstrip())
    if stripped in ('Args:', 'Arguments:'):
      in_args = True
      continue
    if not in_args or not stripped:
      continue
    if arg_indent is None:
      arg_indent = indent
    if indent < arg_indent:
      break  # the next section (Returns:, Raises:)
    head, colon, rest = stripped.partition(':')
    if indent == arg_indent and colon:
      current = head.replace('**', '')
      for one in current.split(','):
        described[one.strip()] = rest.strip()
    elif current:
      for one in current.split(','):
        described[one.strip()] += ' ' + stripped
  lines = []
  for parameter in inspect.signature(function).parameters.values():
    if parameter.kind == parameter.VAR_KEYWORD:
      lines.append('  --FLAG=VALUE: {}'.format(
          described.get(parameter.name, 'further settings')))
      continue
    text = described.get(parameter.name, '')
    if '(default' in text:
      lines.append('  --{}: {}'.format(parameter.name, text))
    elif parameter.default is parameter.empty:
      lines.append('  --{}: {} (required)'.format(parameter.name, text))
    else:
      lines.append('  --{}: {} (default: {})'.format(
          parameter.name, text, _shown_default(parameter.default)))
  return '{}\n\nUsage: {} [--flag=value ...]\n\n{}\n'.format(
      summary, name, '\n'.join(lines))


def typed(function):
  """`function` with its flags parsed by the type of their defaults.

  Fire reads `--plot=false` as the string 'false'; a parameter whose default
  is a bool, an int or a float gets its value parsed as the configuration's
  settings are (hparams), so 'false' is False and 'abc' is refused.
  """
  parsers = {}
  signature = inspect.signature(function)
  for parameter in signature.parameters.values():
    default = parameter.default
    if isinstance(default, bool):
      parsers[parameter.name] = hparams.parse_bool
    elif isinstance(default, int):
      parsers[parameter.name] = hparams.parse_int
    elif isinstance(default, float):
      parsers[parameter.name] = hparams.parse_float

  @functools.wraps(function)
  def call(*args, **kwargs):
    bound = signature.bind_partial(*args, **kwargs)
    for name, parse in parsers.items():
      if bound.arguments.get(name) is not None:
        bound.arguments[name] = parse(name, bound.arguments[name])
    return function(*bound.args, **bound.kwargs)
  return call


def _shown_default(value):
  if isinstance(value, bool):
    return str(value).lower()
  if isinstance(value, (list, tuple)):
    return ','.join(str(v) for v in value)
  return 'none' if value is None or value == '' else value


def run(runner, argv=None, name=None):
  """Runs `runner` as a Fire CLI with the shared help, errors and interrupts.

  Args:
    runner: a Runner, or a plain function (then `name` names the program
      and its help comes from its signature and docstring).
    argv: the arguments (default: sys.argv[1:]).
    name: the program name of a plain function.
  """
  if not isinstance(runner, Runner):
    function = typed(runner)
    runner = Runner(name=name or function.__name__, function=function,
                    summary='', arguments=(), concerns=())
    runner = dataclasses.replace(runner, epilog=function_help(function,
                                                               runner.name))
  argv = list(sys.argv[1:] if argv is None else argv)
  if any(a in ('-h', '--help', '-help') for a in argv):
    sys.stdout.write(runner.help())
    sys.exit(0)
  try:
    _interrupts.interrupt_raises()
    function = runner.function
    if runner.arguments:
      check_arguments(runner, argv)
      function = with_text(runner, argv)
    fire.Fire(function, command=argv, name=runner.name)
  except KeyboardInterrupt as interrupt:  # Ctrl-C, or SIGTERM (Terminated)
    _interrupts.interrupt_exits()
    _clean_up(runner)
    signum = _interrupts.signal_of(interrupt)
    print(_interrupts.message(runner.name, signum), file=sys.stderr)
    sys.exit(_interrupts.exit_status(signum))
  except (ValueError, OSError) as error:
    _interrupts.interrupt_exits()
    _clean_up(runner)
    text = str(error).strip()
    message = text.splitlines()[0] if text else repr(error)
    print('{}: error: {}'.format(runner.name, message), file=sys.stderr)
    sys.exit(2)
  _interrupts.interrupt_exits()



def _clean_up(runner):
  if runner.cleanup is not None:
    runner.cleanup()
