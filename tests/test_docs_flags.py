"""docs/ agrees with the code: flag tables fresh, every --help flag in them.

The tables are rendered by docs/flags.py from the runners' settings; these
tests render them again and compare, then read every command's `--help`
(in this process) and check each flag it lists is in docs/ with the same
default and choices. They also check that the README links only to pages
that exist and shows the test command CI runs.
"""

import importlib.util
import os
import re

import pytest

from lottery_ticket import cli_main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCS = os.path.join(ROOT, 'docs')

# One flag line of a --help: `  --name {a|b}: what (default: X)`; a line
# without a default is a required flag (or states its default in its text).
HELP_LINE = re.compile(r'^  --(\w+)(?: \{([^}]*)\})?: (.*?)'
                       r'(?: \((?:default: (.*)|required)\))?$')
ROW = re.compile(r'^\| `--(\w+)` \|')


def _generator():
  spec = importlib.util.spec_from_file_location(
      'docs_flags', os.path.join(DOCS, 'flags.py'))
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module


flags = _generator()


def _plain(text):
  """A cell's text as --help would write it."""
  text = text.strip().replace('\\|', '|').replace('&lt;', '<')
  return text.replace('&gt;', '>').strip('`*')


def _cells(row):
  return [c.strip() for c in re.split(r'(?<!\\)\|', row)[1:-1]]


def _tables():
  """{(kind, name): ({flag: (default, choices)}, block text)} of docs/."""
  out = {}
  for text in flags.pages().values():
    for match in flags.BLOCK.finditer(text):
      body = match.group(4)
      rows = {}
      header = None
      for line in body.splitlines():
        if line.startswith('| flag |'):
          header = _cells(line)
        elif ROW.match(line):
          cells = dict(zip(header, _cells(line)))
          choices = tuple(_plain(c) for c in cells.get('choices', '').split(', ')
                          if c)
          rows[ROW.match(line).group(1)] = (_plain(cells['default']), choices)
      out[(match.group(2), match.group(3))] = (rows, body)
  return out


def _help_flags(text):
  """{section: {flag: (default, choices)}} of a --help text."""
  sections = {}
  section = None
  for line in text.splitlines():
    if line and not line.startswith(' ') and line.endswith(':'):
      section = line[:-1]
      continue
    match = HELP_LINE.match(line)
    if not match:
      continue
    flag, choices, what, default = match.groups()
    if default is None:
      stated = re.search(r'\(default: ([^)]*)\)', what)
      default = stated.group(1) if stated else 'required'
    choices = tuple(c or 'none' for c in choices.split('|')) if choices else ()
    sections.setdefault(section, {})[flag] = (default, choices)
  return sections


def _help(run_main, capsys, name):
  capsys.readouterr()
  status = run_main(cli_main.COMMANDS[name].module, '--help')
  text = capsys.readouterr().out
  assert status == 0, text
  return text


def test_tables_are_generated_from_the_settings():
  texts = flags.pages()
  fresh = flags.regenerate(texts)
  stale = [page for page in texts if fresh[page] != texts[page]]
  assert not stale, ('docs/{} disagrees with the settings: run python '
                     'docs/flags.py'.format(', docs/'.join(stale)))
  assert not flags.missing(texts), 'no table in docs/ for {}'.format(
      flags.missing(texts))


@pytest.mark.parametrize('name', sorted(flags.commands()[0]))
def test_every_runner_flag_is_in_docs_with_its_default(name, run_main,
                                                       capsys):
  tables = _tables()
  rows, body = tables[('runner', name)]
  concerns = re.findall(r'\[`(\w+)`\]',
                        re.search(r'^Concerns: .*$', body, re.M).group(0))
  listed = set()
  for section, entries in _help_flags(_help(run_main, capsys, name)).items():
    for flag, expected in entries.items():
      listed.add(flag)
      if flag in rows:
        documented = rows[flag]
      else:
        assert section in concerns, (
            '{}: --{} ({}) is in no table of docs/'.format(name, flag, section))
        # a generator's runner flags are in that runner's own table
        documented = tables.get(('concern', section),
                                tables.get(('runner', section)))[0].get(flag)
      assert documented == expected, '{}: --{} is {} in docs/, {} in --help'.format(
          name, flag, documented, expected)
  assert set(rows) <= listed, '{}: docs/ lists flags --help does not: {}'.format(
      name, sorted(set(rows) - listed))


@pytest.mark.parametrize('name', sorted(flags.commands()[1]))
def test_every_command_flag_is_in_docs_with_its_default(name, run_main,
                                                        capsys):
  rows, _ = _tables()[('command', name)]
  entries = {}
  for section_entries in _help_flags(_help(run_main, capsys, name)).values():
    entries.update(section_entries)
  assert {flag: default for flag, (default, _) in entries.items()} == {
      flag: default for flag, (default, _) in rows.items()}


def test_readme_links_to_pages_that_exist_and_shows_the_ci_command():
  with open(os.path.join(ROOT, 'README.md')) as readme:
    text = readme.read()
  for target in re.findall(r'\]\(([^)#]+)(?:#[^)]*)?\)', text):
    if not target.startswith('http'):
      assert os.path.exists(os.path.join(ROOT, target)), target
  with open(os.path.join(ROOT, '.ci', 'run')) as ci:
    command = ci.read().strip().splitlines()[-1]
  assert '\n' + command + ' ' in text, command
  assert len(text.splitlines()) <= 250
