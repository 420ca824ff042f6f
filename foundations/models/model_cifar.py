"""CIFAR ResNets and VGGs with masked layers and batch norm.

The architectures of OpenLTH (facebookresearch/open_lth models/cifar_resnet.py
and models/cifar_vgg.py), built from ModelBase's masked layers, so they
prune, pack and train as every other network here; their parameter counts
equal OpenLTH's, batch norms' scales and shifts included (ResNet-20 272,474;
ResNet-110 1,730,714; VGG-16 14,728,266; VGG-19 20,040,522).

ResNet-N (N = 6D + 2) of width W: a 3x3 convolution to W channels, three
segments of D blocks with W, 2W and 4W channels, global average pooling and
a dense output layer. A block is conv-bn-relu-conv-bn plus a shortcut, then
relu; the first block of the second and third segments halves the
resolution with its first convolution (stride 2) and its shortcut is a 1x1
stride-2 convolution with batch norm (OpenLTH's projection shortcut). Every
convolution is 3x3 with padding 1 (PyTorch's alignment) and no bias.

VGG-11/13/16/19: 3x3 convolutions (with bias) each followed by batch norm
and relu, 2x2 max-pooling between stages, global average pooling and a
dense 512 -> 10 output layer.

Layer names (the keys of masks and presets): ResNet: conv0, then per block
b block{b}_conv1, block{b}_conv2 and, where the shape changes,
block{b}_shortcut; batch norms bn0, block{b}_bn1, block{b}_bn2,
block{b}_shortcut_bn; the output layer fc. VGG: conv0, conv1, ... with batch
norms bn0, bn1, ...; the output layer fc.

Initialisation follows OpenLTH's defaults (model_init='kaiming_normal',
batchnorm_init='uniform'): kernels from an untruncated normal of variance
2 / fan_in, batch-norm scales uniform in [0, 1), shifts zero. Departures: the
biases (VGG's convolutions and both output layers) start at zero, not at
PyTorch's default uniform draw; and VGG pools globally where OpenLTH pools
2x2 (the same for 32x32 inputs, which end at 2x2), so other image sizes fit.

The facts the configuration needs without TensorFlow (names, VGG plans,
ResNet blocks, layer names) live in foundations/models/architectures.py.
"""

import tensorflow.compat.v1 as tf

from lottery_ticket.foundations.models import architectures
from lottery_ticket.foundations import choices
from lottery_ticket.foundations.models import initializers
from lottery_ticket.foundations import model_base

POOL = architectures.CIFAR_POOL
# Batch-norm scale initialisations (OpenLTH models/bn_initializers.py).
BATCH_NORM_INITS = ('uniform', 'fixed')


