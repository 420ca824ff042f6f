"""A sweep refuses a bad line before anything runs or is written.

Whatever is wrong with a line (no --output_dir, a word that is no flag, a
flag the runner does not take, a bad value, a flag given twice or empty, a
file that is not UTF-8), the sweep says so in one line naming the line's
number in the file, exits 2, and leaves the directory as it found it: no
output directory, no `.argfile_run` record, no line of the sweep run. The
good lines around the bad one show that the check covers every line before
the first starts. The sweeps run in-process with the fake runner (fast).
"""

import io
import os

import pytest

from argfiles_testlib import FAKE_RUNNER
from argfiles_testlib import in_tmp  # pylint: disable=unused-import
from argfiles_testlib import run_sweep
from lottery_ticket.argfiles import lines as lines_lib

# Line 3 (after a comment and a good line) is the bad one; line 4 is good.
HEAD = '# Two good lines around a bad one.\n--output_dir=out/a --seed=1\n'
TAIL = '\n--output_dir=out/c --seed=3\n'

# (bad line 3, what the one-line error says after 'line 3').
BAD_LINES = [
    ('--seed=2', 'needs --output_dir'),
    ('garbage', "'garbage' is not a flag"),
    ('--output_dir=out/b --bogus=1', 'unknown flag --bogus'),
    ('--output_dir=out/b extra', "'extra' is not a flag"),
    ('--output_dir=out/b -s 2', "'-s' is not a flag"),
    ('--output_dir=out/b --seed=2 --seed=5', '--seed is given twice'),
    ('--output_dir=out/b --output-dir=out/x', '--output_dir is given twice'),
    ('--output_dir=out/b --seed=', '--seed has an empty value'),
    ("--output_dir='' --seed=2", '--output_dir has an empty value'),
    ('--output_dir=out/b --seed=two', '--seed must be an integer'),
    ('--output_dir=out/b -- --seed=2', "a lone '--'"),
    ('--output_dir="out/b --seed=2', 'cannot split'),
]


def _refused(directory, data):
  """Sweeps argfile bytes `data`; asserts exit 2 with one line and nothing
  written. Returns the line."""
  os.chdir(str(directory))
  with open('lines.txt', 'wb') as f:
    f.write(data)
  stream = io.StringIO()
  code = run_sweep([FAKE_RUNNER, 'lines.txt', '--executor=local'],
                     stream=stream)
  message = stream.getvalue()
  assert code == 2, message
  assert len(message.strip().splitlines()) == 1, message
  assert message.startswith('argfiles.runner: error: ')
  assert sorted(os.listdir(str(directory))) == ['lines.txt']  # Nothing else.
  return message


@pytest.mark.parametrize('bad, says', BAD_LINES,
                         ids=[bad for bad, _ in BAD_LINES])
def test_a_bad_line_is_named_before_anything_runs(in_tmp, bad, says):
  message = _refused(in_tmp, (HEAD + bad + TAIL).encode('utf-8'))
  assert 'line 3: ' in message and says in message, message


def test_every_bad_line_is_counted(in_tmp):
  text = HEAD + 'garbage\n--output_dir=out/c --seed=1 --seed=2\n' + TAIL
  message = _refused(in_tmp, text.encode('utf-8'))
  assert "line 3: 'garbage' is not a flag" in message
  assert '(line 4 is refused too)' in message


def test_an_argfile_that_is_not_utf8_is_named_with_its_line(in_tmp):
  data = HEAD.encode('utf-8') + b'--output_dir=out/\xff --seed=2\n'
  message = _refused(in_tmp, data)
  offset = len(HEAD.encode('utf-8')) + len('--output_dir=out/')
  assert ('argfile lines.txt: line 3 is not UTF-8 text (byte 0xff at '
          'offset {})'.format(offset)) in message


def test_a_byte_order_mark_and_crlf_rows_are_read_as_text(tmp_path):
  path = tmp_path / 'lines.txt'
  path.write_bytes(b'\xef\xbb\xbf--output_dir=a\r\n\r\n--output_dir=b\r\n')
  lines = lines_lib.load_lines(str(path))
  assert [(l.number, l.argv) for l in lines] == [
      (1, ['--output_dir=a']), (3, ['--output_dir=b'])]


def test_line_flags_and_line_problem_read_words_alike():
  argv = ['--a=1', '--b', '2', '--c', '--d-e=x', '--f', '-1']
  assert lines_lib.line_flags(argv) == {'a': '1', 'b': '2', 'c': True,
                                        'd_e': 'x', 'f': '-1'}
  assert lines_lib.line_problem(argv) is None
  assert 'NUL' in lines_lib.line_problem(['--a=x\0y'])
  assert 'without a name' in lines_lib.line_problem(['--=3'])
