"""Fully-connected networks (LeNet-300-100 and any MLP) with masked layers."""

from lottery_ticket.foundations.models import initializers
from lottery_ticket.foundations import model_base


class ModelFc(model_base.ModelBase):
  """A multilayer perceptron.

  Layers are named layer0, layer1, ... in order; the last one gives logits.
  """

  def __init__(self, hyperparameters, input_placeholder, label_placeholder,
               presets=None, masks=None):
    """Builds the network on the given input and label tensors.

    Args:
      hyperparameters: dict with 'layers': a list of (units, activation), the
        last being the output layer (activation None); optionally
        'initializer': a name known to `initializers.kernel_initializer`
        (default 'glorot_normal') and 'seed' for it.
      input_placeholder: a [batch, ...] tensor (flattened if not 2-D).
      label_placeholder: integer labels.
      presets: dict layer name -> initial kernel values (and `<layer>_bias`).
      masks: dict layer name -> 0/1 mask.
    """
    super(ModelFc, self).__init__(presets=presets, masks=masks)
    layers = hyperparameters.get('layers')
    if not layers:
      raise ValueError('hyperparameters need a non-empty "layers" list, '
                       'got {!r}'.format(layers))
    self._layers = [(int(units), activation) for units, activation in layers]
    self._initializer = hyperparameters.get('initializer', 'glorot_normal')
    self._seed = hyperparameters.get('seed')
    self.create_loss_and_accuracy(label_placeholder,
                                  self.apply(input_placeholder))

  def forward(self, inputs):
    current = self.flatten(inputs)
    for index, (units, activation) in enumerate(self._layers):
      current = self.dense_layer(
          'layer{}'.format(index), current, units, activation=activation,
          kernel_initializer=initializers.kernel_initializer(
              self._initializer,
              seed=initializers.layer_seed(self._seed, index)))
    return current
