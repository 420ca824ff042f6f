"""The flag tables of docs/, rendered from the runners' own declarations.

  python docs/flags.py           # rewrite every table in docs/*.md
  python docs/flags.py --check   # exit 1, naming each table that is stale

A table is whatever sits between two marker comments in a page:

  <!-- flags: concern training -->   every setting of a configuration concern
  <!-- flags: runner train -->       a runner: the concerns it takes, the
                                     defaults it changes, its own arguments
  <!-- flags: command results -->   a plain-function command (its help)
  <!-- flags: settings training.train_options --> the SETTINGS a foundations
                                     module declares
  <!-- flags: fields Hooks -->       a dataclass's fields, defaults and
                                     the Attributes of its docstring
  <!-- flags: commands cli_main -->  the README's table of every command,
                                     from cli_main.COMMANDS
  <!-- /flags -->

Concerns and runners are read from each runner module's `RUNNER` (a
`cli.Runner`: `arguments`, `concerns`, `default_overrides`), and from each
setting only `name`, `default`, `derived`, `help`, `allowed()` and
`default_text()` (the default as --help shows it). The plain-function
commands are read from the help of the Runner
`command_line.command` makes of them. tests/test_docs_flags.py fails when
a table is stale, and when a flag of any `--help` is missing from docs/
or shows another default.
"""

import dataclasses
import importlib
import inspect
import os
import re
import sys

DOCS = os.path.dirname(os.path.abspath(__file__))
README = os.path.join(os.pardir, 'README.md')

# Dataclass name -> module, for the library API's option objects.
FIELDS = {
    'Hooks': 'lottery_ticket.foundations.training.train_options',
}
# Foundations modules declaring SETTINGS of their own (the trainer's).
SETTINGS = ('training.train_options',)

BLOCK = re.compile(r'(<!-- flags: (\w+) ([\w.]+) -->\n)(.*?)(<!-- /flags -->)',
                   re.S)
# One flag line of a --help: `  --name {a|b}: what (default: X)`.
HELP_LINE = re.compile(r'^  --(\w+)(?: \{([^}]*)\})?: (.*?)'
                       r'(?: \((?:default: (.*)|(required))\))?$')


def runner(name):
  """The Runner of command `name` (its module's RUNNER, cli_main.COMMANDS)."""
  from lottery_ticket import cli_main  # pylint: disable=g-import-not-at-top
  return importlib.import_module(cli_main.COMMANDS[name].module).RUNNER


def commands():
  """(runners, commands): the names of the commands that take a
  configuration's concerns (a table of concerns and overrides), and of the
  others (a table of their own flags)."""
  from lottery_ticket import cli_main  # pylint: disable=g-import-not-at-top
  names = list(cli_main.COMMANDS)
  runners = [n for n in names if runner(n).concerns]
  return runners, [n for n in names if n not in runners]


def concerns():
  """name -> Concern, of every concern some runner takes."""
  runners = commands()[0]
  out = {}
  for name in runners:
    for concern in runner(name).concerns:
      if concern.name not in runners:  # a generator's: its runner's own
        out.setdefault(concern.name, concern)  # flags, in the runner's table
  return out


def shown_default(setting, default=None):
  """The default as --help names it: a value in backticks, or (in italics)
  the text saying how it is derived."""
  if setting.derived == 'required':
    return 'required'
  value = setting.default if default is None else default
  return ('*{}*' if value is None else '`{}`').format(
      setting.default_text(default))


def cell(text):
  """Text safe inside a table cell."""
  return (str(text).replace('|', '\\|').replace('<', '&lt;')
          .replace('>', '&gt;'))


def choices_text(setting):
  allowed = setting.allowed()
  if allowed is None:
    return ''
  return ', '.join('`{}`'.format(c) if c != '' else '`none`' for c in allowed)


def setting_table(rows):
  """A table of (setting, default or None) pairs."""
  lines = ['| flag | default | choices | what |', '|---|---|---|---|']
  for setting, default in rows:
    lines.append('| `--{}` | {} | {} | {} |'.format(
        setting.name, cell(shown_default(setting, default)),
        cell(choices_text(setting)), cell(setting.help)))
  return lines


def render_concern(name, where):
  del where  # a concern's table needs no cross-reference
  return setting_table((s, None) for s in concerns()[name].settings)


def render_runner(name, where):
  the_runner = runner(name)
  taken = ', '.join('[`{}`]({})'.format(c.name, where.get(
      ('concern', c.name), where.get(('runner', c.name), 'flags.py')))
                    for c in the_runner.concerns)
  lines = ['Concerns: {}.'.format(taken), '']
  overrides = the_runner.default_overrides or {}
  rows = [(s, None) for s in the_runner.arguments]
  rows += [(c.get(flag), value) for c in the_runner.concerns
           for flag, value in sorted(overrides.items()) if flag in c.names()]
  if overrides:
    changed = ', '.join('`--{}`'.format(flag) for flag in sorted(overrides))
    lines += ['Defaults it changes (rows below, otherwise as in the concern '
              'tables): {}.'.format(changed), '']
  return lines + setting_table(rows)


