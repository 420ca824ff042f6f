"""Typed settings: one declaration gives a value's flag, parser, check and help.

A `Setting` declares one named value: its kind (bool, int, float, str,
ints, duration, durations, names), its default, its help text, and its checks (choices,
bounds, finiteness). Every value a run is configured with passes through
`Setting.parse`, whether it comes from a flag, a saved config.json or a
preset, so a value is read the same way wherever it comes from:

  * booleans are true/false/1/0/yes/no in any case, nothing else (the string
    "false" is never true);
  * integers refuse fractions (60.9 is an error, not 60) and booleans, and
    as text are decimal digits only ('0x10', '1e3' and '5.0' are refused);
  * floats must be finite;
  * a value outside its choices or bounds is refused in one line that names
    the flag and the value.

A `Concern` is a named group of settings (data, model, training, ...), and
`Concern.values` gives them as one typed, frozen object (`training.seed`);
configurations are composed of concerns (see mnist_fc/settings.py), and
`differences` compares two resolved configurations key by key, which is how
a run directory refuses to be reused with another configuration.
"""

import dataclasses
import functools
import math
import operator
import re
from typing import Any, Optional, Sequence

from lottery_ticket.foundations import choices
from lottery_ticket.foundations import durations

_TRUE = ('true', '1', 'yes')
_FALSE = ('false', '0', 'no')


def flag_text(value):
  """A value as a command line gives it: a list comma-separated."""
  if isinstance(value, (list, tuple)):
    return ','.join(str(v) for v in value)
  return value


def _fail(name, value, expected):
  raise ValueError('--{}={!r} is not {}'.format(name, value, expected))


def parse_bool(name, value):
  if isinstance(value, bool):
    return value
  if isinstance(value, int) and value in (0, 1):
    return bool(value)
  if isinstance(value, str):
    lowered = value.strip().lower()
    if lowered in _TRUE:
      return True
    if lowered in _FALSE:
      return False
  return _fail(name, value, 'a boolean (true/false, 1/0, yes/no)')


def parse_int(name, value):
  if isinstance(value, int) and not isinstance(value, bool):
    return value
  if isinstance(value, float) and value.is_integer():
    return int(value)
  if isinstance(value, str) and re.fullmatch(r'[+-]?[0-9]+', value.strip()):
    return int(value)
  return _fail(name, value, 'an integer' if isinstance(value, (bool, float))
               else 'an integer (decimal digits)')


def parse_float(name, value):
  if isinstance(value, bool) or not isinstance(value, (int, float, str)):
    return _fail(name, value, 'a number')
  try:
    number = float(value.strip() if isinstance(value, str) else value)
  except ValueError:
    return _fail(name, value, 'a number')
  if not math.isfinite(number):
    return _fail(name, value, 'a finite number')
  return number


def parse_str(name, value):
  if isinstance(value, str):
    return value
  return _fail(name, value, 'a string')


def parse_ints(name, value):
  """A tuple of ints from '300,100', '[300,100]', [300, 100], (300, 100) or
  300 (an empty list is empty, as config.json holds a network without
  hidden layers; an empty string is refused)."""
  if isinstance(value, (int, float)) and not isinstance(value, bool):
    value = [value]
  items = _items(name, value, '300,100', 'a list of integers like 300,100')
  if isinstance(value, str) and not items:
    return _fail(name, value, 'a non-empty list of integers like 300,100')
  return tuple(parse_int(name, v) for v in items)


def parse_duration(name, value):
  """A training length, normalised to its canonical text ('500it', '3ep')."""
  try:
    return durations.format_len(value)
  except ValueError as error:
    raise ValueError('--{}: {}'.format(name, error)) from None


def _items(name, value, example, expected=None):
  """The entries of a comma-separated string (in brackets or not) or a list
  ('', '[]' and []: none); anything else is not `expected`."""
  if isinstance(value, str):
    items = [v.strip() for v in re.sub(r'[][()]', '', value).split(',')]
    if items == ['']:
      return []
    if not all(items):
      return _fail(name, value, 'a list without empty entries, like ' + example)
    return items
  if isinstance(value, (list, tuple)):
    return list(value)
  return _fail(name, value,
               expected or 'a comma-separated list like ' + example)


