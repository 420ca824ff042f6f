"""N networks of one architecture as one model: every tensor gains a network axis.

A pack of N networks keeps, for each layer, one kernel variable of shape
[N, ...kernel shape], one mask of that shape and one bias [N, units]. The
activations of the pack fold the network axis into the batch: network i's
batch occupies rows [i * B, (i + 1) * B) of a [N * B, ...] tensor. Folding
lets the architectures' own `forward` (model_fc, model_conv) run unchanged
on a pack, since pooling and flattening act per example; only the layers
are replaced:

  - a dense layer is one batched matrix product, [N, B, in] x [N, in, out];
  - a convolution is one conv2d per network (TensorFlow's grouped
    convolution is as fast but sums its gradients in another order, which
    would break bit-identity with a network trained alone).

Same science: each network's numbers are those of the same network trained
alone, bit for bit. A batched product of one network's slice equals the
plain product; what does not is a bias gradient summed over the whole
[N, B, units] tensor at once, so the bias gradient is reduced per network
(`_add_bias`). Variables carry the names an unpacked model gives them
(model/layer0_w, ...), so optimizer slots and checkpoints match too.

A pack may also be applied one network at a time (`network=i`): the exact
single-network computation on a slice of the variables, used to evaluate
every network on shared evaluation data without copying it N times.
"""

import numpy as np
import tensorflow.compat.v1 as tf

from lottery_ticket.foundations import choices
from lottery_ticket.foundations import model_base
from lottery_ticket.foundations import model_conv
from lottery_ticket.foundations import model_fc


@tf.custom_gradient
def _add_bias(outputs, biases):
  """outputs [N, B, units] + biases [N, units], with per-network bias gradients.

  The gradient of a bias is its output gradient summed over the batch. Summed
  over one network's [B, units] slice it is bit-identical to the unpacked
  network's; summed over axis 1 of the whole [N, B, units] tensor TensorFlow
  takes another order and differs in the last bits.
  """
  def grad(upstream):
    per_network = [tf.reduce_sum(g, axis=0) for g in tf.unstack(upstream)]
    return upstream, tf.stack(per_network)
  return outputs + tf.expand_dims(biases, 1), grad


