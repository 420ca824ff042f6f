"""A dense network with as many parameters as a sparse one (small_dense).

The hidden widths of the network (every layer but the output layer) are
scaled by one factor, rounded and kept at least 1; the factor is the one
whose parameter count (kernels and biases) is closest to the budget: the
sparse network's surviving kernel weights plus all of its biases.

Parameter counts are computed from the hyperparameters alone (layer names,
shapes and biases as model_fc / model_conv build them).
"""

import copy

import numpy as np

from lottery_ticket.foundations import model_conv

_FACTORS = np.arange(1, 1001) / 1000.0


def _conv_output(size, kernel, padding):
  return size if padding == 'SAME' else size - kernel + 1


def kernel_shapes(hyperparameters, input_shape):
  """(dict layer -> kernel shape, dict layer -> bias size) of a network.

  Args:
    hyperparameters: ModelFc ('layers') or ModelConv ('conv_layers',
      'fc_layers', optional 'padding') hyperparameters.
    input_shape: the shape of one example.

  Raises:
    ValueError: if a VALID convolution leaves no pixels.
  """
  kernels, biases = {}, {}
  if 'layers' in hyperparameters:
    features = int(np.prod(input_shape))
    for index, (units, _) in enumerate(hyperparameters['layers']):
      name = 'layer{}'.format(index)
      kernels[name], biases[name] = [features, int(units)], int(units)
      features = int(units)
    return kernels, biases
  height, width, channels = [int(d) for d in input_shape]
  padding = str(hyperparameters.get('padding', 'SAME')).upper()
  index = 0
  for layer in hyperparameters['conv_layers']:
    if layer == model_conv.POOL:
      height, width = height // 2, width // 2
      continue
    filters, size, _ = layer
    name = 'conv{}'.format(index)
    kernels[name] = [int(size), int(size), channels, int(filters)]
    biases[name] = int(filters)
    height = _conv_output(height, int(size), padding)
    width = _conv_output(width, int(size), padding)
    if height < 1 or width < 1:
      raise ValueError('conv layer {} leaves no pixels of a {} input with '
                       '{} padding'.format(name, list(input_shape), padding))
    channels = int(filters)
    index += 1
  features = height * width * channels
  for index, (units, _) in enumerate(hyperparameters['fc_layers']):
    name = 'fc{}'.format(index)
    kernels[name], biases[name] = [features, int(units)], int(units)
    features = int(units)
  return kernels, biases


def count_parameters(hyperparameters, input_shape):
  kernels, biases = kernel_shapes(hyperparameters, input_shape)
  return int(sum(np.prod(s) for s in kernels.values()) + sum(biases.values()))


def scale_widths(hyperparameters, factor):
  """A copy with every hidden width multiplied by factor (rounded, >= 1)."""
  out = copy.deepcopy(hyperparameters)

  def scale(units):
    return max(1, int(round(units * factor)))

  if 'layers' in out:
    layers = out['layers']
    out['layers'] = [(scale(u), a) for u, a in layers[:-1]] + [layers[-1]]
    return out
  out['conv_layers'] = [l if l == model_conv.POOL else (scale(l[0]), l[1], l[2])
                        for l in out['conv_layers']]
  fc = out['fc_layers']
  out['fc_layers'] = [(scale(u), a) for u, a in fc[:-1]] + [fc[-1]]
  return out


def match_budget(hyperparameters, input_shape, budget):
  """(hyperparameters, parameter count) of the scaled net closest to budget."""
  best = None
  for factor in _FACTORS:
    candidate = scale_widths(hyperparameters, factor)
    count = count_parameters(candidate, input_shape)
    if best is None or abs(count - budget) < abs(best[1] - budget):
      best = (candidate, count)
  return best


def hidden_widths(hyperparameters):
  """The hidden widths, for the record: conv filters then fc units."""
  if 'layers' in hyperparameters:
    return [u for u, _ in hyperparameters['layers'][:-1]]
  convs = [l[0] for l in hyperparameters['conv_layers'] if l != model_conv.POOL]
  return convs + [u for u, _ in hyperparameters['fc_layers'][:-1]]
