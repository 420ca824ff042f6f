"""Training lengths are parsed in one place."""

import pytest

from lottery_ticket.foundations import durations


@pytest.mark.parametrize('text, expected', [
    ('500it', ('iterations', 500)), ('3ep', ('epochs', 3)),
    ('iterations:50', ('iterations', 50)), ('epochs=2', ('epochs', 2)),
    (('iterations', 7), ('iterations', 7)), (['epochs', '4'], ('epochs', 4)),
])
def test_parse(text, expected):
  assert durations.parse(text) == expected


@pytest.mark.parametrize('bad', ['5 parsecs', 'fast', ('hours', 2), ('iterations', -1), 3])
def test_bad_lengths_are_named(bad):
  with pytest.raises(ValueError, match='training_len'):
    durations.parse(bad)


def test_to_iterations():
  assert durations.to_iterations('3ep', 45) == 135
  assert durations.to_iterations('10it', 45) == 10
  assert durations.format_len(('epochs', 3)) == '3ep'
