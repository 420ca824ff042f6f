"""Rebuilding a saved network as a model, with a clear error when it cannot.

The model comes from the run's configuration (`builders.make_model_fn`,
with what a sparse-training run records about its architecture),
starts from the saved weights as presets and, unless asked to drop them,
carries the saved masks. Every parameter of the model must come from the
saved weights: a missing tensor would otherwise be silently initialised at
random.
"""

from lottery_ticket.mnist_fc import builders
from lottery_ticket.mnist_fc import config as config_lib
from lottery_ticket.mnist_fc import small_dense


def describe_architecture(network):
  """A short description, e.g. "fc with hidden widths [300, 100] on mnist",
  "lenet5 with hidden widths [6, 16, 120, 84], VALID padding on mnist" or
  "resnet20 of width 16 on cifar10"."""
  spec = hyperparameters(network, 0)
  model = network.run_config.model
  family = network.run_config.family
  shape = model.network
  if family.narrows:
    shape += ' with hidden widths {}'.format(family.hidden_widths(spec))
  if family.name == 'conv':
    shape += ', {} padding'.format(model.conv_padding)
  if family.name == 'resnet':
    shape += ' of width {}'.format(model.resnet_width)
  return '{} on {}'.format(shape, network.run_config.data.dataset)


def hyperparameters(network, num_classes):
  """The model hyperparameters the network was trained with.

  The configuration's architecture (widths, conv padding; a CIFAR net's
  name and width), with what a small_dense run records beside it: its
  narrowed hidden widths (start.small_dense_widths: conv filters, then
  hidden fully-connected units).
  """
  spec = network.run_config.hyperparameters(num_classes)
  details = config_lib.details(network.config or {})
  widths = (details.get('start') or {}).get('small_dense_widths')
  if widths:
    spec = small_dense.with_widths(spec, widths)
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
      network.run_config, num_classes,
      hyperparameters=hyperparameters(network, num_classes))
  try:
    model = make_model(inputs, labels, presets=network.weights,
                       masks=network.masks if with_masks else None)
    missing = sorted(set(model.parameters()) - set(network.weights))
    if missing:
      raise ValueError('it lacks ' + ', '.join(missing))
  except ValueError as error:
    raise ValueError('the network at {} does not match its configuration ({}): '
                     '{}'.format(network.source, describe_architecture(network),
                                 error)) from error
  return model
