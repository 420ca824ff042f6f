"""The runner CLI a sweep executes: its command, output directories, checks.

A runner is named either as a command of the library (`reinitialize` or
its module `lottery_ticket.mnist_fc.runners.reinitialize`, run as `python -m
module ...`) or by the path of a script (`path/to/runner.py`, run as `python
path ...`); any other module is refused before the sweep starts.

A runner module may define `output_directories(**flags) -> list of str`,
the run directories a line with those flags writes: several for a line
that trains several runs at once (a packed line, `--trials=N`, writes one
directory per trial). The sweep uses these directories to refuse two lines
writing one directory and to order a line after the lines it reads from
(sweep.py); without the function, a line writes its `--output_dir` value.
The name is looked for in the runner's source text first (a def, an
assignment or an import binding it), so a runner that does not define it
is never imported.

A runner module may also define `validate_flags(argv)`, which checks a
line's arguments without running anything and raises ValueError (one line)
for a bad flag or value; the sweep calls it for every line before starting
any (see preflight.py). It is looked for the same way.
"""

import ast
import importlib.util
import inspect
import os
import sys

from fire import parser as fire_parser

from lottery_ticket import command_line

OUTPUT_DIRECTORIES_FUNCTION = 'output_directories'
VALIDATE_FLAGS_FUNCTION = 'validate_flags'


class ProgramError(ValueError):
  """The runner cannot be found, or cannot say where a line writes."""


def _may_define(source_path, name):
  """Whether a Python source file may define `name` at its top level.

  Args:
    source_path: the file.
    name: the name looked for.

  Returns:
    False only if the file parses and no statement binds the name (a def,
    a class, an assignment or an import, anywhere in the file: one nested
    in a function only makes the answer cautious; a name made some other
    way, e.g. through globals(), is missed); True otherwise.
  """
  try:
    with open(source_path) as f:
      tree = ast.parse(f.read(), filename=source_path)
  except (OSError, SyntaxError, ValueError):
    return True  # Let the import report what is wrong with the file.
  for node in ast.walk(tree):
    if isinstance(node, ast.Name):
      bound = isinstance(node.ctx, ast.Store) and node.id
    elif isinstance(node, ast.alias):
      bound = node.asname or node.name
    else:
      bound = getattr(node, 'name', None)  # A def or class (or except).
    if bound == name:
      return True
  return False


def _command_module(name):
  """The module of a command of the library, named by its command name
  (`train`) or its module.

  Raises:
    ProgramError: for any other module: a sweep runs commands of the
      library or scripts, and a module that is neither would run
      unchecked (`json.tool`, `this`).
  """
  from lottery_ticket import cli_main  # pylint: disable=g-import-not-at-top
  modules = [command.module for command in cli_main.COMMANDS.values()]
  if name in cli_main.COMMANDS:
    return cli_main.COMMANDS[name].module
  if name in modules:
    return name
  raise ProgramError('runner {!r} is no command of the library (give a '
                     'command, e.g. train or {}, or a .py script)'.format(
                         name, modules[0]))