def parse_durations(name, value):
  """A tuple of durations in canonical text ('80ep,120ep' -> ('80ep',
  '120ep')); '' is none."""
  out = []
  for item in _items(name, value, '80ep,120ep'):
    try:
      out.append(durations.format_len(item))
    except ValueError:
      raise ValueError('--{}={}: {!r} is not a duration like 80ep or '
                       '30000it'.format(name, flag_text(value), item)) from None
  return tuple(out)


def parse_names(name, value):
  """A tuple of names ('fc,conv0' -> ('fc', 'conv0')); '' is none."""
  items = _items(name, value, 'fc,conv0')
  if not all(isinstance(item, str) and item for item in items):
    return _fail(name, value, 'a comma-separated list of names like fc,conv0')
  return tuple(items)


_PARSERS = {'bool': parse_bool, 'int': parse_int, 'float': parse_float,
            'str': parse_str, 'ints': parse_ints, 'duration': parse_duration,
            'durations': parse_durations, 'names': parse_names}
# A Setting's bounds: (attribute, relation, whether a number is within).
_BOUNDS = (('minimum', '>=', operator.ge), ('maximum', '<=', operator.le),
           ('above', '>', operator.gt), ('below', '<', operator.lt))


@dataclasses.dataclass(frozen=True)
class Setting(object):
  """One configurable value.

  Attributes:
    name: the flag name (also the key in config.json).
    kind: 'bool', 'int', 'float', 'str', 'ints', 'duration', 'durations'
      or 'names' (the last two: comma-separated lists, '' for none).
    default: the default value; None means "derived when the run is
      resolved" (the help says from what), never a value left unset.
    help: one line: what it is and why one would change it.
    choices: the allowed values, when they are a fixed set (a tuple, or a
      callable returning one, for registries filled at import time).
    minimum, maximum: inclusive bounds of numbers (of each item of 'ints').
    above: an exclusive lower bound.
    below: an exclusive upper bound.
    identity: whether a different value makes a different run (False for
      settings that change where or how often things are written, not what
      is computed).
    derived: how a default of None is resolved, for the help.
    normalize: applied to a parsed value before it is checked (e.g.
      str.upper for names whose case does not matter).
  """
  name: str
  kind: str
  default: Any
  help: str
  choices: Any = None
  minimum: Optional[float] = None
  maximum: Optional[float] = None
  above: Optional[float] = None
  below: Optional[float] = None
  identity: bool = True
  derived: str = ''
  normalize: Any = None

  def allowed(self):
    return tuple(self.choices()) if callable(self.choices) else self.choices

  def parse(self, value):
    """The typed, checked value.

    Raises:
      ValueError: in one line naming the flag and the bad value.
    """
    if value is None:
      if self.default is None:
        return None
      raise ValueError('--{} needs a value'.format(self.name))
    typed = _PARSERS[self.kind](self.name, value)
    if typed == '' and self.derived == 'required':
      raise ValueError('--{} is empty: it needs a value'.format(self.name))
    if self.normalize is not None:
      typed = self.normalize(typed)
    allowed = self.allowed()
    if allowed is not None:
      choices.check(self.name, typed, allowed)
    if self.kind in ('int', 'float', 'ints'):
      for number in typed if self.kind == 'ints' else (typed,):
        for bound, relation, holds in _BOUNDS:
          limit = getattr(self, bound)
          if limit is not None and not holds(number, limit):
            raise ValueError('--{}={!r} must be {} {}'.format(
                self.name, number, relation, limit))
    return typed

  def default_text(self, default=None):
    """The default (`default`, if given, else the Setting's) as --help and
    docs/ show it; for None, how it is derived."""
    shown = self.default if default is None else default
    if shown is None:
      return self.derived or 'derived'
    if isinstance(shown, bool):
      return str(shown).lower()
    return str(flag_text(shown)) or 'none'

  def describe(self, default=None):
    """One help line: flag, help, choices and the one default."""
    if self.derived == 'required':
      return '  --{}: {}'.format(self.name, self.help)
    allowed = self.allowed()
    choices = (' {' + '|'.join(str(c) for c in allowed) + '}'
               if allowed is not None else '')
    return '  --{}{}: {} (default: {})'.format(self.name, choices, self.help,
                                               self.default_text(default))


