"""The networks by name, one registry entry per family (no TensorFlow).

`family(network)` is the one place that tells networks apart: fc (an MLP of
--layers), conv (the named conv nets below), resnet and vgg (OpenLTH's CIFAR
nets). Each `Family` carries its model hyperparameters and layer names, the
layers OpenLTH leaves unpruned, how small_dense narrows it, the settings its
runs derive when not given, and its default recipe (`recipe`, as OpenLTH's
default_hparams: the dataset it is for and the training it gets there).
`of(hyperparameters)` finds the family of a hyperparameters dict by the key
only that family's have.

Conv-2/4/6 are the VGG-like CIFAR-10 networks of the lottery ticket paper
(3x3 convolutions, 2x2 max-pooling after each pair, then 256-256-10 fully
connected); LeNet-5 is 6 and 16 5x5 filters with pooling, then 120-84-10.
The configuration reads the names and widths from here without importing
TensorFlow; model_conv.ModelConv builds a network from such a spec.

The CIFAR ResNets and VGGs (below: names, VGG plans, ResNet blocks, layer
names, the layers OpenLTH leaves unpruned) are built by model_cifar.
"""

import dataclasses
import importlib
from typing import Any, Mapping, Tuple

from lottery_ticket.foundations import choices

POOL = 'pool'


def _vgg(blocks):
  conv = []
  for filters in blocks:
    conv += [(filters, 3, 'relu'), (filters, 3, 'relu'), POOL]
  return {'conv_layers': conv,
          'fc_layers': [(256, 'relu'), (256, 'relu'), (10, None)]}


ARCHITECTURES = {
    'lenet5': {
        'conv_layers': [(6, 5, 'relu'), POOL, (16, 5, 'relu'), POOL],
        'fc_layers': [(120, 'relu'), (84, 'relu'), (10, None)],
    },
    'conv2': _vgg([64]),
    'conv4': _vgg([64, 128]),
    'conv6': _vgg([64, 128, 256]),
}
NAMES = tuple(sorted(ARCHITECTURES))


# The CIFAR ResNets and VGGs of OpenLTH (facebookresearch/open_lth
# models/cifar_resnet.py, models/cifar_vgg.py), built by model_cifar. Their
# facts live here so that the configuration reads them without TensorFlow.

CIFAR_POOL = 'M'  # 2x2 max-pooling in a VGG plan (OpenLTH's 'M')
RESNET_DEPTHS = (20, 32, 44, 56, 110)
RESNET_WIDTH = 16  # OpenLTH's default W of cifar_resnet_N[_W]
VGG_PLANS = {
    11: [64, CIFAR_POOL, 128, CIFAR_POOL, 256, 256, CIFAR_POOL, 512, 512,
         CIFAR_POOL, 512, 512],
    13: [64, 64, CIFAR_POOL, 128, 128, CIFAR_POOL, 256, 256, CIFAR_POOL, 512,
         512, CIFAR_POOL, 512, 512],
    16: [64, 64, CIFAR_POOL, 128, 128, CIFAR_POOL, 256, 256, 256, CIFAR_POOL,
         512, 512, 512, CIFAR_POOL, 512, 512, 512],
    19: [64, 64, CIFAR_POOL, 128, 128, CIFAR_POOL, 256, 256, 256, 256,
         CIFAR_POOL, 512, 512, 512, 512, CIFAR_POOL, 512, 512, 512, 512],
}
RESNET_NAMES = tuple('resnet{}'.format(depth) for depth in RESNET_DEPTHS)
VGG_NAMES = tuple('vgg{}'.format(depth) for depth in sorted(VGG_PLANS))
# OpenLTH's model_init for both families: PyTorch's kaiming_normal_ (an
# untruncated normal of variance 2 / fan_in; initializers.py).
CIFAR_INITIALIZER = 'kaiming_normal'
# The name of the dense output layer of both families.
CIFAR_OUTPUT = 'fc'