class Program(object):
  """A runner CLI, named by module or by script path.

  Attributes:
    target: the module name or the absolute script path.
    is_script: True for a .py path, False for a module name.
  """

  def __init__(self, target):
    """Finds the runner.

    Args:
      target: a dotted module name or a path to a .py file.

    Raises:
      ProgramError: if no such module or file exists.
    """
    self.is_script = target.endswith('.py') or os.sep in target
    if self.is_script:
      if not os.path.isfile(target):
        raise ProgramError('runner {} does not exist'.format(target))
      self.target = os.path.abspath(target)
      self._source_path = self.target
    else:
      self.target = _command_module(target)
      spec = importlib.util.find_spec(self.target)
      if spec is None or not spec.has_location:
        raise ProgramError('runner {} is not importable'.format(target))
      self._source_path = spec.origin
    self._module = None
    self._hooks = {}

  def __getstate__(self):
    # A Program travels to Ray workers; the looked-up functions may come from
    # a script no worker can import, and the workers only need the command.
    state = dict(self.__dict__)
    state.update(_module=None, _hooks={})
    return state

  def command(self, argv, python=None):
    """The argument list that runs this program on one line.

    Args:
      argv: the line's arguments.
      python: the interpreter; None means sys.executable of the process
        calling this (which, under Ray, is the worker's).

    Returns:
      A list of str, for subprocess without a shell.
    """
    return ([python or sys.executable] +
            ([self.target] if self.is_script else ['-m', self.target]) +
            list(argv))

  def hook(self, name):
    """A function the runner module defines for the sweep, or None.

    The module is imported (once) only if its source may define `name`.

    Args:
      name: OUTPUT_DIRECTORIES_FUNCTION or VALIDATE_FLAGS_FUNCTION.

    Returns:
      The callable, or None if the runner does not define one.

    Raises:
      ProgramError: if the runner may define it but fails to import.
    """
    if name not in self._hooks:
      function = None
      if _may_define(self._source_path, name):
        function = getattr(self._imported(), name, None)
      self._hooks[name] = function if callable(function) else None
    return self._hooks[name]

  def _imported(self):
    """The runner module, imported on first use."""
    if self._module is None:
      try:
        if self.is_script:
          name = '_argfile_runner_' + os.path.splitext(
              os.path.basename(self.target))[0]
          spec = importlib.util.spec_from_file_location(name, self.target)
          module = importlib.util.module_from_spec(spec)
          spec.loader.exec_module(module)
        else:
          module = importlib.import_module(self.target)
      except Exception as e:  # pylint: disable=broad-except
        raise ProgramError('runner {} fails to import: {}: {}'.format(
            self.target, type(e).__name__, e))
      self._module = module
    return self._module

  def validate(self, argv):
    """Checks one line's arguments with the runner's validate_flags.

    Args:
      argv: the arguments the runner will get.

    Returns:
      None if they pass (or the runner defines no check); else the error
      as one line.

    Raises:
      ProgramError: if the runner may define the check but fails to import.
    """
    function = self.hook(VALIDATE_FLAGS_FUNCTION)
    if function is None:
      return None
    try:
      function(list(argv))
    except ValueError as e:
      return command_line.one_line(e)
    except (Exception, SystemExit) as e:  # pylint: disable=broad-except
      return '{}.{} failed: {}: {}'.format(
          self.target, VALIDATE_FLAGS_FUNCTION, type(e).__name__,
          command_line.one_line(e))
    return None

  def output_directories(self, flags):
    """The directories a run with these flags writes.

    Args:
      flags: a dict of flag name to raw value, as from lines.line_flags.

    Returns:
      A non-empty list of str, as given by the runner's output_directories
      function, or else the --output_dir flag; None if there is neither.

    Raises:
      ProgramError: if the runner cannot be imported (when it may define
        the function), or its function fails on these flags or returns no
        directory.
    """
    name = OUTPUT_DIRECTORIES_FUNCTION
    function = self.hook(name)
    if function is None:
      value = flags.get('output_dir')
      return [value] if isinstance(value, str) and value else None
    parameters = inspect.signature(function).parameters
    missing = [p.name for p in parameters.values() if p.default is p.empty and
               p.name not in flags and
               p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    if missing:
      # What the runner's own command line would refuse too, said as a
      # line's problem rather than as the function's TypeError.
      raise ProgramError('{} needs {} (to say where the line writes)'.format(
          self.target, ', '.join('--' + name for name in missing)))
    takes_all = any(p.kind == p.VAR_KEYWORD for p in parameters.values())
    # Values read as Fire would pass them; flags it has no parameter for
    # left out.
    parsed = {key: fire_parser.DefaultParseValue(value)
              if isinstance(value, str) else value
              for key, value in flags.items()
              if takes_all or key in parameters}
    try:
      result = function(**parsed)
    except Exception as e:  # pylint: disable=broad-except
      raise ProgramError('{}.{} failed: {}: {}'.format(
          self.target, name, type(e).__name__, command_line.one_line(e)))
    if isinstance(result, str):
      raise ProgramError('{}.{} gave {!r}, not a list of directories'.format(
          self.target, name, result))
    result = list(result)
    directories = [str(d) for d in result if d is not None and str(d)]
    if not directories or len(directories) != len(result):
      raise ProgramError('{}.{} gave no directory for {}'.format(
          self.target, name, ' '.join(
              '--{}={}'.format(k, v) for k, v in flags.items())))
    return directories
