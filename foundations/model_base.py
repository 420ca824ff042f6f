"""ModelBase: networks whose layers carry masks and can start from presets.

Every dense or convolutional layer owns three variables: a trainable kernel,
a non-trainable mask of the kernel's shape (all ones unless a mask is given)
and, optionally, a bias. The layer computes with `kernel * mask`, so the
gradient of a pruned weight is exactly zero and the effective weight stays
exactly 0 through every optimizer step (SGD, momentum, Adam alike), and mask
updates (gradual pruning, SET, RigL) are assignments to a variable, not a
graph rebuild.

A network may be applied to several input tensors (the training batch inside
the trainer's loop, the evaluation data, a Hessian batch): the first
application creates the variables and later ones reuse them. Subclasses
therefore put the architecture in `forward(inputs)`, and their constructor
calls `self.apply(inputs)` and then `create_loss_and_accuracy` once on the
tensors they were constructed with.

Every layer computes with a leading network axis: `forward` receives
[networks, batch, ...] inputs, and the layers, `flatten` and `max_pool2d`
keep that axis, so one layer is one batched op for a whole pack of networks
(packed_model.py). A lone model is a pack of one: `apply` adds the axis to
its [batch, ...] inputs and removes it from the logits. The arithmetic is
chosen so that a network's numbers do not depend on how many networks share
the op (measured on TensorFlow 2.21, CPU; ../shared/probes/pack_identity.py):

  - a dense layer is a batched matmul [n, B, in] x [n, in, out]: each of its
    n products is bit-identical to the same call with n = 1 (a plain 2-D
    matmul differs from it by ~1e-4 at in = 784);
  - the bias is added by a second batched matmul, of a ones column by the
    bias row, so its gradient is a batched matmul too; added by
    broadcasting, its gradient (a sum over the batch) changed in the last
    bits with n;
  - a convolution runs once per network: a grouped convolution of n networks
    differs from the plain one for n = 1, and CPU kernels compute its
    gradient only with oneDNN.

Names: masks and presets are dictionaries keyed by layer name. A preset for a
layer's bias uses the key `<layer>_bias`.
"""

import numpy as np
import tensorflow.compat.v1 as tf
from lottery_ticket.foundations import choices
from lottery_ticket.foundations import finite
from lottery_ticket.foundations import graph_mode  # pylint: disable=unused-import
from lottery_ticket.foundations import masks as masks_lib

BIAS_SUFFIX = masks_lib.BIAS_SUFFIX

_ACTIVATIONS = {
    None: None,
    'none': None,
    'linear': None,
    'relu': tf.nn.relu,
    'tanh': tf.nn.tanh,
    'sigmoid': tf.nn.sigmoid,
    'elu': tf.nn.elu,
    'selu': tf.nn.selu,
}


def activation_fn(activation):
  """Returns the callable for an activation given by name, callable or None."""
  if callable(activation):
    return activation
  key = activation.lower() if isinstance(activation, str) else activation
  if key not in _ACTIVATIONS:
    choices.check('activation', activation, list(_ACTIVATIONS))
  return _ACTIVATIONS[key]


def bias_name(layer_name):
  return layer_name + BIAS_SUFFIX


def is_bias(name):
  return name.endswith(BIAS_SUFFIX)


def default_kernel_initializer(seed=None):
  """Gaussian Glorot initialisation, as in the lottery ticket paper."""
  return tf.glorot_normal_initializer(seed=seed)


