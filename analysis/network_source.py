"""A saved network, from whatever was saved, with the configuration to rebuild it.

A source may be
  a run directory                 its final weights (final/);
  a saved network directory       final/, initial/, weights_at/<k>/ (.npy);
  a TensorFlow checkpoint         a prefix such as checkpoints/model-100, or
                                  a checkpoints/ directory (its latest).
The run directory that holds the source (the nearest directory at or above
it with a config.json) gives the configuration and, unless the source
carries its own, the masks.

Saved networks hold effective weights (kernel * mask) under the layer names
and biases under `<layer>_bias`; checkpoints hold the variables
`model/<layer>_w`, `model/<layer>_m` and `model/<layer>_b`, from which the
same dictionaries are formed.
"""

import dataclasses
import os
import re
from typing import Optional

import numpy as np

from lottery_ticket.foundations.storage import checkpoint_files
from lottery_ticket.foundations.storage import integrity
from lottery_ticket.foundations import model_base
from lottery_ticket.foundations import paths
from lottery_ticket.foundations import save_restore

_CHECKPOINT_VARIABLE = re.compile(r'^model/([A-Za-z0-9]+)_([wmb])$')


@dataclasses.dataclass
class Network(object):
  """Weights and masks of a saved network and how to rebuild it.

  Attributes:
    weights: dict name -> effective kernel (layer names) or bias
      (`<layer>_bias`), float32 arrays.
    masks: dict layer name -> 0/1 float32 array, one per kernel.
    run_config: the Config the network was trained with (mnist_fc.config).
    run_dir: the run directory holding the source (None when a config was
      given explicitly and none was found).
    source: the path the weights were read from.
    label: a short file-name-safe name of the source within its run
      (final, initial, weights_at-100, checkpoints-model-100).
    config: the whole parsed config.json (what the run recorded beside its
      settings, e.g. a small_dense run's narrowed widths).
  """
  weights: dict
  masks: dict
  run_config: object
  run_dir: Optional[str]
  source: str
  label: str
  config: dict = dataclasses.field(default_factory=dict)

  def results_dir(self, kind):
    """Where analysis results of this network go: <run_dir>/<kind>/."""
    base = self.run_dir or os.path.dirname(os.path.abspath(self.source))
    return paths.analysis(base, kind)


def load(source, masks=None, config=None):
  """Reads a network and its configuration.

  Args:
    source: a run directory, a saved network directory or a TF checkpoint
      (prefix or checkpoints directory).
    masks: optional masks overriding the source's (dict or path).
    config: optional config.json overriding the run directory's.

  Returns:
    a Network.

  Raises:
    ValueError: if nothing readable is at `source`, no configuration is
      found, or masks and weights disagree on names or shapes.
  """
  from lottery_ticket.mnist_fc import config as config_lib  # pylint: disable=g-import-not-at-top
  source = os.fspath(source)
  run_dir = integrity.enclosing_run(source)
  if run_dir is not None:
    integrity.verify_finished(run_dir)
  weights, own_masks, path = _read_weights(source, run_dir)
  if config is None:
    if run_dir is None:
      raise ValueError('No config.json at or above {}: pass config=<path of '
                       'the config.json it was trained with>'.format(source))
    config = paths.config(run_dir)
  run_config = config_lib.read(config)
  saved_config = config_lib.load_json(config)
  if masks is not None:
    chosen = save_restore.standardize(masks)
  elif own_masks is not None:
    chosen = own_masks
  elif run_dir is not None and os.path.isdir(paths.masks(run_dir)):
    chosen = save_restore.restore_network(paths.masks(run_dir))
  else:
    chosen = {}
  return Network(weights=weights, masks=_complete_masks(weights, chosen, path),
                 run_config=run_config, run_dir=run_dir, source=path,
                 label=_label(path, run_dir), config=saved_config)


def _read_weights(source, run_dir):
  """(weights, masks or None, path actually read): a run directory is read
  as its final/, a checkpoints/ directory as its latest checkpoint."""
  if os.path.isdir(source):
    if (os.path.abspath(source) == run_dir and
        not save_restore.array_files(source)):
      final = paths.final(source)
      if not os.path.isdir(final):
        raise ValueError('Run {} has no final weights ({} is missing): pass a '
                         'checkpoint instead'.format(source, final))
      source = final
    elif os.path.isfile(os.path.join(source, checkpoint_files.INDEX)):
      import tensorflow.compat.v1 as tf  # pylint: disable=g-import-not-at-top
      latest = tf.train.latest_checkpoint(source)
      if not latest:
        raise ValueError('No checkpoint listed in {}'.format(
            os.path.join(source, checkpoint_files.INDEX)))
      source = latest
  if os.path.isdir(source) and save_restore.array_files(source):
    return {k: np.asarray(v, np.float32) for k, v in
            save_restore.restore_network(source).items()}, None, source
  if os.path.isfile(source + '.index'):
    return _read_checkpoint(source)
  raise ValueError('No network at {} (expected a run directory, a directory of '
                   '.npy weights or a TensorFlow checkpoint)'.format(source))


def _read_checkpoint(prefix):
  """Effective weights and masks from a trainer checkpoint."""
  import tensorflow.compat.v1 as tf  # pylint: disable=g-import-not-at-top
  try:
    reader = tf.train.load_checkpoint(prefix)
  except (tf.errors.OpError, ValueError) as error:
    raise ValueError('Unreadable checkpoint {}: {}'.format(
        prefix, str(error).splitlines()[0] if str(error) else error)) from error
  found = {}
  for name in reader.get_variable_to_shape_map():
    match = _CHECKPOINT_VARIABLE.match(name)
    if match:
      found.setdefault(match.group(1), {})[match.group(2)] = reader.get_tensor(name)
  if not found:
    raise ValueError('Checkpoint {} holds no model/<layer>_w variables'.format(
        prefix))
  weights, masks = {}, {}
  for layer, parts in found.items():
    if 'w' not in parts:
      raise ValueError('Checkpoint {} lacks the kernel of layer {!r}'.format(
          prefix, layer))
    mask = parts.get('m', np.ones_like(parts['w']))
    weights[layer] = (parts['w'] * mask).astype(np.float32)
    masks[layer] = mask.astype(np.float32)
    if 'b' in parts:
      weights[model_base.bias_name(layer)] = parts['b'].astype(np.float32)
  return weights, masks, prefix


def _label(path, run_dir):
  if run_dir is None:
    return os.path.basename(os.path.normpath(path))
  return os.path.relpath(os.path.abspath(path), run_dir).replace(os.sep, '-')


def _complete_masks(weights, masks, source):
  """Masks for every kernel of `weights`: those given (checked), ones for
  the rest."""
  kernels = sorted(k for k in weights if not model_base.is_unmasked(k))
  unknown = sorted(set(masks) - set(kernels))
  if unknown:
    raise ValueError('masks name layers the weights at {} lack: {} (layers: '
                     '{})'.format(source, ', '.join(unknown),
                                  ', '.join(kernels)))
  out = {}
  for name in kernels:
    shape = weights[name].shape
    out[name] = np.asarray(masks.get(name, np.ones(shape)), np.float32)
    if out[name].shape != shape:
      raise ValueError('mask {!r} has shape {}, but the weights at {} have shape '
                       '{}'.format(name, list(out[name].shape), source,
                                   list(shape)))
  return out