@dataclasses.dataclass(frozen=True)
class Concern(object):
  """A named group of settings, stored together in config.json."""
  name: str
  settings: Sequence[Setting]

  def names(self):
    return [s.name for s in self.settings]

  def get(self, name):
    """The setting `name` (KeyError if the concern has none)."""
    return {setting.name: setting for setting in self.settings}[name]

  def values(self, values):
    """The concern's settings as one frozen object, a field per setting.

    Args:
      values: a dict holding (at least) every setting of the concern.
    """
    return _values_class(self)(**{n: values[n] for n in self.names()})


@functools.lru_cache(maxsize=None)
def _values_class(concern):
  """The frozen dataclass of a concern's values (one per concern; the values
  are typed and checked by their Settings, not by the fields)."""
  return dataclasses.make_dataclass(concern.name.capitalize() + 'Settings',
                                    concern.names(), frozen=True)


def parse_values(concerns, values, source):
  """Parses a flat dict of values for `concerns`.

  Args:
    concerns: the Concerns whose settings are accepted.
    values: dict flag name -> raw value.
    source: where the values come from, for the message ('flag',
      'config.json at ...').

  Returns:
    dict name -> typed value.

  Raises:
    ValueError: naming every unknown key, or the first bad value.
  """
  settings = {s.name: s for c in concerns for s in c.settings}
  unknown = sorted(set(values) - set(settings))
  if unknown:
    raise ValueError('{} does not take {} (it takes: {})'.format(
        source, ', '.join('--' + u for u in unknown),
        ', '.join(sorted(settings))))
  return {name: settings[name].parse(value) for name, value in values.items()}


def defaults(concerns, overrides=None):
  """dict name -> default of every setting of `concerns`."""
  out = {s.name: s.default for c in concerns for s in c.settings}
  out.update(overrides or {})
  return out


def nested(concerns, values):
  """{concern name: {setting: value}} of a flat dict, for config.json."""
  return {c.name: {n: _jsonable(values[n]) for n in c.names()}
          for c in concerns}


def _jsonable(value):
  return list(value) if isinstance(value, tuple) else value


def differences(concerns, recorded, given):
  """The identity settings whose values differ, as (name, recorded, given).

  Args:
    concerns: the Concerns to compare.
    recorded, given: flat dicts of typed values.
  """
  def normal(value):
    return tuple(value) if isinstance(value, list) else value
  names = [s.name for c in concerns for s in c.settings if s.identity]
  return [(n, recorded.get(n), given.get(n)) for n in names
          if normal(recorded.get(n)) != normal(given.get(n))]


def help_text(concerns, overrides=None):
  """The help lines of every setting, grouped by concern."""
  overrides = overrides or {}
  blocks = []
  for concern in concerns:
    lines = [concern.name + ':']
    lines += [s.describe(overrides.get(s.name)) for s in concern.settings]
    blocks.append('\n'.join(lines))
  return '\n\n'.join(blocks)


def flag_words(argv):
  """A command line's words as (name, value, word), one per flag, in order.

  The one reader of `--name=value`, `--name value` and a bare `--name`
  (value None: true for a boolean) that the runners and the sweep share.
  Dashes in names become underscores, as Fire treats them. A word that is
  not a flag (nor a flag's value) gives (None, None, word); so does a lone
  '--', after which nothing is read.
  """
  position = 0
  while position < len(argv):
    word = argv[position]
    position += 1
    if word == '--' or not word.startswith('--'):
      yield None, None, word
      if word == '--':
        return
      continue
    name, has_value, value = word[2:].partition('=')
    if not has_value:
      value = None
      if position < len(argv) and not argv[position].startswith('--'):
        value = argv[position]
        position += 1
    yield name.replace('-', '_'), value, word
