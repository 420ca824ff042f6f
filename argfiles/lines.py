"""Flag lines: where they come from, and how one is split into arguments.

A sweep is a list of flag lines, one per run, such as

  --output_dir=results/trial0 --iterations=5 --seed=0

A line is split with shell quoting rules (shlex) into an argument list that
is handed to the runner process directly; no shell ever sees it, so quotes
group words and nothing else (no globbing, no variables, no pipes).

Lines come from one of three sources, see `load_lines`:
  * a text file: one line per run; blank lines and lines whose first
    non-blank character is '#' are skipped (a '#' later in a line is part
    of a value, not a comment);
  * an argfile module that follows the generator protocol (below): it is
    imported, its flags are parsed from the extra generator arguments, and
    its `make_lines` is called in this process;
  * any other module or .py script: it is run with the extra generator
    arguments and its standard output is read as a text file.

The generator protocol: a module defines
  define_flags(flag_values): defines its absl flags on `flag_values` (not on
    the global absl FLAGS, so that several generators can be imported
    together);
  make_lines(**values): returns the list of lines, taking one keyword
    argument per flag it defined.
"""

import collections
import importlib
import os
import shlex
import subprocess
import sys

from absl import flags as absl_flags

from lottery_ticket.argfiles import generator_support

Line = collections.namedtuple('Line', ['number', 'text', 'argv'])
Line.__doc__ = """One run of a sweep.

Attributes:
  number: the 1-based position of the line among the sweep's lines.
  text: the line as written.
  argv: the line split into arguments (a list of str).
"""


class LineError(ValueError):
  """A source of lines is missing, unreadable or holds an unparsable line."""


def split_line(text):
  """Splits one flag line into arguments with shell quoting rules.

  Args:
    text: the line.

  Returns:
    A list of str.

  Raises:
    LineError: if the quoting is unbalanced.
  """
  try:
    return shlex.split(text)
  except ValueError as e:
    raise LineError('cannot split {!r}: {}'.format(text, e))


def parse_text(text):
  """The lines of a sweep written as text.

  Args:
    text: the whole text; one run per line, blank lines and '#' comment
      lines skipped.

  Returns:
    A list of Line, numbered from 1 in order of appearance.

  Raises:
    LineError: if a line's quoting is unbalanced.
  """
  lines = []
  for row in text.splitlines():
    stripped = row.strip()
    if not stripped or stripped.startswith('#'):
      continue
    lines.append(Line(len(lines) + 1, stripped, split_line(stripped)))
  return lines


def line_flags(argv):
  """The flags of a line as a dict of name to raw string value.

  `--name=value` and `--name value` give 'value'; a bare `--name` (followed
  by another flag or by nothing) gives True. Dashes in names become
  underscores, as Fire treats them. Arguments that are not flags are
  ignored, and so is everything after a lone '--'.

  Args:
    argv: a list of str, as returned by split_line.

  Returns:
    A dict; a flag given twice keeps its last value.
  """
  values = {}
  position = 0
  while position < len(argv):
    token = argv[position]
    position += 1
    if token == '--':
      break
    if not token.startswith('--') or len(token) == 2:
      continue
    name, has_value, value = token[2:].partition('=')
    name = name.replace('-', '_')
    if has_value:
      values[name] = value
    elif position < len(argv) and not argv[position].startswith('--'):
      values[name] = argv[position]
      position += 1
    else:
      values[name] = True
  return values


def _is_generator(module):
  return callable(getattr(module, 'define_flags', None)) and callable(
      getattr(module, 'make_lines', None))


def generate(module, generator_args=()):
  """Calls a generator module's make_lines with flags parsed from arguments.

  Args:
    module: a module following the generator protocol (see this module's
      docstring).
    generator_args: absl flag arguments for the generator, e.g.
      ['--trials=2', '--iterations=3'].

  Returns:
    A list of str, one per run.

  Raises:
    LineError: if the arguments are not the generator's flags or
      make_lines rejects their values.
  """
  flag_values = absl_flags.FlagValues()
  module.define_flags(flag_values)
  try:
    leftover = flag_values([module.__name__] + list(generator_args))
  except absl_flags.Error as e:
    raise LineError('{}: {}'.format(module.__name__, e))
  if len(leftover) > 1:
    raise LineError('{}: unexpected arguments {}'.format(
        module.__name__, ' '.join(leftover[1:])))
  values = generator_support.flag_dict(flag_values)
  try:
    return list(module.make_lines(**values))
  except ValueError as e:
    raise LineError('{}: {}'.format(module.__name__, e))


def _run_for_output(command, what):
  """Runs a generator process and returns its standard output."""
  result = subprocess.run(command, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True,
                          check=False)
  if result.returncode != 0:
    errors = [row for row in result.stderr.splitlines() if row.strip()]
    last = errors[-1].strip() if errors else 'no error output'
    raise LineError('{} exited with code {}: {}'.format(
        what, result.returncode, last))
  return result.stdout


def _find_module(name):
  """Imports a module by name, or returns None if no such module exists."""
  try:
    return importlib.import_module(name)
  except ModuleNotFoundError as e:
    # Only a missing `name` (or one of its parents) means "not a module";
    # a module that exists but fails to import should say why.
    if e.name and (name == e.name or name.startswith(e.name + '.')):
      return None
    raise


def load_lines(source, generator_args=()):
  """Reads the lines of a sweep from a file, a generator module or a script.

  Args:
    source: a path to a text file of lines, a path to a .py script that
      prints lines, or a dotted module name (a generator module or any
      module that prints lines when run with `python -m`).
    generator_args: extra arguments for a module or script source; a text
      file takes none.

  Returns:
    A list of Line, numbered from 1.

  Raises:
    LineError: if the source does not exist, a text file is given generator
      arguments, or generating or splitting the lines fails.
  """
  generator_args = list(generator_args)
  if os.path.isfile(source):
    if source.endswith('.py'):
      text = _run_for_output([sys.executable, source] + generator_args, source)
      return parse_text(text)
    if generator_args:
      raise LineError('argfile {} is a text file; it takes no generator '
                      'arguments (got {})'.format(source,
                                                  ' '.join(generator_args)))
    with open(source) as f:
      return parse_text(f.read())
  if os.path.exists(source):
    raise LineError('argfile {} is not a file'.format(source))
  if source.endswith('.py') or os.sep in source:
    raise LineError('argfile {} does not exist'.format(source))
  try:
    module = _find_module(source)
  except Exception as e:  # pylint: disable=broad-except
    raise LineError('argfile module {} fails to import: {}: {}'.format(
        source, type(e).__name__, e))
  if module is None:
    raise LineError('argfile {} is neither a file nor an importable '
                    'module'.format(source))
  if _is_generator(module):
    return parse_text('\n'.join(generate(module, generator_args)))
  text = _run_for_output([sys.executable, '-m', source] + generator_args,
                         source)
  return parse_text(text)
