"""bench.train_speed's child: it times the trainer and reports one rate.

Nothing here is timed; only the form of what the child prints is checked.
"""

import pytest

from lottery_ticket.bench import train_speed


@pytest.mark.slow
def test_the_child_prints_one_positive_rate(capsys):
  train_speed.main(iterations=110, repeats=1, child=True)
  lines = [line for line in capsys.readouterr().out.splitlines()
           if line.startswith(train_speed._CHILD_MARK)]  # pylint: disable=protected-access
  assert len(lines) == 1
  assert float(lines[0][len(train_speed._CHILD_MARK):]) > 0  # pylint: disable=protected-access
