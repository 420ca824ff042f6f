"""Union and intersection of masks, without touching the inputs."""

import numpy as np


def _combine(masks, op, what):
  if not masks:
    raise ValueError('{} needs at least one mask'.format(what))
  names = set(masks[0])
  for other in masks[1:]:
    if set(other) != names:
      raise ValueError('{} of masks with different layers: {} vs {}'.format(
          what, sorted(names), sorted(other)))
  out = {}
  for name in masks[0]:
    shapes = {np.shape(m[name]) for m in masks}
    if len(shapes) != 1:
      raise ValueError('{}: layer {!r} has shapes {}'.format(
          what, name, sorted(shapes)))
    out[name] = op.reduce([np.asarray(m[name]) != 0 for m in masks]).astype(
        np.float32)
  return out


def union(*masks):
  """A weight survives if it survives in any of the masks."""
  return _combine(masks, np.logical_or, 'union')


def intersect(*masks):
  """A weight survives only if it survives in all of the masks."""
  return _combine(masks, np.logical_and, 'intersection')