def resnet_blocks(depth, width):
  """The blocks of ResNet-`depth` of width W, in order.

  N = 6D + 2: three segments of D blocks with W, 2W and 4W channels; the
  first block of the second and third segments halves the resolution and
  has a projection shortcut (OpenLTH models/cifar_resnet.py).

  Returns:
    a list of (name, filters, downsample), name 'block{b}'.

  Raises:
    ValueError: unless depth = 6D + 2 for some D >= 1 and width >= 1.
  """
  depth, width = int(depth), int(width)
  if depth < 8 or (depth - 2) % 6:
    raise ValueError('resnet_depth must be 6D + 2 for some D >= 1 (8, 14, '
                     '20, ...), got {}'.format(depth))
  if width < 1:
    raise ValueError('resnet_width must be >= 1, got {}'.format(width))
  per_segment = (depth - 2) // 6
  out = []
  for segment, filters in enumerate((width, 2 * width, 4 * width)):
    for within in range(per_segment):
      out.append(('block{}'.format(len(out)), filters,
                  segment > 0 and within == 0))
  return out


def check_vgg_plan(plan):
  """`plan` as a list, if it is channel counts and CIFAR_POOL with at least
  one convolution.

  Raises:
    ValueError: naming the bad item.
  """
  plan = list(plan)
  if not any(item != CIFAR_POOL for item in plan):
    raise ValueError('vgg_plan needs at least one convolution, got '
                     '{}'.format(plan))
  for item in plan:
    if item != CIFAR_POOL and (not isinstance(item, int) or item < 1):
      raise ValueError('vgg_plan items are channel counts or {!r}, got '
                       '{!r}'.format(CIFAR_POOL, item))
  return plan


# The registry of families --------------------------------------------------------

# OpenLTH's default_hparams of cifar_resnet_20 and cifar_vgg_16 (models/
# cifar_resnet.py, models/cifar_vgg.py), in this library's settings: SGD
# with momentum 0.9 at 0.1, dropped 10x (gamma) at epochs 80 and 120 of 160,
# weight decay 1e-4 on every parameter (training/optimizers.py hands
# model.parameters() to SGD), batches of 128 of CIFAR-10's 50,000 training
# examples (no validation split), with datasets/cifar10.py's augmentation
# (random flip, random crop of the image padded by 4) and per-channel
# normalisation; 20% of the weights pruned per level (pruning_fraction).
OPENLTH_CIFAR10 = {
    'dataset': 'cifar10', 'validate_size': 0, 'normalize': 'channel',
    'augment': 'crop_flip', 'optimizer': 'momentum', 'learning_rate': 0.1,
    'momentum': 0.9, 'lr_schedule': 'step', 'lr_drops': ('80ep', '120ep'),
    'lr_drop_factor': 0.1, 'weight_decay': 1e-4, 'weight_decay_on': 'all',
    'batch_size': 128, 'training_len': '160ep', 'prune_percent': 0.2,
}
# LeNet-300-100's hidden widths (the lottery ticket paper's MLP).
LENET_300_100 = (300, 100)


@dataclasses.dataclass(frozen=True)
class Family:
  """One family of networks: what the configuration and the models ask of it.

  Attributes:
    name: 'fc', 'conv', 'resnet' or 'vgg'.
    networks: the --network names of the family.
    key: the hyperparameters key only this family's have (`of`).
    model: 'module.Class' under lottery_ticket.foundations (`model_class`).
    derived: setting -> value its runs derive when the setting is not
      given (initializer, pruning strategy, conv pruning rate).
    recipe: its default recipe, setting -> value, as OpenLTH's
      default_hparams; 'dataset' names the dataset it is for, on which the
      others replace the settings' defaults (flags still override each).
    ignored: the layers OpenLTH keeps out of pruning
      (pruning_layers_to_ignore): the VGGs' output layer
      (models/cifar_vgg.py); the ResNets rank theirs with the rest
      (models/cifar_resnet.py).
    layers: the --layers it takes: 'any' (fc; none is a linear model),
      'some' (at least one width) or 'none' (no hidden fully-connected
      layers).
    narrows: whether small_dense narrows its hidden widths.
    flat: whether it reads flattened images.
    sequential: whether every path goes through each layer in turn (a
      ResNet's shortcuts go around layers: connectivity.check).

  Each family defines `hyperparameters(network, layers, num_classes,
  initializer=, padding=, resnet_width=)`, the model hyperparameters of a
  network (the options a family does not read are ignored), and
  `layer_kinds(hyperparameters)`, the prunable layers in the model's order,
  each 'conv', 'hidden' (fully-connected) or 'output' (the last); the named
  ones `architecture(network, resnet_width)`; those small_dense narrows
  `hidden_widths(hyperparameters)` (conv filters, then hidden units) and
  `with_widths(hyperparameters, widths)` (a copy with the widths an
  iterator gives, in that order).
  """
  name: str
  networks: Tuple[str, ...]
  key: str
  model: str
  derived: Mapping[str, Any]
  recipe: Mapping[str, Any] = dataclasses.field(default_factory=dict)
  ignored: Tuple[str, ...] = ()
  layers: str = 'none'
  narrows: bool = False
  flat: bool = False
  sequential: bool = True

  def recipe_on(self, dataset):
    """The recipe's settings for a run on `dataset` ({} off its dataset)."""
    if self.recipe.get('dataset') != dataset:
      return {}
    return {k: v for k, v in self.recipe.items() if k != 'dataset'}

  def model_class(self):
    """The ModelBase subclass that builds the family (imports TensorFlow)."""
    module, name = self.model.rsplit('.', 1)
    return getattr(importlib.import_module(
        'lottery_ticket.foundations.' + module), name)

  def default_layers(self, network):
    """The hidden fully-connected widths of a network given no --layers."""
    return ()


