"""small_dense: the paper's narrow dense networks, by hand-counted parameters."""

import pytest

from lottery_ticket.foundations.models import architectures
from lottery_ticket.mnist_fc import small_dense

MLP = {'layers': [(300, 'relu'), (100, 'relu'), (10, None)]}


def _lenet5():
  spec = architectures.architecture('lenet5')
  spec['padding'] = 'VALID'
  return spec


def test_the_mlp_at_98_percent_gets_the_papers_widths():
  # mlp_configs/small_dense.gin: (28*28*300 + 300*100 + 100*10) * 0.02 + 410.
  budget = round((784 * 300 + 300 * 100 + 100 * 10) * 0.02) + 300 + 100 + 10
  assert budget == 5734
  narrowed, count = small_dense.match_budget(MLP, (784,), budget)
  assert small_dense.hidden_widths(narrowed) == [8, 8]
  # 784-8-8-10: kernels 6272 + 64 + 80, biases 8 + 8 + 10.
  assert count == 784 * 8 + 8 * 8 + 8 * 10 + 8 + 8 + 10 == 6442
  # 784-7-7-10 would fall short of the sparse net: 5631 < 5734.
  assert 784 * 7 + 7 * 7 + 7 * 10 + 7 + 7 + 10 < budget
  assert small_dense.match_budget(MLP, (784,), budget, rule='equal') == (
      narrowed, count)


def test_lenet5_at_95_percent_gets_the_papers_widths():
  # Kernels 150 + 2400 + 30720 + 10080 + 840 = 44190, 5% kept per layer
  # (rounded: 8 + 120 + 1536 + 504 + 42), biases 6 + 16 + 120 + 84 + 10.
  budget = 8 + 120 + 1536 + 504 + 42 + 236
  narrowed, count = small_dense.match_budget(_lenet5(), (28, 28, 1), budget)
  assert small_dense.hidden_widths(narrowed) == [3, 3, 27, 20]
  # conv 5x5x1x3 + 3, conv 5x5x3x3 + 3, fc (4*4*3)x27 + 27, 27x20 + 20, 20x10
  # + 10: the 2,399 of configs/small_dense.gin.
  assert count == (75 + 3) + (225 + 3) + (48 * 27 + 27) + (27 * 20 + 20) + (
      200 + 10) == 2399


def test_other_networks_get_equal_widths_reaching_the_budget():
  # LeNet-5 at 98%: 884 kernel weights + 236 biases = 1120 parameters.
  narrowed, count = small_dense.match_budget(_lenet5(), (28, 28, 1), 1120)
  assert small_dense.hidden_widths(narrowed) == [5, 5, 5, 5]
  # 5 everywhere: 130 + 630 + (80*5 + 5) + 30 + 60 = 1255; 4 gives 838.
  assert count == 1255


def test_the_other_rules():
  budget = 5734
  uniform, count = small_dense.match_budget(MLP, (784,), budget,
                                            rule='uniform')
  widths = small_dense.hidden_widths(uniform)
  # One factor for both layers: the old 784-7-2-10 bottleneck.
  assert widths == [7, 2]
  assert count == 784 * 7 + 7 * 2 + 2 * 10 + 7 + 2 + 10
  root, _ = small_dense.match_budget(MLP, (784,), budget, rule='sqrt_density')
  # sqrt(0.02) = 0.1414: 300 -> 42, 100 -> 14.
  assert small_dense.hidden_widths(root) == [42, 14]
  with pytest.raises(ValueError, match="No such small_dense width rule: 'x'"):
    small_dense.match_budget(MLP, (784,), budget, rule='x')


def test_with_widths_checks_its_input():
  assert small_dense.hidden_widths(
      small_dense.with_widths(_lenet5(), [1, 2, 3, 4])) == [1, 2, 3, 4]
  with pytest.raises(ValueError, match='3 widths given for the 2 hidden'):
    small_dense.with_widths(MLP, [1, 2, 3])
  with pytest.raises(ValueError, match='>= 1'):
    small_dense.with_widths(MLP, [0, 2])
