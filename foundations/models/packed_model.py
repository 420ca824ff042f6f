"""N networks of one architecture as one model, one op per layer for all.

A pack of N networks is one model in one graph whose every variable has a
leading network axis: the kernel of layer0 is model/layer0_w of shape
[N, in, out], and network i's kernel is its slice i. The names are those of
a lone model's variables (model/layer0_w, model/layer0_m, model/layer0_b,
and the optimizer slots beside them), so network i's checkpoint holds slice
i of each under that name (packed_checkpoints.py).

ModelBase's layers compute with a leading network axis (see model_base.py),
so the model's own `forward` runs unchanged on [N, batch, ...] inputs: one
batched matmul per dense layer for the whole pack, and a network's numbers
do not depend on the size of its pack or its place in it. Any ModelBase
subclass packs (`packed_class`): ModelFc, ModelConv, or a model a user
writes from ModelBase's layers.

One network of a pack is seen through a `NetworkView`: the interface of a
lone model whose variables are `NetworkSlice`s of the pack's, so the code
that measures or updates one model (evaluation, mask updates, gradient-flow
measurements) works on network i of a pack unchanged. A view applies the
layers to slice i:i+1 of every variable, the pack-of-one computation.
"""

import numpy as np
import tensorflow.compat.v1 as tf

from lottery_ticket.foundations.models import architectures
from lottery_ticket.foundations import model_base


def prefix(index):
  """The scope of network `index`'s own non-model variables: 'network3/'.

  What a network's hooks create (a mask updater's history) is not packed;
  it lives under this prefix, and its checkpoint name drops it.
  """
  return 'network{}/'.format(int(index))


def unpacked_name(name, index):
  """The name a lone run gives network `index`'s variable `name`.

  Raises:
    ValueError: if `name` is not under network `index`'s prefix.
  """
  if not name.startswith(prefix(index)):
    raise ValueError('{} is not a variable of network {}'.format(name, index))
  return name[len(prefix(index)):]


class NetworkSlice(object):
  """Network `index`'s part of a packed variable, used like a variable.

  It reads and assigns slice `index` of the variable, and converts to that
  slice's value wherever a tensor is expected; `gradients` differentiates
  through it.

  Attributes:
    variable: the packed [N, ...] variable.
    index: the network.
  """

  def __init__(self, variable, index):
    self.variable = variable
    self.index = int(index)

  name = property(lambda self: self.variable.name)
  op = property(lambda self: self.variable.op)
  dtype = property(lambda self: self.variable.dtype)
  shape = property(lambda self: self.variable.shape[1:])

  def read_value(self):
    return self.variable.read_value()[self.index]

  def value(self):
    return self.read_value()

  def assign(self, value):
    return self.variable[self.index].assign(value)


tf.register_tensor_conversion_function(
    NetworkSlice, lambda s, dtype=None, name=None, as_ref=False: s.read_value())


def _operator(name):
  """NetworkSlice's operator `name`: the tensor operator on its value."""
  return lambda self, *args: getattr(self.read_value(), name)(*args)


for _name in ('__add__', '__radd__', '__sub__', '__rsub__', '__mul__',
              '__rmul__', '__truediv__', '__rtruediv__', '__neg__', '__abs__',
              '__pow__', '__getitem__', '__lt__', '__le__', '__gt__',
              '__ge__'):
  setattr(NetworkSlice, _name, _operator(_name))


def gradients(loss, variables):
  """tf.gradients of `loss` by variables, some of which may be NetworkSlices.

  A slice's gradient is slice `index` of the gradient by its whole packed
  variable (exact: the other networks' parts are zeros).
  """
  grads = tf.gradients(loss, [getattr(v, 'variable', v) for v in variables])
  return [g[v.index] if isinstance(v, NetworkSlice) and g is not None else g
          for v, g in zip(variables, grads)]


def slot(optimizer, variable, name):
  """`optimizer`'s slot `name` of a variable or NetworkSlice (or None)."""
  if isinstance(variable, NetworkSlice):
    found = optimizer.get_slot(variable.variable, name)
    return None if found is None else NetworkSlice(found, variable.index)
  return optimizer.get_slot(variable, name)