def command_flags(name):
  """(flag, default text, what) of a plain command, from its --help."""
  text = runner(name).help()
  out = []
  for line in text.splitlines():
    match = HELP_LINE.match(line)
    if match:
      flag, _, what, default, required = match.groups()
      out.append((flag, required or default, what))
  return out


def render_command(name, where):
  """A command's table; a default its help states in words (`(default:
  ...)` inside the text) is shown in italics."""
  del where
  lines = ['| flag | default | what |', '|---|---|---|']
  for flag, default, what in command_flags(name):
    if default is None:
      stated = re.search(r'\(default: ([^)]*)\)', what)
      shown = '*{}*'.format(stated.group(1) if stated else 'none')
    else:
      shown = default if default == 'required' else '`{}`'.format(default)
    lines.append('| `--{}` | {} | {} |'.format(flag, cell(shown), cell(what)))
  return lines


def attributes(cls):
  """{name: text} of the Attributes section of a class's docstring."""
  out = {}
  current = None
  section = False
  for line in (inspect.getdoc(cls) or '').splitlines():
    if line.strip() == 'Attributes:':
      section = True
      continue
    if not section or not line.strip():
      continue
    if not line.startswith('  '):
      break
    head, colon, rest = line.strip().partition(':')
    if not line.startswith('    ') and colon and ' ' not in head:
      current = head
      out[current] = rest.strip()
    elif current:
      out[current] += ' ' + line.strip()
  return out


def render_settings(name, where):
  del where
  module = importlib.import_module('lottery_ticket.foundations.' + name)
  return setting_table((s, None) for s in module.SETTINGS)


def render_fields(name, where):
  del where
  cls = getattr(importlib.import_module(FIELDS[name]), name)
  described = attributes(cls)
  lines = ['| field | default | what |', '|---|---|---|']
  for field in dataclasses.fields(cls):
    default = field.default
    if default is dataclasses.MISSING:
      default = field.default_factory() if callable(
          field.default_factory) else 'required'
    lines.append('| `{}` | `{!r}` | {} |'.format(
        field.name, default, cell(described.get(field.name, ''))))
  return lines


def render_commands(name, where):
  del name, where
  from lottery_ticket import cli_main  # pylint: disable=g-import-not-at-top
  return cli_main.markdown_table()


RENDER = {'concern': render_concern, 'runner': render_runner,
          'command': render_command, 'fields': render_fields,
          'settings': render_settings, 'commands': render_commands}


def pages():
  """{path from docs/: text} of every docs/*.md and of the README."""
  out = {}
  for name in sorted(os.listdir(DOCS)) + [README]:
    if name.endswith('.md'):
      with open(os.path.join(DOCS, name)) as page:
        out[name] = page.read()
  return out


def locations(texts):
  """(kind, name) -> the page holding its table."""
  return {(m.group(2), m.group(3)): page for page, text in texts.items()
          for m in BLOCK.finditer(text)}


def regenerate(texts):
  """{page: text with every table rendered afresh}."""
  where = locations(texts)

  def fill(match):
    kind, name = match.group(2), match.group(3)
    body = '\n'.join(RENDER[kind](name, where))
    return '{}\n{}\n\n{}'.format(match.group(1), body, match.group(5))

  return {page: BLOCK.sub(fill, text) for page, text in texts.items()}


def missing(texts):
  """What has no table anywhere in docs/, as 'kind name'."""
  where = locations(texts)
  runners, plain = commands()
  wanted = ([('concern', c) for c in concerns()] +
            [('runner', r) for r in runners] +
            [('command', c) for c in plain] +
            [('fields', f) for f in FIELDS] +
            [('settings', m) for m in SETTINGS] + [('commands', 'cli_main')])
  return ['{} {}'.format(*key) for key in wanted if key not in where]


def shown(page):
  """A page's path from the repository's root."""
  return os.path.normpath(os.path.join('docs', page))


def main(argv):
  texts = pages()
  fresh = regenerate(texts)
  stale = [page for page in texts if fresh[page] != texts[page]]
  absent = missing(texts)
  if '--check' in argv:
    for page in stale:
      print('{}: a table is stale (run python docs/flags.py)'.format(
          shown(page)))
    for key in absent:
      print('docs/: no table for {}'.format(key))
    return 1 if stale or absent else 0
  for page in stale:
    with open(os.path.join(DOCS, page), 'w') as out:
      out.write(fresh[page])
    print('{}: tables rewritten'.format(shown(page)))
  for key in absent:
    print('docs/: no table for {} (add its markers to a page)'.format(key))
  return 1 if absent else 0


if __name__ == '__main__':
  sys.exit(main(sys.argv[1:]))
