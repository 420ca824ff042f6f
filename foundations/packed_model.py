"""N networks of one architecture as one model, each computed as if alone.

A pack of N networks is one model in one graph whose every layer holds N
kernels, masks and biases: network i's variables are the unpacked model's,
under `network{i}/` (network3/model/layer0_w, network3/model/layer0_m,
network3/model/layer0_b), so that prefix maps each of them, and later its
optimizer slots, to the name an unpacked run gives it.

Activations fold the network axis into the batch: network i's batch is rows
[i * B, (i + 1) * B) of a [N * B, ...] tensor. Folding lets the
architectures' own `forward` (model_fc, model_conv) run unchanged on a
pack, since pooling and flattening act per example; only the layers are
replaced. A layer computes each network's product with that network's
kernel by the op an unpacked layer uses (MatMul, Conv2D) and passes the N
results on to the next layer without concatenating them (`fold`).

Why per-network ops and variables rather than one batched product per layer
on [N, ...] variables: measured on TensorFlow 2.21's CPU kernels,

  - a batched product ([N, B, in] x [N, in, out]), a grouped convolution and
    a bias gradient summed over [N, B, units] agree with the per-network ops
    for some shapes and differ in the last bits for others; the unpacked ops
    make a packed network bit-identical to the network trained alone;
  - stacked [N, ...] variables need one optimizer update, one mask product
    and one gradient stack per layer for all networks at once: large
    element-wise ops that run on one thread and wait for every network's
    gradient. Per-network variables let the N networks' steps proceed side
    by side on the cores: 1.65x the aggregate rate at N = 8 (2 cores).

A pack may also be applied one network at a time (`network=i`): the exact
unpacked computation, which evaluates each network on the evaluation data
held once, without copying it N times.
"""

import tensorflow.compat.v1 as tf

from lottery_ticket.foundations import choices
from lottery_ticket.foundations import model_base
from lottery_ticket.foundations import model_conv
from lottery_ticket.foundations import model_fc


def prefix(index):
  """The name prefix of network `index`'s variables: 'network3/'."""
  return 'network{}/'.format(int(index))


def unpacked_name(name, index):
  """The name an unpacked run gives network `index`'s variable `name`.

  Raises:
    ValueError: if `name` is not a variable of that network.
  """
  if not name.startswith(prefix(index)):
    raise ValueError('{} is not a variable of network {}'.format(name, index))
  return name[len(prefix(index)):]