class PackedLayers(object):
  """Gives ModelBase's layers [N, ...] variables; mixed into a model class.

  Constructed as the model class it is mixed into, with the pack's size
  first: packed_class(ModelFc)(num_networks, hyperparameters, inputs,
  labels). Its variables start as zeros (masks as ones); the trainer loads
  each network's initial values. The ModelBase dictionaries (kernels,
  masks, biases) hold the packed variables.

  Attributes:
    num_networks: N, the size of the pack.
  """

  def __init__(self, num_networks, *args, **kwargs):
    self.num_networks = int(num_networks)
    if self.num_networks < 1:
      raise ValueError('a pack needs at least one network, got {}'.format(
          num_networks))
    super(PackedLayers, self).__init__(*args, **kwargs)

  def apply(self, inputs, substitutes=None, network=None, training=False):
    """Runs network `network`, or every network, on the same inputs.

    Args:
      inputs: a [batch, ...] batch of inputs.
      substitutes: see ModelBase.apply (names of packed variables).
      network: the index of one network; None runs every network.
      training: see ModelBase.apply.

    Returns:
      [batch, classes] logits of that network, or [N, batch, classes].
    """
    if network is None:
      return self.apply_pack(tf.tile(tf.expand_dims(inputs, 0), [
          self.num_networks] + [1] * inputs.shape.ndims), substitutes,
          training=training)
    if not 0 <= network < self.num_networks:
      raise ValueError('network {} of a pack of {}'.format(
          network, self.num_networks))
    return self._forward_in_scope(tf.expand_dims(inputs, 0), substitutes,
                                  training, network=network)[0]

  def apply_pack(self, inputs, substitutes=None, masked=True, training=False):
    """[N, batch, ...] inputs (a batch per network) -> [N, batch, classes].

    Args:
      inputs: a batch per network.
      substitutes: see ModelBase.apply.
      masked: compute with kernel * mask (True) or the kernels alone. The
        two are the same numbers while every kernel is 0 wherever its mask
        is (the trainer keeps it so), but the kernels alone save a pass over
        every weight, and the gradient by a kernel is then dense: the
        trainer multiplies it by the mask itself.
      training: batch norms normalise by batch statistics and queue their
        moving statistics' updates (ModelBase.take_updates).
    """
    return self._forward_in_scope(inputs, substitutes, training,
                                  masked=masked)

  def _forward_in_scope(self, inputs, substitutes, training=False,
                        update_statistics=True, network=None, masked=True):
    """ModelBase's, for network `network` (None: every network), with the
    kernels masked or alone (see apply_pack)."""
    self._network, self._masked = network, masked
    return super(PackedLayers, self)._forward_in_scope(
        inputs, substitutes, training, update_statistics)

  def create_loss_and_accuracy(self, label_placeholder, output_logits):
    """Only keeps the logits: a pack's losses are per network (the trainer's)."""
    del label_placeholder
    self._check_names()
    self.logits = output_logits

  def _variable(self, name, shape, initializer, trainable=True):
    """The packed variable model/{name} of shape [N] + shape: zeros, or
    ones for a mask (the trainer loads each network's initial values)."""
    del initializer
    return tf.get_variable(
        name, shape=[self.num_networks] + shape,
        initializer=(tf.ones_initializer() if name.endswith('_m') else
                     tf.zeros_initializer()),
        trainable=trainable, use_resource=True)

  def _part(self, variable):
    """The variable (or its substitute) for the networks being applied."""
    value = self._current(variable)
    if self._network is None:
      return value
    return value[self._network:self._network + 1]

  def _effective_kernel(self, name, product=None):
    """The [n, ...] effective kernels (kernel * mask) of layer `name`, or
    the kernels alone: always a fresh product in the caller's context
    (inside the training loop it reads the variables' current values)."""
    del product
    if not self._masked:
      return self._part(self._kernels[name])
    return (self._part(self._kernels[name]) *
            self._part(self._mask_vars[name]))

  def _assign_state(self, variable, value):
    """Assigns [n, ...] `value` to the networks being applied."""
    if self._network is None:
      return variable.assign(value)
    return variable[self._network:self._network + 1].assign(value)

  def split_current_weights(self, sess):
    """Each network's effective kernels and biases.

    Returns:
      A list of N dicts: layer -> kernel * mask, `<layer>_bias` -> bias.
    """
    return _split(sess.run(self.parameters()), self.num_networks)

  def split_current_masks(self, sess):
    """Each network's masks: a list of N dicts layer -> mask."""
    return _split(sess.run(self.masks), self.num_networks)


def _split(values, count):
  """dict name -> [N, ...] array to N dicts name -> [...] array."""
  return [{name: np.array(value[index]) for name, value in values.items()}
          for index in range(count)]


def model_class(hyperparameters):
  """The unpacked model class that takes `hyperparameters`: its family's
  (architectures.of)."""
  return architectures.of(hyperparameters).model_class()


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


def _sliced(attribute):
  """A NetworkView property: the view's NetworkSlices of the pack's
  `attribute`, a dict or list of variables (or a dict of dicts of them)."""
  def slices(value, index):
    if isinstance(value, dict):
      return {name: slices(v, index) for name, v in value.items()}
    if isinstance(value, list):
      return [slices(v, index) for v in value]
    return NetworkSlice(value, index)
  return property(lambda self: slices(getattr(self.packed, attribute),
                                      self.index))


class NetworkView(object):
  """One network of a pack, with the interface of a lone model.

  Its variables (kernels, masks, biases, batch norms, trainable_variables,
  state_variables) are
  NetworkSlices of the pack's, and `apply` computes network i alone, so
  code written for one model (evaluation.split_metrics, a run's
  measurements and mask updates, the trainer's hooks) builds its ops on
  network i of a pack unchanged.
  """

  def __init__(self, packed, index):
    self.packed = packed
    self.index = int(index)
    self.loss_fn = packed.loss_fn
    self.accuracy_fn = packed.accuracy_fn

  def apply(self, inputs, substitutes=None, training=False):
    return self.packed.apply(inputs, substitutes, network=self.index,
                             training=training)

  def take_updates(self):
    return self.packed.take_updates()

  layer_names = property(lambda self: self.packed.layer_names)
  kernels = _sliced('kernels')
  masks = _sliced('masks')
  biases = _sliced('biases')
  batch_norms = _sliced('batch_norms')
  trainable_variables = _sliced('trainable_variables')
  state_variables = _sliced('state_variables')

  def parameters(self):
    return {name: value[self.index]
            for name, value in self.packed.parameters().items()}

  def get_current_weights(self, sess):
    return sess.run(self.parameters())

  def get_current_masks(self, sess):
    return sess.run({name: m.read_value() for name, m in self.masks.items()})
