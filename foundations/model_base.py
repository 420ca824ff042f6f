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
    matmul differs from it by ~1e-4 at in = 784), as long as one product is
    larger than SMALL_PRODUCT multiply-adds. TensorFlow's CPU kernel
    multiplies smaller products of a batch with another routine than a
    batch of one (../shared/probes/pack_identity.py's sizes pass; B x in x
    out <= 128 x 128 does not, seen on an AMD EPYC with AVX2: 60 x 10 x 10
    and 10 x 100 x 10 differ, 60 x 20 x 20 and 60 x 100 x 10 do not; the
    layer's gradients are products of the same size), so a layer whose
    B x in x out is that small, or whose batch is unknown, multiplies each
    network as a pack of one;
  - the bias is added by a second batched matmul, of a ones column by the
    bias row, so its gradient is a batched matmul too; added by
    broadcasting, its gradient (a sum over the batch) changed in the last
    bits with n;
  - a convolution runs once per network: a grouped convolution of n networks
    differs from the plain one for n = 1, and CPU kernels compute its
    gradient only with oneDNN.

Names: masks and presets are dictionaries keyed by layer name. A preset for a
layer's bias uses the key `<layer>_bias`.

Batch norm (`batch_norm`) normalises each channel of each network by that
network's own statistics: in training mode those of its batch (and it
updates its moving mean and variance, momentum 0.1 as in PyTorch and
OpenLTH), in evaluation mode its moving statistics. A layer `bn` has a
trainable scale `bn_gamma` and shift `bn_beta` and the state
`bn_moving_mean`, `bn_moving_variance`; all four are named so
(masks.UNMASKED_SUFFIXES) and are never masked or pruned, are saved with the
kernels (`parameters`) and may be preset, so rewinding a network rewinds its
batch norm as OpenLTH's state dicts do. Every network's normalisation is its
own fused batch-norm op, like its convolution, so its numbers do not depend
on its pack. `apply` evaluates (training=False) unless told to train; only
the trainer's step trains and updates the moving statistics. FORCE and
Iterative SNIP score in training mode without updating them
(update_statistics=False, prune_at_init.py).
"""

import numpy as np
import tensorflow.compat.v1 as tf
from lottery_ticket.foundations import choices
from lottery_ticket.foundations.training import finite
from lottery_ticket.foundations.training import graph_mode  # pylint: disable=unused-import
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


# Whether tensor `name` is never masked: a bias or a batch norm's.
is_unmasked = masks_lib.is_unmasked


# PyTorch's (and so OpenLTH's) batch-norm defaults.
BATCH_NORM_MOMENTUM = 0.1
# TensorFlow's batched matmul on a CPU multiplies a batch of products of at
# most this many multiply-adds each (batch x in x out) with another kernel
# than a batch of one (its kMaxCostOuterParallelism); see dense_layer.
SMALL_PRODUCT = 128 * 128
BATCH_NORM_EPSILON = 1e-5
GAMMA, BETA, MOVING_MEAN, MOVING_VARIANCE = masks_lib.BATCH_NORM_SUFFIXES


class ModelBase(object):
  """A network whose kernels are masked and may be initialised from presets.

  Attributes:
    masks: dict layer name -> mask variable.
    kernels: dict layer name -> trainable kernel variable.
    biases: dict layer name -> bias variable.
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
    self._batch_norms = {}  # name -> {suffix: variable}
    self._updates = []

  # Properties --------------------------------------------------------------

  # Copies: dicts layer name -> variable, and the layer names in the order
  # the layers were created.
  masks = property(lambda self: dict(self._mask_vars))
  kernels = property(lambda self: dict(self._kernels))
  biases = property(lambda self: dict(self._biases))
  layer_names = property(lambda self: list(self._kernels))

  @property
  def batch_norms(self):
    """dict batch-norm layer name -> {suffix: variable} (GAMMA, BETA,
    MOVING_MEAN, MOVING_VARIANCE)."""
    return {name: dict(v) for name, v in self._batch_norms.items()}

  @property
  def trainable_variables(self):
    out = []
    for name, kernel in self._kernels.items():
      out.append(kernel)
      if name in self._biases:
        out.append(self._biases[name])
    for variables in self._batch_norms.values():
      out += [variables[GAMMA], variables[BETA]]
    return out

  @property
  def state_variables(self):
    """The variables that are neither trained nor masks but are the
    network's state: batch norms' moving statistics."""
    return [variables[suffix] for variables in self._batch_norms.values()
            for suffix in (MOVING_MEAN, MOVING_VARIANCE)]

  def parameters(self):
    """dict name -> effective tensor for every kernel and bias, and every
    batch norm's scale, shift and moving statistics (`<bn>_gamma`, ...)."""
    params = dict(self._weights)
    params.update({bias_name(k): v for k, v in self._biases.items()})
    for name, variables in self._batch_norms.items():
      params.update({name + suffix: variable
                     for suffix, variable in variables.items()})
    return params

  def take_updates(self):
    """The moving-statistics updates of the applications in training mode
    since the last call (ops to run with the training step)."""
    updates, self._updates = self._updates, []
    return updates

  # Layers -------------------------------------------------------------------

  def forward(self, inputs):
    """Maps a batch of inputs to logits. Implemented by subclasses."""
    raise NotImplementedError

  def apply(self, inputs, substitutes=None, training=False,
            update_statistics=True):
    """Runs `forward` on new inputs, reusing the variables already created.

    Args:
      inputs: a [batch, ...] batch of inputs.
      substitutes: optional dict variable name -> tensor to compute with in
        place of that variable (e.g. a snapshot of the weights that another
        thread evaluates while training goes on).
      training: batch norms use batch statistics and queue updates of
        their moving statistics (take_updates); otherwise they use the
        moving statistics.
      update_statistics: with training, whether those updates are queued
        (False: normalised by the batch, the moving statistics left as they
        are, as pruning at initialisation scores a network).

    Returns:
      The [batch, classes] logits.
    """
    return self._forward_in_scope(tf.expand_dims(inputs, 0), substitutes,
                                  training, update_statistics)[0]

  def _forward_in_scope(self, inputs, substitutes, training=False,
                        update_statistics=True):
    """`forward` on [networks, batch, ...] inputs in the model's scope.

    The layers read this application's settings from the model (each
    application sets them all before `forward`).
    """
    self._substitutes = dict(substitutes or {})
    self._training = bool(training)
    self._update_statistics = bool(update_statistics)
    with tf.variable_scope(self._scope or 'model',
                           reuse=tf.AUTO_REUSE) as self._scope:
      return self.forward(inputs)

  def _part(self, variable):
    """[1, ...]: the variable (or its substitute) as a pack of one."""
    return tf.expand_dims(self._current(variable), 0)

  def _current(self, variable):
    """`variable`, or the tensor that substitutes for it in this apply."""
    return self._substitutes.get(variable.name, variable)

  def _variable(self, name, shape, initializer, trainable=True):
    """Variable model/{name}, created with `initializer`."""
    return tf.get_variable(name, shape=shape, initializer=initializer,
                           trainable=trainable, use_resource=True)

  def _preset(self, name, shape, what):
    """The float32 preset of tensor `name` (None: none), checked to have
    the shape of `what`."""
    preset = self._presets.get(name)
    if preset is None:
      return None
    if list(preset.shape) != shape:
      raise ValueError('preset {!r} has shape {}, but {} has shape {}'.format(
          name, list(preset.shape), what, shape))
    return preset.astype(np.float32)

  def _masked_kernel(self, name, shape, kernel_initializer):
    """The [1, ...] effective kernel of layer `name` (created at first use)."""
    if name in self._kernels:
      return self._effective_kernel(name)
    shape = [int(d) for d in shape]
    mask_value = self._mask_values.get(name)
    if mask_value is not None and list(mask_value.shape) != shape:
      raise ValueError('mask {!r} has shape {}, but layer {!r} has shape {}'.format(
          name, list(mask_value.shape), name, shape))
    mask_value = (np.ones(shape, np.float32) if mask_value is None
                  else mask_value.astype(np.float32))

    preset = self._preset(name, shape, 'layer {!r}'.format(name))
    if preset is not None:
      initializer = tf.constant_initializer(preset * mask_value)
    else:
      # Gaussian Glorot initialisation, as in the lottery ticket paper.
      base = kernel_initializer or tf.glorot_normal_initializer()

      def initializer(shape, dtype=tf.float32, partition_info=None):
        del partition_info
        return base(shape, dtype) * tf.constant(mask_value, dtype=dtype)

    kernel = self._variable(name + '_w', shape, initializer)
    mask = self._variable(name + '_m', shape,
                          tf.constant_initializer(mask_value), trainable=False)
    self._kernels[name] = kernel
    self._mask_vars[name] = mask
    self._weights[name] = kernel * mask
    return self._effective_kernel(name, self._weights[name])

  def _effective_kernel(self, name, product=None):
    """[1, ...]: the product kernel * mask just made when the layer was
    created, or else a fresh one in the caller's context (e.g. inside a
    while loop), so it reads the variables' current values rather than a
    value computed once outside the loop."""
    if product is None:
      product = (self._current(self._kernels[name]) *
                 self._current(self._mask_vars[name]))
    return tf.expand_dims(product, 0)

  def _bias(self, name, units):
    """The [1, units] bias of layer `name` (created at first use)."""
    if name not in self._biases:
      shape = [int(units)]
      preset = self._preset(bias_name(name), shape,
                            'the bias of layer {!r}'.format(name))
      self._biases[name] = self._variable(
          name + '_b', shape, tf.zeros_initializer() if preset is None
          else tf.constant_initializer(preset))
    # read afresh where it is used
    return self._part(self._biases[name])

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
    networks = int(kernel.shape[0])
    batch = inputs.shape[1]
    if networks > 1 and (batch is None or int(batch) * int(kernel.shape[1]) *
                         units <= SMALL_PRODUCT):
      # Each network alone, whatever the batch (see the module docstring).
      output = tf.concat([tf.matmul(inputs[i:i + 1], kernel[i:i + 1])
                          for i in range(networks)], 0)
    else:
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
      padding: 'SAME', 'VALID' or an int p: p zeros on every side.
      activation: None, a callable or a name.
      use_bias: whether to add a (never masked) bias.
      kernel_initializer: initializer used when there is no preset.

    Returns:
      The layer's output tensor.
    """
    kh, kw = _pair(kernel_size)
    sh, sw = _pair(strides)
    if isinstance(padding, int):
      # Explicit zero padding on every side, as PyTorch's Conv2d(padding=p):
      # OpenLTH's strided convolutions see the same pixels as its shortcuts.
      explicit = int(padding)
      padding = [[0, 0], [explicit, explicit], [explicit, explicit], [0, 0]]
    else:
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

  def _state_variable(self, name, shape, default, trainable):
    """Variable model/{name} of a batch norm, from its preset or `default`
    (an initializer)."""
    preset = self._preset(name, shape, "the network's")
    return self._variable(name, shape, default if preset is None
                          else tf.constant_initializer(preset), trainable)

  def batch_norm(self, name, inputs, gamma_initializer=None,
                 momentum=BATCH_NORM_MOMENTUM, epsilon=BATCH_NORM_EPSILON):
    """Batch normalisation of each network's channels by its own statistics.

    In training mode (apply(training=True)) a network's channels are
    normalised by the mean and biased variance of its batch, and its moving
    statistics move towards the batch mean and unbiased variance by
    `momentum` (PyTorch's BatchNorm2d, which OpenLTH's models use); the
    update ops are queued for take_updates (unless the application says
    update_statistics=False). In evaluation mode the moving
    statistics normalise. Each network is its own fused batch-norm op (as
    its convolution is), so its numbers do not depend on its pack.

    Args:
      name: the layer's name; its tensors are `<name>_gamma`, `_beta`,
        `_moving_mean` and `_moving_variance`.
      inputs: [networks, batch, height, width, channels] or [networks,
        batch, channels].
      gamma_initializer: initializer of the scale when there is no preset
        (default: ones; OpenLTH's default draws it uniformly from [0, 1)).
      momentum: the weight of a batch's statistics in the moving ones.
      epsilon: added to the variance.

    Returns:
      The normalised [networks, batch, ...] tensor.
    """
    channels = int(inputs.shape[-1])
    if name not in self._batch_norms:
      defaults = {GAMMA: gamma_initializer or tf.ones_initializer(),
                  BETA: tf.zeros_initializer(),
                  MOVING_MEAN: tf.zeros_initializer(),
                  MOVING_VARIANCE: tf.ones_initializer()}
      self._batch_norms[name] = {
          suffix: self._state_variable(name + suffix, [channels], init,
                                       trainable=suffix in (GAMMA, BETA))
          for suffix, init in defaults.items()}
    parts = {suffix: self._part(variable)
             for suffix, variable in self._batch_norms[name].items()}
    networks = int(inputs.shape[0])
    updating = self._training and self._update_statistics
    outputs, moving = [], {MOVING_MEAN: [], MOVING_VARIANCE: []}
    for index, batch in enumerate(tf.unstack(inputs, networks)):
      images = batch if batch.shape.ndims == 4 else tf.reshape(
          batch, [-1, 1, 1, channels])
      # Training: the op computes the batch's statistics (given none).
      empty = tf.constant([], tf.float32) if self._training else None
      output, mean, variance = tf.raw_ops.FusedBatchNormV3(
          x=images, scale=parts[GAMMA][index], offset=parts[BETA][index],
          mean=parts[MOVING_MEAN][index] if empty is None else empty,
          variance=parts[MOVING_VARIANCE][index] if empty is None else empty,
          epsilon=epsilon, is_training=self._training)[:3]
      # The op returns the unbiased variance (Bessel's correction), which
      # is what PyTorch's running_var follows.
      if updating:
        for suffix, statistic in ((MOVING_MEAN, mean),
                                  (MOVING_VARIANCE, variance)):
          moving[suffix].append((1.0 - momentum) * parts[suffix][index] +
                                momentum * statistic)
      outputs.append(output if batch.shape.ndims == 4 else
                     tf.reshape(output, [-1, channels]))
    if updating:
      self._updates += [
          self._assign_state(self._batch_norms[name][suffix], tf.stack(values))
          for suffix, values in moving.items()]
    return tf.stack(outputs)

  def _assign_state(self, variable, value):
    """Assigns [n, ...] `value` to the networks being applied."""
    return variable.assign(tf.reshape(value, variable.shape))

  def global_average_pool(self, inputs):
    """[networks, batch, height, width, channels] -> [networks, batch,
    channels]: each network's mean over the positions, its own op."""
    return tf.stack([tf.reduce_mean(batch, axis=[1, 2])
                     for batch in tf.unstack(inputs, int(inputs.shape[0]))])

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
    """Creates loss and accuracy; checks masks and presets.

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

  def _check_names(self):
    layers = set(self._kernels)
    known = set(self.parameters())
    bad_masks = sorted(set(self._mask_values) - layers)
    if bad_masks:
      raise ValueError('masks name layers the network lacks: {} (layers: {})'.format(
          ', '.join(bad_masks), ', '.join(self._kernels)))
    bad_presets = sorted(set(self._presets) - known)
    if bad_presets:
      raise ValueError('presets name tensors the network lacks: {} (has: {})'.format(
          ', '.join(bad_presets), ', '.join(sorted(known))))

  # Reading values -----------------------------------------------------------

  def get_current_weights(self, sess):
    """Effective kernels and biases (and batch norms) as numpy arrays.

    Returns:
      dict: layer name -> kernel * mask, `<layer>_bias` -> bias and
      `<bn>_gamma` etc. -> a batch norm's tensors.
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