def _fc_kinds(prefix, count):
  """{prefix0: 'hidden', ..., prefix{count-1}: 'output'}."""
  return {'{}{}'.format(prefix, i): 'output' if i == count - 1 else 'hidden'
          for i in range(count)}


def _hidden(layers, widths):
  """Fully-connected `layers` with their hidden widths the next of `widths`."""
  return [(next(widths), a) for _, a in layers[:-1]] + [layers[-1]]


class _Fc(Family):

  def default_layers(self, network):
    return LENET_300_100

  def hyperparameters(self, network, layers, num_classes, initializer=None,
                      **_):
    return {'layers': [(int(u), 'relu') for u in layers] +
                      [(num_classes, None)], 'initializer': initializer}

  def layer_kinds(self, hyperparameters):
    return _fc_kinds('layer', len(hyperparameters['layers']))

  def hidden_widths(self, hyperparameters):
    return [u for u, _ in hyperparameters['layers'][:-1]]

  def with_widths(self, hyperparameters, widths):
    return dict(hyperparameters, layers=_hidden(hyperparameters['layers'],
                                                widths))


class _Conv(Family):

  def architecture(self, network, resnet_width=None):
    return {key: list(value) for key, value in ARCHITECTURES[network].items()}

  def default_layers(self, network):
    return tuple(u for u, _ in ARCHITECTURES[network]['fc_layers'][:-1])

  def hyperparameters(self, network, layers, num_classes, initializer=None,
                      padding='SAME', **_):
    spec = self.architecture(network)
    spec.update(fc_layers=[(int(u), 'relu') for u in layers] +
                [(num_classes, None)], initializer=initializer,
                padding=padding)
    return spec

  def layer_kinds(self, hyperparameters):
    convs = [l for l in hyperparameters['conv_layers'] if l != POOL]
    out = {'conv{}'.format(i): 'conv' for i in range(len(convs))}
    out.update(_fc_kinds('fc', len(hyperparameters['fc_layers'])))
    return out

  def hidden_widths(self, hyperparameters):
    return ([l[0] for l in hyperparameters['conv_layers'] if l != POOL] +
            [u for u, _ in hyperparameters['fc_layers'][:-1]])

  def with_widths(self, hyperparameters, widths):
    out = dict(hyperparameters)
    out['conv_layers'] = [l if l == POOL else (next(widths), l[1], l[2])
                          for l in out['conv_layers']]
    out['fc_layers'] = _hidden(out['fc_layers'], widths)
    return out


class _Cifar(Family):
  """OpenLTH's CIFAR nets: every layer a convolution but the output layer
  fc; batch norms are not layers (never pruned)."""

  def hyperparameters(self, network, layers, num_classes, initializer=None,
                      resnet_width=None, **_):
    spec = self.architecture(network, resnet_width)
    spec.update(outputs=num_classes, initializer=initializer)
    return spec

  def layer_kinds(self, hyperparameters):
    out = {name: 'conv' for name in self.conv_names(hyperparameters)}
    out[CIFAR_OUTPUT] = 'output'
    return out


