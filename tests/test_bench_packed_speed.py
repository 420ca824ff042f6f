"""bench.packed_speed: its roofline arithmetic by hand, and its report's form.

Nothing here is timed: the report runs on a tiny dataset with a few steps,
and only the shape of what it prints is checked.
"""

import io
import re

import numpy as np
import pytest

from lottery_ticket.bench import packed_speed
from lottery_ticket.foundations import dataset_base

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


def test_the_papers_protocol_and_its_headline():
  # 5 trials x 21 levels x 3 kinds of run x 50,000 iterations.
  assert packed_speed.paper_network_steps() == 15750000
  line = packed_speed.headline(15750000 / 3600 / 5, 15750000 / 3600 / 2)
  assert line == ("Frankle & Carbin's LeNet-300-100 experiment: 5.0 h at this "
                  "rate, 2.0 h at the roofline")


FINAL = re.compile(r'^pack of (\d+) (with|without) evaluation: (\d+)% of the '
                   r'roofline, (\d+\.\d+) x one network$')


PARTS = re.compile(r'^pack of 2 without evaluation, its step in two halves '
                   r'alone: matrix products (\d+), masked adam update (\d+), '
                   r'one after the other (\d+) network-steps/s = (\d+)% of '
                   r'the roofline$')
EXPERIMENT = re.compile(r"^the lottery experiment's own path, pack of 2: "
                        r"(\d+)% of the trainer's rate$")
HEADLINE = re.compile(r"^Frankle & Carbin's LeNet-300-100 experiment: "
                      r"(\d+\.\d) h at this rate, (\d+\.\d) h at the roofline$")


@pytest.mark.slow
def test_report_ends_with_the_two_lines_the_experiment_and_the_headline(
    tiny_dataset):
  # Images in [0, 1], as the MNIST .npz the experiment's own path reads.
  unit = dataset_base.DatasetBase(
      *[(tiny_dataset.train.images - tiny_dataset.train.images.min()) /
        np.ptp(tiny_dataset.train.images), tiny_dataset.train.labels],
      *[np.clip(tiny_dataset.test.images / 8 + 0.5, 0, 1),
        tiny_dataset.test.labels], validate_size=50, train_order_seed=3)
  out = io.StringIO()
  results, rss = packed_speed.report(unit, [2], iterations=12, short=0,
                                interval=4, children=False, bandwidth_mb=4,
                                matmul_seconds=0.05, out=out)
  lines = out.getvalue().rstrip('\n').splitlines()
  parts = PARTS.match(lines[-5])
  assert parts, lines[-5]
  bare = results[2, 'without evaluation']
  products = bare['flop_rate'] / sum(packed_speed.step_flops(
      packed_speed.lenet_step(unit, 'adam', False, 4)).values())
  sequence = 1 / (1 / products + 1 / bare['update_rate'])
  assert [float(x) for x in parts.group(1, 2, 3)] == [
      pytest.approx(round(v)) for v in (products, bare['update_rate'],
                                        sequence)]
  assert float(parts.group(1)) >= float(parts.group(3))
  assert float(parts.group(2)) >= float(parts.group(3))
  assert int(parts.group(4)) == round(100 * sequence / bare['roofline'])
  finals = [FINAL.match(line) for line in lines[-4:-2]]
  assert all(finals), lines[-4:-2]
  assert [m.group(1, 2) for m in finals] == [('2', 'with'), ('2', 'without')]
  assert all(float(m.group(4)) > 0 for m in finals)
  assert EXPERIMENT.match(lines[-2]), lines[-2]
  assert int(EXPERIMENT.match(lines[-2]).group(1)) == round(
      100 * results[2, packed_speed.EXPERIMENT] /
      results[2, 'with evaluation']['steps'])
  hours = HEADLINE.match(lines[-1])
  assert hours, lines[-1]
  assert float(hours.group(1)) == pytest.approx(
      packed_speed.paper_network_steps() / 3600 /
      results[2, packed_speed.EXPERIMENT], abs=0.051)
  assert float(hours.group(2)) == pytest.approx(
      packed_speed.paper_network_steps() / 3600 /
      results[2, 'with evaluation']['roofline'], abs=0.051)
  # Both sizes, both modes in the table; 1 is measured as the base.
  rows = [line.split() for line in lines if re.match(r'^\s+[12]\s', line)]
  assert len(rows) == 4
  assert rss == {}  # measured in this process: no peak of its own
  assert results[1, 'with evaluation']['ratio'] == 1.0
  for key, result in results.items():
    if key[1] == packed_speed.EXPERIMENT:
      assert result > 0
      continue
    assert min(result['steps'], result['roofline'], result['ratio'],
               result['percent']) > 0, key
    assert result['bound'] in ('matmul', 'memory')


def test_help(run_main, capsys):
  assert run_main('lottery_ticket.bench.packed_speed', '--help') == 0
  assert '--sizes' in capsys.readouterr().out
