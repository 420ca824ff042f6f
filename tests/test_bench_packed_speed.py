"""bench.packed_speed: its roofline arithmetic by hand, and its report's form.

Nothing here is timed: the report runs on a tiny dataset with a few steps,
and only the shape of what it prints is checked.
"""

import io
import re

import pytest

from lottery_ticket.bench import packed_speed

# A 3-4-2 network, batch 5, Adam (2 slots); 10 + 20 examples evaluated every
# 10 steps in chunks of at most 15 (so 1 + 2 chunks).
TINY = packed_speed.Step(widths=(3, 4, 2), batch=5, slots=2,
                         eval_splits=(10, 20), interval=10, eval_chunk=15)
# P = 3*4 + 4*2 = 20 kernel entries, Q = 4 + 2 = 6 biases,
# sum of inputs 3 + 4 = 7, sum of outputs 4 + 2 = 6.


def test_flops_by_hand():
  flops = packed_speed.step_flops(TINY)
  assert flops['forward'] == 2 * 5 * 20
  assert flops['weight gradients'] == 2 * 5 * 20
  assert flops['input gradients'] == 2 * 5 * 8  # the second layer only
  assert flops['evaluation'] == 2 * (30 / 10) * 20


def test_bytes_by_hand():
  terms = {k: v / 4 for k, v in packed_speed.step_bytes(TINY).items()}
  assert terms == {
      'batch gather': 2 * 5 * 3,
      'forward': 20 + 6 + 5 * 7 + 5 * 6,
      'weight gradients': 5 * 7 + 5 * 6 + 20 + 6,
      'input gradients': 4 * 2 + 5 * 2 + 5 * 4,
      'masked gradients': 3 * 20,
      'optimizer': 7 * (20 + 6),
      # snapshot 2 (2P + Q), 3 chunks of (3P + P + Q), 30 rows of
      # (3 in + 2 x 6 out), over 10 steps
      'evaluation': (2 * 46 + 3 * 86 + 30 * 15) / 10,
  }


def test_no_evaluation_moves_nothing_for_it():
  bare = packed_speed.Step(widths=(3, 4, 2), batch=5, slots=0)
  assert packed_speed.step_flops(bare)['evaluation'] == 0
  assert packed_speed.step_bytes(bare)['evaluation'] == 0
  assert packed_speed.step_bytes(bare)['optimizer'] == 4 * 3 * 26


def test_roofline_takes_the_larger_bound():
  flops = sum(packed_speed.step_flops(TINY).values())
  nbytes = sum(packed_speed.step_bytes(TINY).values())
  # Matrix products take 4 x 1 s, memory 4 x 0.5 s: 4 steps per second.
  rate, bound = packed_speed.roofline(4, TINY, flops, 2 * nbytes)
  assert (rate, bound) == (pytest.approx(1.0), 'matmul')
  rate, bound = packed_speed.roofline(4, TINY, 4 * flops, nbytes)
  assert (rate, bound) == (pytest.approx(1.0), 'memory')


def test_score_ratios_and_percentages():
  flops = sum(packed_speed.step_flops(TINY).values())
  mode = 'with evaluation'
  results = {(1, mode): {'steps': 100.0, 'flop_rate': 1000 * flops},
             (2, mode): {'steps': 150.0, 'flop_rate': 1000 * flops}}
  packed_speed.score(results, {mode: TINY}, bytes_per_second=1e15)
  # Both packs' products allow 1000 network-steps/s; memory is no bound.
  assert results[1, mode]['ratio'] == 1.0
  assert results[2, mode]['ratio'] == 1.5
  assert results[1, mode]['percent'] == pytest.approx(10.0)
  assert results[2, mode]['percent'] == pytest.approx(15.0)
  assert results[2, mode]['bound'] == 'matmul'


def test_adam_keeps_two_slots_sgd_none():
  assert packed_speed.optimizer_slots('adam') == 2
  assert packed_speed.optimizer_slots('sgd') == 0


def test_sizes_flag():
  assert packed_speed._sizes('1,2') == [1, 2]  # pylint: disable=protected-access
  assert packed_speed._sizes((1, 4)) == [1, 4]  # pylint: disable=protected-access
  assert packed_speed._sizes(8) == [8]  # pylint: disable=protected-access
  with pytest.raises(ValueError, match='--sizes=0'):
    packed_speed._sizes('0')  # pylint: disable=protected-access


FINAL = re.compile(r'^pack of (\d+) (with|without) evaluation: (\d+)% of the '
                   r'roofline, (\d+\.\d+) x one network$')


def test_report_ends_with_the_two_lines(tiny_dataset):
  out = io.StringIO()
  results, rss = packed_speed.report(tiny_dataset, [2], iterations=12, short=0,
                                interval=4, children=False, bandwidth_mb=4,
                                matmul_seconds=0.05, out=out)
  lines = out.getvalue().rstrip('\n').splitlines()
  finals = [FINAL.match(line) for line in lines[-2:]]
  assert all(finals), lines[-2:]
  assert [m.group(1, 2) for m in finals] == [('2', 'with'), ('2', 'without')]
  assert all(float(m.group(4)) > 0 for m in finals)
  # Both sizes, both modes in the table; 1 is measured as the base.
  rows = [line.split() for line in lines if re.match(r'^\s+[12]\s', line)]
  assert len(rows) == 4
  assert rss == {}  # measured in this process: no peak of its own
  assert results[1, 'with evaluation']['ratio'] == 1.0
  for key, result in results.items():
    assert min(result['steps'], result['roofline'], result['ratio'],
               result['percent']) > 0, key
    assert result['bound'] in ('matmul', 'memory')


def test_help(run_main, capsys):
  assert run_main('lottery_ticket.bench.packed_speed', '--help') == 0
  assert '--sizes' in capsys.readouterr().out
