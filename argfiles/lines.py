"""Flag lines: where they come from, and how one is split into arguments.

A sweep is a list of flag lines, one per run, such as

  --output_dir=results/trial0 --iterations=5 --seed=0

A line is split with shell quoting rules (shlex) into an argument list that
is handed to the runner process directly; no shell ever sees it, so quotes
group words and nothing else (no globbing, no variables, no pipes).

Lines come from one of three sources, see `load_lines`:
  * a text file, UTF-8: one line per run; blank lines and lines whose first
    non-blank character is '#' are skipped (a '#' later in a line is part
    of a value, not a comment);
  * a generator module (one defining `GENERATOR`, a
    generator_support.Generator): it is imported, and its lines are made in
    this process from the extra generator arguments, parsed as its own
    command line parses them;
  * any other module or .py script: it is run with the extra generator
    arguments and its standard output is read as a text file.

A line is numbered by its row in that text (the file's line number, which
an editor shows), so every message about a line points at it; a line that
cannot be read or split is refused naming that number, and `line_problem`
says what is wrong with the words of a line whatever its runner: a sweep
line is flags only, each once, each with a value (see preflight.py).
"""

import collections
import importlib
import os
import shlex
import subprocess
import sys

from lottery_ticket import command_line
from lottery_ticket.argfiles import generator_support
from lottery_ticket.foundations import hparams


class Line(collections.namedtuple('Line', ['number', 'text', 'argv'])):
  """One run of a sweep.

  Attributes:
    number: the line's 1-based row in the text it comes from (blank and
      comment rows count, so it is the file's line number).
    text: the line as written.
    argv: the line split into arguments (a list of str).
  """


class LineError(ValueError):
  """A source of lines is missing, unreadable or holds an unparsable line."""


def split_line(text, number=None):
  """Splits one flag line into arguments with shell quoting rules.

  Args:
    text: the line.
    number: its line number, for the message; None leaves it out.

  Returns:
    A list of str.

  Raises:
    LineError: if the quoting is unbalanced.
  """
  try:
    return shlex.split(text)
  except ValueError as e:
    raise LineError('{}cannot split {!r}: {}'.format(
        '' if number is None else 'line {}: '.format(number), text, e))


def parse_text(text):
  """The lines of a sweep written as text.

  Args:
    text: the whole text; one run per line, blank lines and '#' comment
      lines skipped.

  Returns:
    A list of Line, each numbered by its row in the text (from 1).

  Raises:
    LineError: naming the line, if a line's quoting is unbalanced.
  """
  lines = []
  # Rows end at '\n' only, as editors count them (str.splitlines would
  # also break at form feeds and other separators, shifting the numbers).
  for number, row in enumerate(text.split('\n'), 1):
    stripped = row.strip()
    if not stripped or stripped.startswith('#'):
      continue
    lines.append(Line(number, stripped, split_line(stripped, number)))
  return lines


def decode_text(data, what):
  """Bytes of lines as text, refusing what is not UTF-8 in one line.

  Args:
    data: the bytes (a file's, or a generator's output).
    what: what they are, for the message ('argfile sweep.txt').

  Returns:
    The text, without a leading byte-order mark.

  Raises:
    LineError: naming the line and the byte offset of the first byte that
      is not UTF-8.
  """
  try:
    text = data.decode('utf-8')
  except UnicodeDecodeError as e:
    raise LineError(
        '{}: line {} is not UTF-8 text (byte 0x{:02x} at offset {}); save it '
        'as UTF-8'.format(what, data.count(b'\n', 0, e.start) + 1,
                          data[e.start], e.start))
  return text[1:] if text.startswith('\ufeff') else text


