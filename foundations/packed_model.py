"""N networks of one architecture as one model, each computed as if alone.

A pack of N networks is one model in one graph whose every layer holds N
kernels, masks and biases: network i's variables are the unpacked model's,
under `network{i}/` (network3/model/layer0_w, network3/model/layer0_m,
network3/model/layer0_b), so that prefix maps each of them, and later its
optimizer's slots, to the name an unpacked run gives it.

A pack is applied one network at a time (`apply(inputs, network=i)`), and
that application is the unpacked computation itself: the model's own
`forward` and ModelBase's layers run unchanged; only the variables they find
are network i's. So any ModelBase subclass packs (`packed_class`): ModelFc,
ModelConv, or a model a user writes from ModelBase's masked layers. So a packed network's numbers are
bit-identical to the same network trained alone, and the trainer builds the
N networks' steps side by side in one loop (packed_trainer.py).

Why not one batched product per layer on [N, ...] variables: measured on
TensorFlow 2.21's CPU kernels,

  - a batched product ([N, B, in] x [N, in, out]), a grouped convolution and
    a bias gradient summed over [N, B, units] agree with the per-network ops
    for some shapes and differ in the last bits for others;
  - stacked [N, ...] variables need one optimizer update, one mask product
    and one gradient stack per layer for all networks at once: large
    element-wise ops that run on one thread and wait for every network's
    gradient. With per-network variables the networks' steps proceed side
    by side on the cores (1.65x the aggregate rate at N = 8 on 2 cores,
    when the second core was free).
"""

import tensorflow.compat.v1 as tf

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
  """Gives ModelBase's layers N networks' variables; mixed into a model class.

  Constructed as the model class it is mixed into, with the pack's size
  first: packed_class(ModelFc)(num_networks, hyperparameters, inputs,
  labels). The ModelBase dictionaries (kernels, masks, biases) hold lists of
  N variables, one per network; the network{i} accessors give one network's.

  Attributes:
    num_networks: N, the size of the pack.
  """

  def __init__(self, num_networks, *args, **kwargs):
    self.num_networks = int(num_networks)
    if self.num_networks < 1:
      raise ValueError('a pack needs at least one network, got {}'.format(
          num_networks))
    self._network = None
    super(PackedLayers, self).__init__(*args, **kwargs)

  def apply(self, inputs, substitutes=None, network=None):
    """Runs network `network` on `inputs`, or every network on them.

    Args:
      inputs: a batch of inputs.
      substitutes: see ModelBase.apply.
      network: the index of one network; None runs each network on the same
        inputs (which creates every variable) and concatenates the logits.

    Returns:
      [B, classes] logits of that network, or [N * B, classes].
    """
    if network is None:
      return tf.concat([self.apply(inputs, substitutes, index)
                        for index in range(self.num_networks)], axis=0)
    if not 0 <= network < self.num_networks:
      raise ValueError('network {} of a pack of {}'.format(
          network, self.num_networks))
    self._network = network
    try:
      return super(PackedLayers, self).apply(inputs, substitutes)
    finally:
      self._network = None

  def create_loss_and_accuracy(self, label_placeholder, output_logits):
    """Only keeps the logits: a pack's losses are per network (the trainer's)."""
    del label_placeholder
    self.logits = output_logits

  def _variable(self, index, name, shape, initializer, trainable=True):
    """Network `index`'s variable `name`: network{index}/model/{name}."""
    scope = tf.VariableScope(tf.AUTO_REUSE,
                             name=prefix(index) + self._scope.name)
    with tf.variable_scope(scope, auxiliary_name_scope=False):
      return tf.get_variable(name, shape=[int(d) for d in shape],
                             initializer=initializer, trainable=trainable,
                             use_resource=True)

  def _masked_kernel(self, name, shape, kernel_initializer):
    """Network i's effective kernel (kernel * mask) of layer `name`.

    The first call creates the kernels and masks of every network (zeros
    and ones: the trainer loads the initial values).
    """
    del kernel_initializer  # the trainer loads each network's initial values
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
    # A fresh product in the caller's context (inside the training loop it
    # reads the variables' current values), as ModelBase does.
    return (self._current(self._kernels[name][self._network]) *
            self._current(self._mask_vars[name][self._network]))

  def _bias(self, name, units):
    """Network i's bias of layer `name` (every network's made at first)."""
    if name not in self._biases:
      self._biases[name] = [
          self._variable(i, name + '_b', [units], tf.zeros_initializer())
          for i in range(self.num_networks)]
    return self._current(self._biases[name][self._network])

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

  def network_biases(self, index):
    """dict layer -> network `index`'s bias variable."""
    return {name: b[index] for name, b in self._biases.items()}

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




def model_class(hyperparameters):
  """The unpacked model class that takes `hyperparameters`."""
  return (model_conv.ModelConv if 'conv_layers' in hyperparameters
          else model_fc.ModelFc)


def packed_class(unpacked):
  """The packed counterpart of a ModelBase subclass, made once per class.

  Any model whose layers are ModelBase's masked layers (dense_layer,
  conv2d_layer, or _masked_kernel and _bias directly) packs: PackedLayers
  gives those layers N networks' variables and the model's own `forward`
  runs unchanged, so a model a user writes packs as LeNet-300-100 does.

  Raises:
    ValueError: for anything but a proper subclass of ModelBase.
  """
  if not (isinstance(unpacked, type) and
          issubclass(unpacked, model_base.ModelBase) and
          unpacked is not model_base.ModelBase):
    raise ValueError('No packed version of {}: a pack is made of a model '
                     'class derived from ModelBase'.format(
                         getattr(unpacked, '__name__', unpacked)))
  if issubclass(unpacked, PackedLayers):
    return unpacked
  if unpacked not in _PACKED:
    _PACKED[unpacked] = type('Packed' + unpacked.__name__,
                             (PackedLayers, unpacked),
                             {'__doc__': 'N {} networks as one packed '
                                         'model.'.format(unpacked.__name__)})
  return _PACKED[unpacked]


_PACKED = {}


class NetworkView(object):
  """One network of a pack, with the interface of an unpacked model.

  evaluation.split_metrics takes any object with `apply(inputs,
  substitutes)`; a view lets it evaluate network i of a pack on a whole
  split, computing exactly what the unpacked network would. The view also
  has ModelBase's dictionaries of that network's variables (kernels, masks,
  biases), its parameters, losses and readers, so code written for one
  unpacked model (a run's measurements and mask updates, the trainer's
  hooks) builds its ops on network i of a pack unchanged.
  """

  def __init__(self, packed, index):
    self.packed = packed
    self.index = int(index)
    self.loss_fn = packed.loss_fn
    self.accuracy_fn = packed.accuracy_fn

  def apply(self, inputs, substitutes=None):
    return self.packed.apply(inputs, substitutes, network=self.index)

  @property
  def layer_names(self):
    return self.packed.layer_names

  @property
  def kernels(self):
    return self.packed.network_kernels(self.index)

  @property
  def masks(self):
    return self.packed.network_masks(self.index)

  @property
  def biases(self):
    return self.packed.network_biases(self.index)

  @property
  def trainable_variables(self):
    return self.packed.network_variables(self.index)

  def parameters(self):
    return self.packed.network_parameters(self.index)

  def get_current_weights(self, sess):
    return sess.run(self.parameters())

  def get_current_masks(self, sess):
    return sess.run(self.masks)
