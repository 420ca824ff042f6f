"""Whether a pruned network still connects its input to its output.

Pruning can remove every weight of a layer, or every path through it (layer
collapse, Tanaka et al. 2020): the network then predicts a constant and its
accuracy says nothing about the method. `collapsed_layers` finds such layers
from the 0/1 masks alone, so a run can say so instead of training silently.

Reachability is propagated forward: a unit (a channel of a conv layer) is
reached when some surviving weight connects it to a reached unit of the
layer before, every input being reached. A conv layer's spatial extent is
ignored (a channel is alive if any weight of its kernel slice from a live
input channel survives; pooling keeps channels); at the first
fully-connected layer after the convolutions, the flattened input i belongs
to channel i mod C (NHWC order).

Needs numpy only.
"""

import numpy as np

# The kinds of collapse, as recorded.
EMPTY = 'empty'
DISCONNECTED = 'disconnected'


def _fan_out(mask, reached):
  """The output units of `mask` reached from the input units `reached`."""
  mask = np.asarray(mask) > 0
  if mask.ndim == 4:  # conv: [height, width, in channels, out channels]
    mask = mask.any(axis=(0, 1))
  if mask.shape[0] != reached.size:
    if reached.size and mask.shape[0] % reached.size == 0:
      # Convolutions flattened into a dense layer: input i is channel i % C.
      reached = np.tile(reached, mask.shape[0] // reached.size)
    else:
      reached = np.full(mask.shape[0], bool(reached.any()))
  return mask[reached].any(axis=0)


def _reached(masks, order):
  """The output units of each layer of `order` that some input reaches,
  propagated forward from every input unit of the first."""
  reached = np.ones(np.asarray(masks[order[0]]).shape[-2], bool)
  out = []
  for name in order:
    reached = _fan_out(masks[name], reached)
    out.append(reached)
  return out


def collapsed_layers(masks, order, sequential=True):
  """The layers through which no input reaches the output.

  Args:
    masks: dict layer -> 0/1 mask (kernel shape).
    order: the layer names from input to output.
    sequential: whether each layer reads the one before it; a network with
      shortcuts (a ResNet) is checked for empty layers only, as a path may
      go around a cut.

  Returns:
    list of (layer, kind), in order: each layer with no surviving weight
    (EMPTY), and, when no path from the input reaches the output, the first
    layer whose outputs no input reaches (DISCONNECTED) unless it is
    already empty. An empty list for a connected network.
  """
  return _collapsed(masks, order, _reached(masks, order) if sequential
                    else None)


def _collapsed(masks, order, reached):
  """collapsed_layers, given _reached's units (None: empty layers only)."""
  out = [(name, EMPTY) for name in order
         if not np.any(np.asarray(masks[name]) > 0)]
  if reached is not None:
    cut = next((name for name, units in zip(order, reached)
                if not units.any()), None)
    if cut is not None and (cut, EMPTY) not in out:
      out.append((cut, DISCONNECTED))
      out.sort(key=lambda item: order.index(item[0]))
  return out


def warnings(collapsed):
  """One line per collapsed layer, naming it."""
  return ['warning: {} {} after pruning: the network is disconnected'.format(
      name, 'is empty' if kind == EMPTY else
      'is reached by no input')
          for name, kind in collapsed]


def check(masks, order, say, sequential=True):
  """Says (through `say`) each collapsed layer, and how many output units
  (classes) no input reaches when some still are; returns what a run
  records of it: {'collapsed_layers': [names]} and/or
  {'unreached_outputs': count}, or {} for a network that reaches every
  output."""
  reached = _reached(masks, order) if sequential else None
  collapsed = _collapsed(masks, order, reached)
  for line in warnings(collapsed):
    say(line)
  out = {}
  if collapsed:
    out['collapsed_layers'] = [name for name, _ in collapsed]
  elif reached is not None and not reached[-1].all():
    out['unreached_outputs'] = int((~reached[-1]).sum())
    say('warning: {} of the {} outputs of {} are reached by no input after '
        'pruning: those classes are never predicted from the input'.format(
            out['unreached_outputs'], reached[-1].size, order[-1]))
  return out