def line_flags(argv):
  """The flags of a line as a dict of name to raw string value.

  `--name=value` and `--name value` give 'value'; a bare `--name` (followed
  by another flag or by nothing) gives True. Dashes in names become
  underscores, as Fire treats them. Arguments that are not flags are
  ignored, and so is everything after a lone '--' (line_problem refuses
  both in a sweep's lines).

  Args:
    argv: a list of str, as returned by split_line.

  Returns:
    A dict; a flag given twice keeps its last value.
  """
  return {name: True if value is None else value
          for name, value, _ in hparams.flag_words(argv) if name is not None}


def line_problem(argv):
  """What makes a line's words unfit for a sweep, whatever its runner.

  A sweep reads a line's flags by name (its output directory, the lines it
  reads, what changed since it ran), so a line must be flags only, each
  given once and with a value: the check every command line of the library
  gets (command_line.flag_problem), made here for any runner, since a
  positional word or a lone '--' would reach the runner unseen by the
  sweep. What the runner accepts is the runner's check
  (programs.Program.validate).

  Args:
    argv: the line's arguments, as returned by split_line.

  Returns:
    None, or the problem in one line.
  """
  for word in argv:
    if '\0' in word:
      return 'holds a NUL character: {!r}'.format(word)
  return command_line.flag_problem(argv)


def _run_for_output(command, what):
  """Runs a generator process and returns its standard output as text."""
  result = subprocess.run(command, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, check=False)
  if result.returncode != 0:
    stderr = result.stderr.decode('utf-8', errors='replace')
    errors = [row for row in stderr.splitlines() if row.strip()]
    last = errors[-1].strip() if errors else 'no error output'
    raise LineError('{} exited with code {}: {}'.format(
        what, result.returncode, last))
  return decode_text(result.stdout, 'output of ' + what)


def load_lines(source, generator_args=()):
  """Reads the lines of a sweep from a file, a generator module or a script.

  Args:
    source: a path to a text file of lines, a path to a .py script that
      prints lines, or a dotted module name (a generator module or any
      module that prints lines when run with `python -m`).
    generator_args: extra arguments for a module or script source; a text
      file takes none.

  Returns:
    A list of Line, numbered by their rows in the text (from 1).

  Raises:
    LineError: in one line, if the source does not exist or cannot be
      read, a text file is given generator arguments, generating the lines
      fails, or a line is not UTF-8 or cannot be split (naming it).
  """
  generator_args = list(generator_args)
  if os.path.isfile(source):
    if source.endswith('.py'):
      return parse_text(_run_for_output([sys.executable, source] +
                                        generator_args, source))
    if generator_args:
      raise LineError('argfile {} is a text file; it takes no generator '
                      'arguments (got {})'.format(source,
                                                  ' '.join(generator_args)))
    try:
      with open(source, 'rb') as f:
        data = f.read()
    except OSError as e:
      raise LineError('argfile {} cannot be read: {}'.format(
          source, e.strerror or e))
    return parse_text(decode_text(data, 'argfile ' + source))
  if os.path.exists(source):
    raise LineError('argfile {} is not a file'.format(source))
  if source.endswith('.py') or os.sep in source:
    raise LineError('argfile {} does not exist'.format(source))
  try:
    module = importlib.import_module(source)
  except Exception as e:  # pylint: disable=broad-except
    # Only a missing `source` (or one of its parents) means "not a module";
    # a module that exists but fails to import should say why.
    missing = (isinstance(e, ModuleNotFoundError) and e.name and
               (source + '.').startswith(e.name + '.'))
    raise LineError('argfile {} is neither a file nor an importable module'
                    .format(source) if missing else
                    'argfile module {} fails to import: {}: {}'.format(
                        source, type(e).__name__, e))
  generator = getattr(module, 'GENERATOR', None)
  if isinstance(generator, generator_support.Generator):
    try:
      lines = generator.lines(generator_args)
    except ValueError as e:
      raise LineError('{}: {}'.format(generator.name, e))
    return parse_text('\n'.join(lines))
  return parse_text(_run_for_output(
      [sys.executable, '-m', source] + generator_args, source))