class PackedLayers(object):
  """Replaces ModelBase's layers by packed ones; mixed into a model class.

  Attributes:
    num_networks: N, the size of the pack.
  """

  def __init__(self, num_networks, *args, **kwargs):
    self.batched = kwargs.pop('batched', False)
    self.num_networks = int(num_networks)
    if self.num_networks < 1:
      raise ValueError('a pack needs at least one network, got {}'.format(
          num_networks))
    self._network = None
    self._pieces = {}
    super(PackedLayers, self).__init__(*args, **kwargs)

  def apply(self, inputs, substitutes=None, network=None):
    """Runs the architecture on a pack, or on one network of it.

    Args:
      inputs: [N * B, ...] inputs, network i's batch in rows [i*B, (i+1)*B);
        or with `network`, a [B, ...] batch for that network alone.
      substitutes: see ModelBase.apply (tensors of the packed shapes).
      network: None (the whole pack) or the index of one network.

    Returns:
      The logits: [N * B, classes] for the pack, [B, classes] for one network.
    """
    self._network = network
    try:
      return super(PackedLayers, self).apply(inputs, substitutes)
    finally:
      self._network = None

  def fold(self, pieces):
    """N per-network tensors as one folded tensor (network i's rows i-th).

    The folded tensor remembers its pieces: a layer given it computes on the
    pieces directly, so a concatenation that only feeds layers is never run
    (TensorFlow runs only what a fetch needs) and no split undoes it.
    """
    folded = tf.concat(pieces, axis=0)
    self._pieces[folded.name] = list(pieces)
    return folded

  def unfold(self, folded):
    """The N per-network tensors of a folded one."""
    pieces = self._pieces.get(folded.name)
    return list(pieces) if pieces else tf.split(folded, self.num_networks)

  def create_loss_and_accuracy(self, label_placeholder, output_logits):
    """Only keeps the logits: a pack's losses are per network (the trainer's)."""
    del label_placeholder
    self.logits = output_logits

  # Variables ----------------------------------------------------------------

  def _masked_kernel(self, name, shape, kernel_initializer):
    """The effective kernels of layer `name`: [N, ...], or network i's."""
    del kernel_initializer  # initial values are loaded (see packed_trainer)
    if name not in self._kernels:
      packed = [self.num_networks] + [int(d) for d in shape]
      self._kernels[name] = tf.get_variable(
          name + '_w', shape=packed, initializer=tf.zeros_initializer(),
          use_resource=True)
      self._mask_vars[name] = tf.get_variable(
          name + '_m', shape=packed, trainable=False,
          initializer=tf.ones_initializer(), use_resource=True)
      self._layer_order.append(name)
      self._weights[name] = self._kernels[name] * self._mask_vars[name]
    kernel = self._current(self._kernels[name])
    mask = self._current(self._mask_vars[name])
    if self._network is not None:
      return kernel[self._network] * mask[self._network]
    return kernel * mask

  def _bias(self, name, units):
    """The biases of layer `name`: [N, units], or network i's [units]."""
    if name not in self._biases:
      self._biases[name] = tf.get_variable(
          name + '_b', shape=[self.num_networks, int(units)],
          initializer=tf.zeros_initializer(), use_resource=True)
    bias = self._current(self._biases[name])
    return bias if self._network is None else bias[self._network]

  # Layers -------------------------------------------------------------------

  def dense_layer(self, name, inputs, units, activation=None, use_bias=True,
                  kernel_initializer=None):
    """A masked fully-connected layer of every network (see ModelBase)."""
    kernel = self._masked_kernel(name, [inputs.shape[-1], units],
                                 kernel_initializer)
    if self._network is not None:
      output = tf.matmul(inputs, kernel)
      if use_bias:
        output = output + self._bias(name, units)
    elif self.batched:
      batched = tf.reshape(inputs, [self.num_networks, -1, int(inputs.shape[-1])])
      output = tf.matmul(batched, kernel)
      if use_bias:
        output = _add_bias(output, self._bias(name, units))
      output = tf.reshape(output, [-1, int(units)])
    else:
      biases = (tf.unstack(self._bias(name, units)) if use_bias
                else [None] * self.num_networks)
      act = model_base.activation_fn(activation)
      pieces = []
      for x, k, b in zip(self.unfold(inputs), tf.unstack(kernel), biases):
        piece = tf.matmul(x, k)
        piece = piece + b if use_bias else piece
        pieces.append(act(piece) if act else piece)
      return self.fold(pieces)
    act = model_base.activation_fn(activation)
    return act(output) if act else output

  def conv2d_layer(self, name, inputs, filters, kernel_size, strides=(1, 1),
                   padding='SAME', activation=None, use_bias=True,
                   kernel_initializer=None):
    """A masked 2-D convolution of every network (see ModelBase)."""
    kh, kw = model_base._pair(kernel_size)  # pylint: disable=protected-access
    sh, sw = model_base._pair(strides)  # pylint: disable=protected-access
    padding = choices.check('padding', padding.upper(), ('SAME', 'VALID'))
    kernel = self._masked_kernel(name, [kh, kw, inputs.shape[-1], filters],
                                 kernel_initializer)
    bias = self._bias(name, filters) if use_bias else None

    act = model_base.activation_fn(activation)

    def convolve(images, kernel, bias):
      output = tf.nn.conv2d(images, kernel, strides=[1, sh, sw, 1],
                            padding=padding)
      output = output + bias if use_bias else output
      return act(output) if act else output

    if self._network is not None:
      return convolve(inputs, kernel, bias)
    biases = tf.unstack(bias) if use_bias else [None] * self.num_networks
    return self.fold([convolve(images, k, b) for images, k, b in zip(
        self.unfold(inputs), tf.unstack(kernel), biases)])

  # Values -------------------------------------------------------------------

  def split_current_weights(self, sess):
    """Each network's effective kernels and biases, as trainer.train gives them.

    Returns:
      A list of N dicts: layer -> kernel * mask, `<layer>_bias` -> bias.
    """
    return split(sess.run(self.parameters()), self.num_networks)

  def split_current_masks(self, sess):
    """Each network's masks: a list of N dicts layer -> mask."""
    return split(sess.run(self.masks), self.num_networks)


def split(packed, num_networks):
  """A dict of [N, ...] arrays as N dicts of that network's arrays."""
  return [{name: np.asarray(value[i]) for name, value in packed.items()}
          for i in range(num_networks)]


def stack(per_network):
  """N dicts of arrays (same keys and shapes) as one dict of [N, ...] arrays."""
  names = sorted(per_network[0])
  for index, values in enumerate(per_network):
    if sorted(values) != names:
      raise ValueError('network {} has tensors {}, network 0 has {}'.format(
          index, sorted(values), names))
  return {name: np.stack([values[name] for values in per_network])
          for name in names}


class PackedFc(PackedLayers, model_fc.ModelFc):
  """N multilayer perceptrons (see ModelFc) as one packed model."""


class PackedConv(PackedLayers, model_conv.ModelConv):
  """N convolutional networks (see ModelConv) as one packed model."""


PACKED = {model_fc.ModelFc: PackedFc, model_conv.ModelConv: PackedConv}


def model_class(hyperparameters):
  """The unpacked model class that takes `hyperparameters`."""
  return (model_conv.ModelConv if 'conv_layers' in hyperparameters
          else model_fc.ModelFc)


def packed_class(unpacked):
  """The packed counterpart of ModelFc or ModelConv.

  Raises:
    ValueError: for a model class with no packed counterpart.
  """
  if unpacked not in PACKED:
    raise ValueError('No packed version of {} (packed: {})'.format(
        getattr(unpacked, '__name__', unpacked),
        ', '.join(sorted(c.__name__ for c in PACKED))))
  return PACKED[unpacked]


class NetworkView(object):
  """One network of a pack, with the `apply` of an unpacked model.

  evaluation.split_metrics takes any object with `apply(inputs,
  substitutes)`; a view lets it evaluate network i of a pack on a whole
  split, computing exactly what the unpacked network would.
  """

  def __init__(self, packed, index):
    self.packed = packed
    self.index = int(index)

  def apply(self, inputs, substitutes=None):
    return self.packed.apply(inputs, substitutes, network=self.index)
