"""N networks of one architecture as one model: every variable gains a network axis.

A pack of N networks keeps, for each layer, one kernel variable of shape
[N, ...kernel shape], one mask of that shape and one bias [N, units], under
the names an unpacked model gives them (model/layer0_w, ...), so one
optimizer keeps slots of the same shapes and names, and each network's
slice can be checkpointed as an unpacked network's.

Activations fold the network axis into the batch: network i's batch is rows
[i * B, (i + 1) * B) of a [N * B, ...] tensor. Folding lets the
architectures' own `forward` (model_fc, model_conv) run unchanged on a
pack, since pooling and flattening act per example; only the layers are
replaced. A layer computes each network's product with that network's
kernel slice by the op an unpacked layer uses (MatMul, Conv2D), in one
graph and one step, and passes the N results to the next layer without
concatenating them (`fold`).

Why not one batched product ([N, B, in] x [N, in, out]) or one grouped
convolution: measured on TensorFlow 2.21's CPU kernels, they agree with the
per-network ops for some shapes and not for others (different summation
orders, in the last bits), and so does a bias gradient summed over the
whole [N, B, units] tensor. With the unpacked ops a packed network is
bit-identical to the network trained alone, for every shape; and the N
independent products spread over the cores (inter-op parallelism), which
measured no slower than one batched product per layer.

`batched_products=True` computes a dense layer as one batched product of
[N, B, in] and [N, in, out] instead: fewer, larger ops, which is what a GPU
wants (one kernel launch per layer, not N), equal to the unpacked network
within float32 round-off. Convolutions stay one per network.

A pack may also be applied one network at a time (`network=i`): the exact
unpacked computation on a slice of the variables, which evaluates each
network on the evaluation data held once, without copying it N times.
"""

import numpy as np
import tensorflow.compat.v1 as tf

from lottery_ticket.foundations import choices
from lottery_ticket.foundations import model_base
from lottery_ticket.foundations import model_conv
from lottery_ticket.foundations import model_fc


class PackedLayers(object):
  """Replaces ModelBase's layers by packed ones; mixed into a model class.

  Constructed as the model class it is mixed into, with the pack's size
  first: PackedFc(num_networks, hyperparameters, inputs, labels), and
  optionally batched_products=True (see the module's docstring).

  Attributes:
    num_networks: N, the size of the pack.
    batched_products: whether dense layers use one batched product.
  """

  def __init__(self, num_networks, *args, **kwargs):
    self.batched_products = bool(kwargs.pop('batched_products', False))
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
    act = model_base.activation_fn(activation)
    if self._network is not None or self.batched_products:
      if self._network is None:  # one product of [N, B, in] and [N, in, out]
        inputs = tf.reshape(inputs, [self.num_networks, -1,
                                     int(inputs.shape[-1])])
      output = tf.matmul(inputs, kernel)
      if use_bias:
        bias = self._bias(name, units)
        output += bias if self._network is not None else bias[:, None, :]
      output = act(output) if act else output
      return (output if self._network is not None
              else tf.reshape(output, [-1, int(units)]))
    biases = (tf.unstack(self._bias(name, units)) if use_bias
              else [None] * self.num_networks)
    pieces = []
    for x, k, b in zip(self.unfold(inputs), tf.unstack(kernel), biases):
      piece = tf.matmul(x, k)
      piece = piece + b if use_bias else piece
      pieces.append(act(piece) if act else piece)
    return self.fold(pieces)

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
