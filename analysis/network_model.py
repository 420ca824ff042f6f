"""Rebuilding a saved network as a model, with a clear error when it cannot.

The model comes from the run's configuration (`builders.make_model_fn`,
with what a sparse-training run records about its architecture),
starts from the saved weights as presets and, unless asked to drop them,
carries the saved masks. Every parameter of the model must come from the
saved weights: a missing tensor would otherwise be silently initialised at
random.
"""

from lottery_ticket.foundations import architectures
from lottery_ticket.foundations import model_base
from lottery_ticket.mnist_fc import builders


def describe_architecture(network):
  """A short description, e.g. "fc with hidden layers [300, 100] on mnist"
  or "resnet20 of width 16 on cifar10"."""
  spec = hyperparameters(network, 0)
  if architectures.is_cifar(spec):
    shape = network.run_config.model.network
    if 'resnet_width' in spec:
      shape += ' of width {}'.format(spec['resnet_width'])
  elif 'layers' in spec:
    shape = 'fc with hidden layers {}'.format([u for u, _ in spec['layers'][:-1]])
  else:
    convs = [l[0] for l in spec['conv_layers'] if l != architectures.POOL]
    shape = '{} with conv filters {}, hidden units {}, {} padding'.format(
        network.run_config.model.network, convs,
        [u for u, _ in spec['fc_layers'][:-1]], spec.get('padding', 'SAME'))
  return '{} on {}'.format(shape, network.run_config.data.dataset)


def hyperparameters(network, num_classes):
  """The model hyperparameters the network was trained with.

  The configuration's architecture (widths, conv padding; a CIFAR net's
  name and width), with what a small_dense run records beside it: its narrowed hidden widths
  (start.small_dense_widths: conv filters, then hidden fully-connected
  units).
  """
  from lottery_ticket.mnist_fc import config as config_lib  # pylint: disable=g-import-not-at-top
  spec = network.run_config.hyperparameters(num_classes)
  details = config_lib.details(network.config or {})
  widths = (details.get('start') or {}).get('small_dense_widths')
  if widths:
    widths = [int(w) for w in widths]
    if 'layers' in spec:
      spec['layers'] = [(w, act) for w, (_, act) in zip(
          widths, spec['layers'][:-1])] + spec['layers'][-1:]
    else:
      conv_index = [i for i, l in enumerate(spec['conv_layers'])
                    if l != architectures.POOL]
      for position, index in enumerate(conv_index):
        _, kernel, act = spec['conv_layers'][index]
        spec['conv_layers'][index] = (widths[position], kernel, act)
      rest = widths[len(conv_index):]
      spec['fc_layers'] = [(w, act) for w, (_, act) in zip(
          rest, spec['fc_layers'][:-1])] + spec['fc_layers'][-1:]
  return spec


def build(network, inputs, labels, num_classes, with_masks=True):
  """The model of `network` on the given input and label tensors.

  Args:
    network: a network_source.Network.
    inputs, labels: tensors of the current graph.
    num_classes: the dataset's number of classes.
    with_masks: carry the saved masks (False: all-ones masks; the effective
      weights are the same either way, since saved weights are already
      masked).

  Returns:
    the model (a ModelBase), its variables initialisable from the presets.

  Raises:
    ValueError: in one line, if the saved tensors do not fit the network.
  """
  make_model = builders.make_model_fn(
      network.run_config, num_classes, hyperparameters=hyperparameters(network, num_classes))
  try:
    model = make_model(inputs, labels, presets=network.weights,
                       masks=network.masks if with_masks else None)
  except ValueError as error:
    raise ValueError('the network at {} does not match its configuration ({}): '
                     '{}'.format(network.source,
                                 describe_architecture(network),
                                 error)) from error
  missing = sorted(set(model.parameters()) - set(network.weights))
  if missing:
    raise ValueError('the network at {} does not match its configuration ({}): '
                     'it lacks {}'.format(
                         network.source,
                         describe_architecture(network),
                         ', '.join(missing)))
  return model


def parameter_names(model):
  """Names of the model's trainable variables, in their order."""
  names = []
  for layer in model.layer_names:
    names.append(layer)
    if layer in model.biases:
      names.append(model_base.bias_name(layer))
  return names
