"""Convolutional networks with masked layers: LeNet-5 and Conv-2/4/6.

The named architectures (foundations/models/architectures.py, which needs no
TensorFlow) are hyperparameters of ModelConv. Layers are named conv0,
conv1, ... and fc0, fc1, ...
"""

from lottery_ticket.foundations.models import architectures
from lottery_ticket.foundations.models import initializers
from lottery_ticket.foundations import model_base

POOL = architectures.POOL


class ModelConv(model_base.ModelBase):
  """Convolutions (and pooling), then fully-connected layers."""

  def __init__(self, hyperparameters, input_placeholder, label_placeholder,
               presets=None, masks=None):
    """Builds the network on the given input and label tensors.

    Args:
      hyperparameters: dict with 'conv_layers': a list whose items are
        (filters, kernel_size, activation) or 'pool' (2x2 max-pooling);
        'fc_layers': a list of (units, activation), the last giving logits;
        optional 'padding' ('SAME'), 'initializer' and 'seed'.
      input_placeholder: [batch, height, width, channels] inputs.
      label_placeholder: integer labels.
      presets, masks: dicts keyed by layer name.
    """
    super(ModelConv, self).__init__(presets=presets, masks=masks)
    self._conv = list(hyperparameters.get('conv_layers', []))
    self._fc = list(hyperparameters.get('fc_layers', []))
    if not self._fc:
      raise ValueError('hyperparameters need a non-empty "fc_layers" list')
    self._padding = hyperparameters.get('padding', 'SAME')
    self._initializer = hyperparameters.get('initializer', 'glorot_normal')
    self._seed = hyperparameters.get('seed')
    if input_placeholder.shape.ndims != 4:
      raise ValueError('ModelConv needs [batch, height, width, channels] inputs, '
                       'got shape {}'.format(input_placeholder.shape))
    self.create_loss_and_accuracy(label_placeholder,
                                  self.apply(input_placeholder))

  def _init(self, index):
    return initializers.kernel_initializer(
        self._initializer, seed=initializers.layer_seed(self._seed, index))

  def forward(self, inputs):
    current = inputs
    conv_index = 0
    for layer in self._conv:
      if layer == POOL:
        current = self.max_pool2d(current)
        continue
      filters, kernel_size, activation = layer
      current = self.conv2d_layer(
          'conv{}'.format(conv_index), current, filters, kernel_size,
          padding=self._padding, activation=activation,
          kernel_initializer=self._init(conv_index))
      conv_index += 1
    current = self.flatten(current)
    for fc_index, (units, activation) in enumerate(self._fc):
      # Layers are seeded by their index in the network, convolutions first.
      current = self.dense_layer(
          'fc{}'.format(fc_index), current, units, activation=activation,
          kernel_initializer=self._init(conv_index + fc_index))
    return current