class ModelBase(object):
  """A network whose kernels are masked and may be initialised from presets.

  Attributes:
    weights: dict layer name -> effective kernel tensor (kernel * mask).
    masks: dict layer name -> mask variable.
    kernels: dict layer name -> trainable kernel variable.
    biases: dict layer name -> bias variable.
    presets: the presets given at construction (dict of numpy arrays).
    loss, accuracy, logits: on the tensors the model was constructed with.
  """

  def __init__(self, presets=None, masks=None):
    """Keeps the presets and masks the layers will be built with.

    Args:
      presets: optional dict tensor name -> initial value.
      masks: optional dict layer name -> 0/1 mask.

    Raises:
      finite.NonFiniteError: if a preset holds NaN or infinite values.
      ValueError: if a mask holds values other than 0 and 1.
    """
    self._presets = {k: finite.check(k, np.asarray(v), 'preset')
                     for k, v in (presets or {}).items()}
    self._mask_values = dict(masks_lib.Masks(masks or {}, 'the model\'s masks'))
    self._kernels = {}
    self._mask_vars = {}
    self._biases = {}
    self._weights = {}
    self._scope = None
    self._layer_order = []
    self._substitutes = {}

  # Properties --------------------------------------------------------------

  @property
  def weights(self):
    return dict(self._weights)

  @property
  def masks(self):
    return dict(self._mask_vars)

  @property
  def kernels(self):
    return dict(self._kernels)

  @property
  def biases(self):
    return dict(self._biases)

  @property
  def presets(self):
    return dict(self._presets)

  @property
  def layer_names(self):
    """Layer names in the order the layers were created."""
    return list(self._layer_order)

  @property
  def trainable_variables(self):
    out = []
    for name in self._layer_order:
      out.append(self._kernels[name])
      if name in self._biases:
        out.append(self._biases[name])
    return out

  def parameters(self):
    """dict name -> effective tensor for every kernel and bias."""
    params = dict(self._weights)
    params.update({bias_name(k): v for k, v in self._biases.items()})
    return params

  # Layers -------------------------------------------------------------------

  def forward(self, inputs):
    """Maps a batch of inputs to logits. Implemented by subclasses."""
    raise NotImplementedError

  def apply(self, inputs, substitutes=None):
    """Runs `forward` on new inputs, reusing the variables already created.

    Args:
      inputs: a [batch, ...] batch of inputs.
      substitutes: optional dict variable name -> tensor to compute with in
        place of that variable (e.g. a snapshot of the weights that another
        thread evaluates while training goes on).

    Returns:
      The [batch, classes] logits.
    """
    return self._forward_in_scope(tf.expand_dims(inputs, 0), substitutes)[0]

  def _forward_in_scope(self, inputs, substitutes):
    """`forward` on [networks, batch, ...] inputs in the model's scope."""
    self._substitutes = dict(substitutes or {})
    try:
      with tf.variable_scope(self._scope or 'model', reuse=tf.AUTO_REUSE) as scope:
        self._scope = scope
        return self.forward(inputs)
    finally:
      self._substitutes = {}

  def _current(self, variable):
    """`variable`, or the tensor that substitutes for it in this apply."""
    return self._substitutes.get(variable.name, variable)

  def _masked_kernel(self, name, shape, kernel_initializer):
    """The [1, ...] effective kernel of layer `name` (created at first use)."""
    if name in self._kernels:
      # A fresh product in the caller's context (e.g. inside a while loop), so
      # it reads the variables' current values rather than a value computed once
      # outside the loop.
      return tf.expand_dims(self._current(self._kernels[name]) *
                            self._current(self._mask_vars[name]), 0)
    shape = [int(d) for d in shape]
    mask_value = self._mask_values.get(name)
    if mask_value is not None and list(mask_value.shape) != shape:
      raise ValueError('mask {!r} has shape {}, but layer {!r} has shape {}'.format(
          name, list(mask_value.shape), name, shape))
    mask_value = (np.ones(shape, np.float32) if mask_value is None
                  else mask_value.astype(np.float32))

    preset = self._presets.get(name)
    if preset is not None:
      if list(preset.shape) != shape:
        raise ValueError(
            'preset {!r} has shape {}, but layer {!r} has shape {}'.format(
                name, list(preset.shape), name, shape))
      initializer = tf.constant_initializer(
          preset.astype(np.float32) * mask_value)
    else:
      base = kernel_initializer or default_kernel_initializer()
      mask_constant = mask_value

      def initializer(shape, dtype=tf.float32, partition_info=None):
        del partition_info
        return base(shape, dtype) * tf.constant(mask_constant, dtype=dtype)

    kernel = tf.get_variable(name + '_w', shape=shape, initializer=initializer,
                             use_resource=True)
    mask = tf.get_variable(name + '_m', shape=shape, trainable=False,
                           initializer=tf.constant_initializer(mask_value),
                           use_resource=True)
    self._kernels[name] = kernel
    self._mask_vars[name] = mask
    self._layer_order.append(name)
    self._weights[name] = kernel * mask
    return tf.expand_dims(self._weights[name], 0)

  def _bias(self, name, units):
    """The [1, units] bias of layer `name` (created at first use)."""
    if name in self._biases:
      # read afresh where it is used
      return tf.expand_dims(self._current(self._biases[name]), 0)
    preset = self._presets.get(bias_name(name))
    if preset is not None:
      if list(preset.shape) != [int(units)]:
        raise ValueError('preset {!r} has shape {}, but the bias of layer {!r} '
                         'has shape {}'.format(bias_name(name), list(preset.shape),
                                               name, [int(units)]))
      initializer = tf.constant_initializer(preset.astype(np.float32))
    else:
      initializer = tf.zeros_initializer()
    bias = tf.get_variable(name + '_b', shape=[int(units)],
                           initializer=initializer, use_resource=True)
    self._biases[name] = bias
    return tf.expand_dims(bias, 0)

  def dense_layer(self, name, inputs, units, activation=None, use_bias=True,
                  kernel_initializer=None):
    """A fully-connected layer with a masked kernel.

    Args:
      name: the layer's name (the key of its mask and preset).
      inputs: a [networks, batch, features] tensor.
      units: number of output units.
      activation: None, a callable or a name ('relu', 'tanh', ...).
      use_bias: whether to add a (never masked) bias.
      kernel_initializer: initializer used when there is no preset
        (default: Gaussian Glorot).

    Returns:
      The layer's [networks, batch, units] output.
    """
    kernel = self._masked_kernel(name, [inputs.shape[-1], units],
                                 kernel_initializer)
    output = tf.matmul(inputs, kernel)
    if use_bias:
      ones = tf.ones_like(inputs[..., :1])
      output += tf.matmul(ones, tf.expand_dims(self._bias(name, units), 1))
    act = activation_fn(activation)
    return act(output) if act else output

  def conv2d_layer(self, name, inputs, filters, kernel_size, strides=(1, 1),
                   padding='SAME', activation=None, use_bias=True,
                   kernel_initializer=None):
    """A 2-D convolution (NHWC) with a masked kernel.

    Args:
      name: the layer's name (the key of its mask and preset).
      inputs: a [networks, batch, height, width, channels] tensor.
      filters: number of output channels.
      kernel_size: int or (height, width).
      strides: int or (height, width).
      padding: 'SAME' or 'VALID'.
      activation: None, a callable or a name.
      use_bias: whether to add a (never masked) bias.
      kernel_initializer: initializer used when there is no preset.

    Returns:
      The layer's output tensor.
    """
    kh, kw = _pair(kernel_size)
    sh, sw = _pair(strides)
    padding = choices.check('padding', padding.upper(), ('SAME', 'VALID'))
    if padding == 'VALID':
      height, width = inputs.shape[2], inputs.shape[3]
      if (height is not None and int(height) < kh) or (
          width is not None and int(width) < kw):
        raise ValueError(
            'layer {!r}: its {}x{} input is smaller than its {}x{} kernel with '
            'VALID padding (the images are too small for this network)'.format(
                name, height, width, kh, kw))
    kernel = self._masked_kernel(name, [kh, kw, inputs.shape[-1], filters],
                                 kernel_initializer)
    bias = self._bias(name, filters) if use_bias else None
    outputs = []
    for index, (batch, network_kernel) in enumerate(
        zip(tf.unstack(inputs, int(kernel.shape[0])), tf.unstack(kernel))):
      output = tf.nn.conv2d(batch, network_kernel, strides=[1, sh, sw, 1],
                            padding=padding)
      outputs.append(output + bias[index] if use_bias else output)
    output = tf.stack(outputs)
    act = activation_fn(activation)
    return act(output) if act else output

  @staticmethod
  def max_pool2d(inputs, size=2):
    """size x size max-pooling (stride size, VALID) of [networks, batch,
    height, width, channels] inputs."""
    pooled = tf.nn.max_pool2d(
        tf.reshape(inputs, [-1] + inputs.shape[2:].as_list()),
        ksize=size, strides=size, padding='VALID')
    return tf.reshape(pooled, [int(inputs.shape[0]), -1] +
                      pooled.shape[1:].as_list())

  @staticmethod
  def flatten(inputs):
    """[networks, batch, ...] to [networks, batch, features]."""
    if inputs.shape.ndims == 3:
      return inputs
    features = int(np.prod(inputs.shape[2:].as_list()))
    return tf.reshape(inputs, [int(inputs.shape[0]), -1, features])

  # Loss and accuracy --------------------------------------------------------

  @staticmethod
  def loss_fn(labels, logits):
    """Mean softmax cross-entropy of integer labels."""
    return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=tf.cast(labels, tf.int32), logits=logits))

  @staticmethod
  def accuracy_fn(labels, logits):
    """Fraction of examples whose top logit is the label."""
    correct = tf.equal(tf.argmax(logits, axis=1, output_type=tf.int32),
                       tf.cast(labels, tf.int32))
    return tf.reduce_mean(tf.cast(correct, tf.float32))

  def create_loss_and_accuracy(self, label_placeholder, output_logits):
    """Creates loss, accuracy and their summaries; checks masks and presets.

    Args:
      label_placeholder: integer labels of the construction-time inputs.
      output_logits: the logits `forward` produced for them.

    Raises:
      ValueError: if a mask or preset names a layer the network lacks.
    """
    self._check_names()
    self.logits = output_logits
    self.loss = self.loss_fn(label_placeholder, output_logits)
    self.accuracy = self.accuracy_fn(label_placeholder, output_logits)
    self.summaries = tf.summary.merge([
        tf.summary.scalar('loss', self.loss),
        tf.summary.scalar('accuracy', self.accuracy)])

  def _check_names(self):
    layers = set(self._kernels)
    known = layers | {bias_name(k) for k in self._biases}
    bad_masks = sorted(set(self._mask_values) - layers)
    if bad_masks:
      raise ValueError('masks name layers the network lacks: {} (layers: {})'.format(
          ', '.join(bad_masks), ', '.join(self._layer_order)))
    bad_presets = sorted(set(self._presets) - known)
    if bad_presets:
      raise ValueError('presets name tensors the network lacks: {} (has: {})'.format(
          ', '.join(bad_presets), ', '.join(sorted(known))))

  # Reading values -----------------------------------------------------------

  def get_current_weights(self, sess):
    """Effective kernels and biases as numpy arrays.

    Returns:
      dict: layer name -> kernel * mask, and `<layer>_bias` -> bias.
    """
    return sess.run(self.parameters())

  def get_current_masks(self, sess):
    return sess.run(self.masks)


def _pair(value):
  if isinstance(value, (list, tuple)):
    if len(value) != 2:
      raise ValueError('expected an int or a pair, got {!r}'.format(value))
    return int(value[0]), int(value[1])
  return int(value), int(value)