class _CifarModel(model_base.ModelBase):
  """What ResNets and VGGs share: construction, initialisers, output layer.

  A subclass reads its architecture's hyperparameters in
  `_configure(hyperparameters)` and builds its layers in `_forward(inputs)`.
  """

  def __init__(self, hyperparameters, input_placeholder, label_placeholder,
               presets=None, masks=None):
    """Builds the network on the given input and label tensors.

    Args:
      hyperparameters: the architecture's keys (see the subclass) and
        optional 'outputs' (10), 'initializer' (a name of
        initializers.NAMES; default 'kaiming_normal'), 'batchnorm_init' ('uniform' or 'fixed':
        scales of one) and 'seed'.
      input_placeholder: [batch, height, width, channels] inputs.
      label_placeholder: integer labels.
      presets, masks: dicts keyed by layer name (and `<bn>_gamma` etc.).

    Raises:
      ValueError: for inputs that are not images or bad hyperparameters.
    """
    super(_CifarModel, self).__init__(presets=presets, masks=masks)
    self._outputs = int(hyperparameters.get('outputs', 10))
    self._initializer = hyperparameters.get('initializer',
                                            architectures.CIFAR_INITIALIZER)
    self._batchnorm_init = choices.check(
        'batchnorm_init', hyperparameters.get('batchnorm_init', 'uniform'),
        BATCH_NORM_INITS)
    self._seed = hyperparameters.get('seed')
    self._configure(hyperparameters)
    if input_placeholder.shape.ndims != 4:
      raise ValueError('{} needs [batch, height, width, channels] inputs, got '
                       'shape {}'.format(type(self).__name__,
                                         input_placeholder.shape))
    self.create_loss_and_accuracy(label_placeholder,
                                  self.apply(input_placeholder))

  def _next_seed(self):
    """A per-layer seed (None when the model is unseeded)."""
    self._index += 1
    return initializers.layer_seed(self._seed, self._index)

  def conv(self, name, inputs, filters, size=3, strides=1, use_bias=False):
    """A masked convolution with OpenLTH's padding (size // 2 each side)."""
    return self.conv2d_layer(
        name, inputs, filters, size, strides=strides, padding=size // 2,
        use_bias=use_bias,
        kernel_initializer=initializers.kernel_initializer(
            self._initializer, self._next_seed()))

  def bn(self, name, inputs):
    """Batch norm with the model's scale initialisation."""
    if self._batchnorm_init == 'uniform':
      gamma = tf.random_uniform_initializer(0.0, 1.0, seed=self._next_seed())
    else:
      gamma = tf.ones_initializer()
    return self.batch_norm(name, inputs, gamma_initializer=gamma)

  def output_layer(self, inputs):
    return self.dense_layer(
        'fc', self.global_average_pool(inputs), self._outputs,
        kernel_initializer=initializers.kernel_initializer(
            self._initializer, self._next_seed()))

  def forward(self, inputs):
    self._index = 0  # every application draws the same per-layer seeds
    return self._forward(inputs)


class ModelResNet(_CifarModel):
  """A CIFAR ResNet (He et al. 2016; OpenLTH models/cifar_resnet.py).

  Hyperparameters: 'resnet_depth' N = 6D + 2 (20, 56, 110, ...) and
  'resnet_width' W (16), besides _CifarModel's.
  """

  def _configure(self, hyperparameters):
    self._blocks = architectures.resnet_blocks(
        hyperparameters['resnet_depth'],
        hyperparameters.get('resnet_width', architectures.RESNET_WIDTH))

  def _forward(self, inputs):
    current = tf.nn.relu(self.bn('bn0', self.conv('conv0', inputs,
                                                  self._blocks[0][1])))
    for name, filters, downsample in self._blocks:
      current = self._block(name, current, filters, downsample)
    return self.output_layer(current)

  def _block(self, name, inputs, filters, downsample):
    """conv-bn-relu-conv-bn plus the shortcut, then relu; a block that
    downsamples has a 1x1 stride-2 projection shortcut with batch norm (the
    only blocks whose channel count changes)."""
    strides = 2 if downsample else 1
    out = tf.nn.relu(self.bn(name + '_bn1', self.conv(
        name + '_conv1', inputs, filters, strides=strides)))
    out = self.bn(name + '_bn2', self.conv(name + '_conv2', out, filters))
    if downsample:
      shortcut = self.bn(name + '_shortcut_bn', self.conv(
          name + '_shortcut', inputs, filters, size=1, strides=2))
    else:
      shortcut = inputs
    return tf.nn.relu(out + shortcut)


class ModelVGG(_CifarModel):
  """A CIFAR VGG (OpenLTH models/cifar_vgg.py).

  Hyperparameters: 'vgg_plan', a list of channel counts and 'M' (2x2
  max-pooling), e.g. architectures.VGG_PLANS[16], besides _CifarModel's.
  """

  def _configure(self, hyperparameters):
    self._plan = architectures.check_vgg_plan(hyperparameters['vgg_plan'])

  def _forward(self, inputs):
    current = inputs
    index = 0
    for item in self._plan:
      if item == POOL:
        current = self.max_pool2d(current)
        continue
      current = self.conv('conv{}'.format(index), current, item,
                          use_bias=True)
      current = tf.nn.relu(self.bn('bn{}'.format(index), current))
      index += 1
    return self.output_layer(current)
