"""A dense network with as many parameters as a sparse one (small_dense).

The budget is the sparse network's parameter count: its surviving kernel
weights plus all of its biases. The hidden widths (every layer but the
output layer) are narrowed to it by one of these rules:

  reference     the gradient-flow paper's small_dense (the default): the
                reference code (google-research/rigl rigl_tf2/configs and
                mlp_configs/small_dense.gin) has no rule in code; each
                configuration sets its widths by hand, and the comments
                beside them give the reasoning. The MLP's follows `equal`
                exactly (784-8-8-10 at 98%: 6,442 parameters, the smallest
                equal widths reaching the sparse net's 5,734). LeNet-5's
                (3, 3, 27, 20) at 95% ("original_hidden_size / sqrt(20)",
                adjusted by hand to 2,399 parameters against the 2,396 the
                comment counts) follows no rule that also gives the MLP's,
                so it is taken as written (REFERENCE_WIDTHS) for that
                network; every other network and sparsity gets `equal`.
  equal         every hidden layer the same width: the smallest whose
                network has at least the budget's parameters (the MLP
                config's rule). No layer becomes a bottleneck.
  sqrt_density  every hidden width times sqrt(density), rounded, at least 1
                (the LeNet-5 config's comment before its hand adjustment:
                each weight matrix between two narrowed layers then keeps
                about `density` of its entries).
  uniform       every hidden width times one factor, rounded, at least 1;
                the factor whose parameter count is closest to the budget.
                Keeps the shape of the network, but at high sparsity it
                narrows the last hidden layers to 1-2 units (this library's
                earlier behaviour).

Parameter counts are computed from the hyperparameters alone (layer names,
shapes and biases as model_fc / model_conv build them).
"""

import copy

import numpy as np

from lottery_ticket.foundations.models import architectures
from lottery_ticket.foundations import choices

_FACTORS = np.arange(1, 1001) / 1000.0
# Widths the reference sets by hand, by (kernel shapes of the full network,
# its density rounded to DENSITY_DIGITS): LeNet-5 (VALID, 28x28x1) at 95%
# sparsity, google-research/rigl rigl_tf2/configs/small_dense.gin.
REFERENCE_WIDTHS = {
    ((('conv0', (5, 5, 1, 6)), ('conv1', (5, 5, 6, 16)),
      ('fc0', (256, 120)), ('fc1', (120, 84)), ('fc2', (84, 10))), 0.05):
        (3, 3, 27, 20),
}
DENSITY_DIGITS = 3


def kernel_shapes(hyperparameters, input_shape):
  """(dict layer -> kernel shape, dict layer -> bias size) of a network.

  Args:
    hyperparameters: of a network small_dense narrows (fc: ModelFc's
      'layers'; conv: ModelConv's 'conv_layers', 'fc_layers', optional
      'padding').
    input_shape: the shape of one example.

  Raises:
    ValueError: if a VALID convolution leaves no pixels.
  """
  kernels, biases = {}, {}
  if architectures.of(hyperparameters).flat:
    features = int(np.prod(input_shape))
    prefix, dense = 'layer', hyperparameters['layers']
  else:
    height, width, channels = [int(d) for d in input_shape]
    padding = str(hyperparameters.get('padding', 'SAME')).upper()
    for layer in hyperparameters['conv_layers']:
      if layer == architectures.POOL:
        height, width = height // 2, width // 2
        continue
      filters, size = int(layer[0]), int(layer[1])
      name = 'conv{}'.format(len(kernels))
      kernels[name] = [size, size, channels, filters]
      biases[name] = channels = filters
      if padding == 'VALID':
        height, width = height - size + 1, width - size + 1
      if height < 1 or width < 1:
        raise ValueError('conv layer {} leaves no pixels of a {} input with '
                         '{} padding'.format(name, list(input_shape),
                                             padding))
    features = height * width * channels
    prefix, dense = 'fc', hyperparameters['fc_layers']
  for index, (units, _) in enumerate(dense):
    name = '{}{}'.format(prefix, index)
    kernels[name], biases[name] = [features, int(units)], int(units)
    features = int(units)
  return kernels, biases


