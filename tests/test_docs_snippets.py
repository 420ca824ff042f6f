"""The Python snippets of docs/ import what exists, and the library page's
first snippet (a two-trial lottery experiment through trainer.train) runs.

The pages are read by people who copy them: a snippet whose import names a
moved module, or whose call reaches a removed function, fails here rather
than in a reader's shell. Every snippet is compiled and its import lines
run; the ones that would train for hours (ResNet-20 on CIFAR-10) are not
run further. docs/extending.md's snippets are run whole by
tests/test_extending.py.
"""

import ast
import glob
import os
import re
import subprocess
import sys

import pytest

from conftest import REPO

SNIPPET = re.compile(r'```python\n(.*?)```', re.S)


def _snippets():
  """(page:line, code) of every Python snippet under docs/ but extending."""
  out = []
  for page in sorted(glob.glob(os.path.join(REPO, 'docs', '*.md'))):
    if page.endswith('extending.md'):  # run whole by test_extending.py
      continue
    with open(page, encoding='utf-8') as f:
      text = f.read()
    for match in SNIPPET.finditer(text):
      line = text[:match.start()].count('\n') + 1
      out.append(('{}:{}'.format(os.path.basename(page), line),
                  match.group(1)))
  return out


SNIPPETS = _snippets()


@pytest.mark.parametrize('where,code', SNIPPETS,
                         ids=[where for where, _ in SNIPPETS])
def test_a_snippet_compiles_and_its_imports_exist(where, code):
  tree = ast.parse(code, where)
  imports = [node for node in tree.body
             if isinstance(node, (ast.Import, ast.ImportFrom))]
  namespace = {}
  exec(compile(ast.Module(body=imports, type_ignores=[]), where, 'exec'),  # pylint: disable=exec-used
       namespace)
  for node in imports:
    for alias in node.names:
      assert (alias.asname or alias.name).split('.')[0] in namespace, where


@pytest.mark.slow
def test_the_library_pages_lottery_snippet_runs(tmp_path):
  """Three levels of two trials: the density printed falls as pruned."""
  code = next(code for where, code in SNIPPETS
              if where.startswith('library.md'))
  code = code.replace('/tmp/lt_lib', str(tmp_path))
  done = subprocess.run([sys.executable, '-c', code], capture_output=True,
                        text=True, cwd=str(tmp_path), check=False)
  assert done.returncode == 0, done.stderr[-2000:]
  levels = [line.split() for line in done.stdout.splitlines()
            if line.startswith('level ')]
  assert [int(words[1]) for words in levels] == [0, 1, 2]
  density = [float(words[-1]) for words in levels]
  # LeNet-300-100's 266,200 weights at 20/20/10%: 0.8 of hidden, 0.9 of
  # the output layer kept per level.
  sizes = [64 * 300, 300 * 100, 100 * 10]
  kept = [[0.8, 0.8, 0.9], [0.64, 0.64, 0.81], [0.512, 0.512, 0.729]]
  for got, fractions in zip(density, kept):
    want = sum(s * f for s, f in zip(sizes, fractions)) / sum(sizes)
    assert abs(got - want) < 1e-3, (got, want)
  for trial in (0, 1):
    for level in (0, 1, 2):
      assert os.path.exists(os.path.join(
          str(tmp_path), 'trial{}'.format(trial), str(level), 'final'))
