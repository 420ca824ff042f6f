"""Whether a pruned network still connects its input to its output.

Pruning can remove every weight of a layer, or every path through it (layer
collapse, Tanaka et al. 2020): the network then predicts a constant and its
accuracy says nothing about the method. `check` finds such layers from the
0/1 masks alone, so a run can say so instead of training silently.

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


def check(masks, order, say, sequential=True):
  """Says (through `say`) each collapsed layer, and how many output units
  (classes) no input reaches when some still are.

  A layer is collapsed when it has no surviving weight (it is empty) or,
  when no path from the input reaches the output, when it is the first
  layer whose outputs no input reaches.

  Args:
    masks: dict layer -> 0/1 mask (kernel shape).
    order: the layer names from input to output.
    say: callable(line) for each warning.
    sequential: whether each layer reads the one before it; a network with
      shortcuts (a ResNet) is checked for empty layers only, as a path may
      go around a cut.

  Returns:
    what a run records of it: {'collapsed_layers': [names, in order]} or
    {'unreached_outputs': count}, or {} for a network that reaches every
    output.
  """
  reached = _reached(masks, order) if sequential else None
  cut = next((name for name, units in zip(order, reached or ())
              if not units.any()), None)
  collapsed = []
  for name in order:
    empty = not np.any(np.asarray(masks[name]) > 0)
    if empty or name == cut:
      collapsed.append(name)
      say('warning: {} {} after pruning: the network is disconnected'.format(
          name, 'is empty' if empty else 'is reached by no input'))
  if collapsed:
    return {'collapsed_layers': collapsed}
  if reached is not None and not reached[-1].all():
    unreached = int((~reached[-1]).sum())
    say('warning: {} of the {} outputs of {} are reached by no input after '
        'pruning: those classes are never predicted from the input'.format(
            unreached, reached[-1].size, order[-1]))
    return {'unreached_outputs': unreached}
  return {}
