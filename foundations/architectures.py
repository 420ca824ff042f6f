"""The conv nets by name: their layers, as plain data (no TensorFlow).

Conv-2/4/6 are the VGG-like CIFAR-10 networks of the lottery ticket paper
(3x3 convolutions, 2x2 max-pooling after each pair, then 256-256-10 fully
connected); LeNet-5 is 6 and 16 5x5 filters with pooling, then 120-84-10.
The configuration reads the names and widths from here without importing
TensorFlow; model_conv.ModelConv builds a network from such a spec.

The CIFAR ResNets and VGGs (below: names, VGG plans, ResNet blocks, layer
names, the layers OpenLTH leaves unpruned) are built by model_cifar.
"""

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


def architecture(name):
  """Hyperparameters of a named architecture (a fresh copy).

  Raises:
    ValueError: for a name that is not one of NAMES.
  """
  choices.check('architecture', name, NAMES)
  spec = ARCHITECTURES[name]
  return {'conv_layers': list(spec['conv_layers']),
          'fc_layers': list(spec['fc_layers'])}



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
CIFAR_ARCHITECTURES = dict(
    [('resnet{}'.format(depth), {'resnet_depth': depth,
                                 'resnet_width': RESNET_WIDTH})
     for depth in RESNET_DEPTHS] +
    [('vgg{}'.format(depth), {'vgg_plan': plan})
     for depth, plan in sorted(VGG_PLANS.items())])
CIFAR_NAMES = tuple(CIFAR_ARCHITECTURES)
# OpenLTH's model_init for both families: PyTorch's kaiming_normal_ (an
# untruncated normal of variance 2 / fan_in; initializers.py).
CIFAR_INITIALIZER = 'kaiming_normal'
# The name of the dense output layer of both families.
CIFAR_OUTPUT = 'fc'


def cifar_architecture(name, resnet_width=None):
  """Hyperparameters of a named CIFAR net (a fresh copy).

  Args:
    name: one of CIFAR_NAMES.
    resnet_width: a ResNet's W (None: RESNET_WIDTH); ignored for a VGG.

  Raises:
    ValueError: for a name that is not one of CIFAR_NAMES.
  """
  choices.check('CIFAR network', name, CIFAR_NAMES)
  spec = {key: list(value) if isinstance(value, list) else value
          for key, value in CIFAR_ARCHITECTURES[name].items()}
  if 'resnet_depth' in spec and resnet_width is not None:
    spec['resnet_width'] = int(resnet_width)
  return spec


def is_resnet(name):
  """Whether the network `name` is one of the CIFAR ResNets (whose
  shortcuts go around layers)."""
  return 'resnet_depth' in CIFAR_ARCHITECTURES.get(name, {})


RESNET_NAMES = tuple(n for n in CIFAR_NAMES if is_resnet(n))


def is_cifar(hyperparameters):
  """Whether `hyperparameters` are a ResNet's or a VGG's."""
  return 'resnet_depth' in hyperparameters or 'vgg_plan' in hyperparameters


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


def cifar_layer_names(hyperparameters):
  """The prunable layers (kernels) of a CIFAR net, in the model's order.

  ResNet: conv0, then per block b block{b}_conv1, block{b}_conv2 and, where
  the shape changes, block{b}_shortcut; VGG: conv0, conv1, ...; both end
  with the output layer fc. Batch norms are not layers: never pruned.
  """
  if 'resnet_depth' in hyperparameters:
    names = ['conv0']
    for block, _, downsample in resnet_blocks(
        hyperparameters['resnet_depth'],
        hyperparameters.get('resnet_width', RESNET_WIDTH)):
      names += [block + '_conv1', block + '_conv2']
      if downsample:
        names.append(block + '_shortcut')
  else:
    convs = [i for i in check_vgg_plan(hyperparameters['vgg_plan'])
             if i != CIFAR_POOL]
    names = ['conv{}'.format(i) for i in range(len(convs))]
  return names + [CIFAR_OUTPUT]


def cifar_ignored_layers(name):
  """The layers OpenLTH keeps out of pruning for a named CIFAR net
  (pruning_layers_to_ignore): 'fc' for the VGGs (models/cifar_vgg.py), none
  for the ResNets (models/cifar_resnet.py prunes its output layer in the
  global ranking)."""
  choices.check('CIFAR network', name, CIFAR_NAMES)
  return (CIFAR_OUTPUT,) if name.startswith('vgg') else ()