class _ResNet(_Cifar):

  def architecture(self, network, resnet_width=None):
    return {'resnet_depth': int(network[len('resnet'):]),
            'resnet_width': int(RESNET_WIDTH if resnet_width is None
                                else resnet_width)}

  def conv_names(self, hyperparameters):
    """conv0, then per block b block{b}_conv1, block{b}_conv2 and, where
    the shape changes, block{b}_shortcut."""
    names = ['conv0']
    for block, _, downsample in resnet_blocks(
        hyperparameters['resnet_depth'],
        hyperparameters.get('resnet_width', RESNET_WIDTH)):
      names += [block + '_conv1', block + '_conv2']
      if downsample:
        names.append(block + '_shortcut')
    return names


class _VGG(_Cifar):

  def architecture(self, network, resnet_width=None):
    return {'vgg_plan': list(VGG_PLANS[int(network[len('vgg'):])])}

  def conv_names(self, hyperparameters):
    """conv0, conv1, ..., one per channel count of the plan."""
    convs = [i for i in check_vgg_plan(hyperparameters['vgg_plan'])
             if i != CIFAR_POOL]
    return ['conv{}'.format(i) for i in range(len(convs))]


_CIFAR_DERIVED = {'initializer': CIFAR_INITIALIZER,
                  'pruning': 'global_with_output', 'prune_percent_conv': 0.2}
_OTHER_DERIVED = {'initializer': 'glorot_normal', 'pruning': 'layerwise',
                  'prune_percent_conv': 0.1}
FAMILIES = (
    _Fc('fc', ('fc',), 'layers', 'model_fc.ModelFc', _OTHER_DERIVED,
        layers='any', narrows=True, flat=True),
    _Conv('conv', NAMES, 'conv_layers', 'model_conv.ModelConv', _OTHER_DERIVED,
          layers='some', narrows=True),
    _ResNet('resnet', RESNET_NAMES, 'resnet_depth', 'models.model_cifar.ModelResNet',
           _CIFAR_DERIVED, OPENLTH_CIFAR10, sequential=False),
    _VGG('vgg', VGG_NAMES,
           'vgg_plan', 'models.model_cifar.ModelVGG', _CIFAR_DERIVED, OPENLTH_CIFAR10,
           ignored=(CIFAR_OUTPUT,)),
)
NETWORKS = tuple(n for f in FAMILIES for n in f.networks)


def register(new_family):
  """Adds a Family (an instance of a subclass defining its methods, and
  `model_class` if its model lives outside foundations) to the registry:
  its networks become --network choices (docs/extending.md).

  Raises:
    ValueError: if one of its networks or its key is taken.
  """
  global FAMILIES, NETWORKS
  taken = set(NETWORKS) & set(new_family.networks)
  if taken or new_family.key in [f.key for f in FAMILIES]:
    raise ValueError('family {}: network or key taken: {}'.format(
        new_family.name, sorted(taken) or new_family.key))
  FAMILIES += (new_family,)
  NETWORKS += new_family.networks


def family(network):
  """The Family of a --network name.

  Raises:
    ValueError: 'No such network: ...' naming the choices.
  """
  choices.check('network', network, NETWORKS)
  return next(f for f in FAMILIES if network in f.networks)


def architecture(name, resnet_width=None):
  """The architecture of a named network, a fresh copy: a conv net's layers,
  a ResNet's depth and width W (None: RESNET_WIDTH), a VGG's plan; the
  model hyperparameters without widths, outputs or initialiser.

  Raises:
    ValueError: 'No such architecture: ...' naming the choices.
  """
  choices.check('architecture', name, NETWORKS[1:])
  return family(name).architecture(name, resnet_width)


def of(hyperparameters):
  """The Family whose models take `hyperparameters` (by its key).

  Raises:
    ValueError: if no family's key is among them.
  """
  for candidate in FAMILIES:
    if candidate.key in hyperparameters:
      return candidate
  raise ValueError('hyperparameters {} are of no network family (keys: '
                   '{})'.format(sorted(hyperparameters),
                                ', '.join(f.key for f in FAMILIES)))