class PackedLayers(object):
  """Replaces ModelBase's layers by packed ones; mixed into a model class.

  Constructed as the model class it is mixed into, with the pack's size
  first: PackedFc(num_networks, hyperparameters, inputs, labels). The
  ModelBase dictionaries (kernels, masks, biases) hold lists of N variables,
  one per network.

  Attributes:
    num_networks: N, the size of the pack.
  """

  def __init__(self, num_networks, *args, **kwargs):
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
      inputs: [N * B, ...] inputs, network i's batch in rows [i*B, (i+1)*B)
        (ideally made by `fold`); or with `network`, that network's batch.
      substitutes: see ModelBase.apply.
      network: None (the whole pack) or the index of one network.

    Returns:
      The logits: [N * B, classes] (made by `fold`) for the pack, [B,
      classes] for one network.
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

  def _variable(self, index, name, shape, initializer, trainable=True):
    """Network `index`'s variable `name`: network{index}/model/{name}."""
    scope = tf.VariableScope(tf.AUTO_REUSE,
                             name=prefix(index) + (self._scope.name
                                                   if self._scope else 'model'))
    with tf.variable_scope(scope, auxiliary_name_scope=False):
      return tf.get_variable(name, shape=[int(d) for d in shape],
                             initializer=initializer, trainable=trainable,
                             use_resource=True)

  def _per_network(self, tensors):
    """One network's tensor (applying to one network) or all N of them."""
    if self._network is not None:
      return tensors[self._network]
    return tensors

  def _masked_kernel(self, name, shape, kernel_initializer):
    """The effective kernels (kernel * mask) of layer `name`, per network."""
    del kernel_initializer  # initial values are loaded (see packed_trainer)
    if name not in self._kernels:
      self._kernels[name] = [
          self._variable(i, name + '_w', shape, tf.zeros_initializer())
          for i in range(self.num_networks)]
      self._mask_vars[name] = [
          self._variable(i, name + '_m', shape, tf.ones_initializer(),
                         trainable=False) for i in range(self.num_networks)]
      self._layer_order.append(name)
      self._weights[name] = [k * m for k, m in zip(self._kernels[name],
                                                   self._mask_vars[name])]
    # Fresh products in the caller's context (inside the training loop they
    # read the variables' current values), as ModelBase does.
    return self._per_network([
        self._current(k) * self._current(m)
        for k, m in zip(self._kernels[name], self._mask_vars[name])])

  def _bias(self, name, units):
    """The biases of layer `name`, per network."""
    if name not in self._biases:
      self._biases[name] = [
          self._variable(i, name + '_b', [units], tf.zeros_initializer())
          for i in range(self.num_networks)]
    return self._per_network([self._current(b) for b in self._biases[name]])

  # Layers -------------------------------------------------------------------

  def dense_layer(self, name, inputs, units, activation=None, use_bias=True,
                  kernel_initializer=None):
    """A masked fully-connected layer of every network (see ModelBase)."""
    kernels = self._masked_kernel(name, [inputs.shape[-1], units],
                                  kernel_initializer)
    biases = self._bias(name, units) if use_bias else None
    act = model_base.activation_fn(activation)

    def dense(x, kernel, bias):
      output = tf.matmul(x, kernel)
      output = output + bias if use_bias else output
      return act(output) if act else output

    if self._network is not None:
      return dense(inputs, kernels, biases)
    return self.fold([dense(x, k, b) for x, k, b in zip(
        self.unfold(inputs), kernels, biases or [None] * self.num_networks)])

  def conv2d_layer(self, name, inputs, filters, kernel_size, strides=(1, 1),
                   padding='SAME', activation=None, use_bias=True,
                   kernel_initializer=None):
    """A masked 2-D convolution of every network (see ModelBase)."""
    kh, kw = model_base._pair(kernel_size)  # pylint: disable=protected-access
    sh, sw = model_base._pair(strides)  # pylint: disable=protected-access
    padding = choices.check('padding', padding.upper(), ('SAME', 'VALID'))
    kernels = self._masked_kernel(name, [kh, kw, inputs.shape[-1], filters],
                                  kernel_initializer)
    biases = self._bias(name, filters) if use_bias else None
    act = model_base.activation_fn(activation)

    def convolve(images, kernel, bias):
      output = tf.nn.conv2d(images, kernel, strides=[1, sh, sw, 1],
                            padding=padding)
      output = output + bias if use_bias else output
      return act(output) if act else output

    if self._network is not None:
      return convolve(inputs, kernels, biases)
    return self.fold([convolve(x, k, b) for x, k, b in zip(
        self.unfold(inputs), kernels, biases or [None] * self.num_networks)])

  # Per network --------------------------------------------------------------

  @property
  def trainable_variables(self):
    """Every network's trainable variables, network by network."""
    return [v for i in range(self.num_networks)
            for v in self.network_variables(i)]

  def network_variables(self, index):
    """Network `index`'s trainable variables, in the unpacked model's order."""
    out = []
    for name in self._layer_order:
      out.append(self._kernels[name][index])
      if name in self._biases:
        out.append(self._biases[name][index])
    return out

  def network_kernels(self, index):
    """dict layer -> network `index`'s kernel variable."""
    return {name: k[index] for name, k in self._kernels.items()}

  def network_masks(self, index):
    """dict layer -> network `index`'s mask variable."""
    return {name: m[index] for name, m in self._mask_vars.items()}

  def network_parameters(self, index):
    """dict name -> network `index`'s effective kernel or bias tensor."""
    out = {name: w[index] for name, w in self._weights.items()}
    out.update({model_base.bias_name(name): b[index]
                for name, b in self._biases.items()})
    return out

  def split_current_weights(self, sess):
    """Each network's effective kernels and biases, as trainer.train gives them.

    Returns:
      A list of N dicts: layer -> kernel * mask, `<layer>_bias` -> bias.
    """
    return sess.run([self.network_parameters(i)
                     for i in range(self.num_networks)])

  def split_current_masks(self, sess):
    """Each network's masks: a list of N dicts layer -> mask."""
    return sess.run([self.network_masks(i) for i in range(self.num_networks)])


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