def count_parameters(hyperparameters, input_shape):
  kernels, biases = kernel_shapes(hyperparameters, input_shape)
  return int(sum(np.prod(s) for s in kernels.values()) + sum(biases.values()))


def scale_widths(hyperparameters, factor):
  """A copy with every hidden width multiplied by factor (rounded, >= 1)."""
  return with_widths(hyperparameters, [max(1, int(round(units * factor)))
                                       for units in hidden_widths(
                                           hyperparameters)])


def with_widths(hyperparameters, widths):
  """A copy whose hidden widths (conv filters, then fc units) are `widths`.

  Raises:
    ValueError: if the number of widths is not the number of hidden layers,
      or a width is below 1.
  """
  widths = [int(w) for w in widths]
  current = hidden_widths(hyperparameters)
  if len(widths) != len(current):
    raise ValueError('{} widths given for the {} hidden layers of this '
                     'network'.format(len(widths), len(current)))
  if any(w < 1 for w in widths):
    raise ValueError('hidden widths must be >= 1, got {}'.format(widths))
  return architectures.of(hyperparameters).with_widths(
      copy.deepcopy(hyperparameters), iter(widths))


def budget_density(hyperparameters, input_shape, budget):
  """The kernel density a parameter budget stands for (biases all kept)."""
  kernels, biases = kernel_shapes(hyperparameters, input_shape)
  total = sum(int(np.prod(s)) for s in kernels.values())
  return (float(budget) - sum(biases.values())) / total


def _equal(hyperparameters, input_shape, budget):
  widest = max(hidden_widths(hyperparameters) or [1])
  count = len(hidden_widths(hyperparameters))
  for width in range(1, widest + 1):
    candidate = with_widths(hyperparameters, [width] * count)
    if count_parameters(candidate, input_shape) >= budget:
      return candidate
  return with_widths(hyperparameters, [widest] * count)


def _sqrt_density(hyperparameters, input_shape, budget):
  density = min(1.0, max(0.0, budget_density(hyperparameters, input_shape,
                                             budget)))
  return scale_widths(hyperparameters, np.sqrt(density))


def _uniform(hyperparameters, input_shape, budget):
  """The first of the scaled networks whose count is closest to budget."""
  return min((scale_widths(hyperparameters, factor) for factor in _FACTORS),
             key=lambda c: abs(count_parameters(c, input_shape) - budget))


def _reference(hyperparameters, input_shape, budget):
  kernels, _ = kernel_shapes(hyperparameters, input_shape)
  shapes = tuple((n, tuple(int(d) for d in kernels[n]))
                 for n in sorted(kernels))
  density = round(budget_density(hyperparameters, input_shape, budget),
                  DENSITY_DIGITS)
  widths = REFERENCE_WIDTHS.get((shapes, density))
  if widths:
    return with_widths(hyperparameters, widths)
  return _equal(hyperparameters, input_shape, budget)


_RULES = {'reference': _reference, 'equal': _equal,
          'sqrt_density': _sqrt_density, 'uniform': _uniform}
RULES = tuple(_RULES)


def match_budget(hyperparameters, input_shape, budget, rule='reference'):
  """(hyperparameters, parameter count) of the narrowed dense network.

  Args:
    hyperparameters: of the full network (ModelFc or ModelConv).
    input_shape: the shape of one example.
    budget: the sparse network's parameter count (surviving kernel weights
      plus every bias).
    rule: one of RULES (see the module docstring).

  Returns:
    (hyperparameters with the narrowed widths, their parameter count).

  Raises:
    ValueError: for an unknown rule.
  """
  choices.check('small_dense width rule', rule, RULES)
  narrowed = _RULES[rule](hyperparameters, input_shape, budget)
  return narrowed, count_parameters(narrowed, input_shape)


def hidden_widths(hyperparameters):
  """The hidden widths, for the record: conv filters then fc units."""
  return architectures.of(hyperparameters).hidden_widths(hyperparameters)
