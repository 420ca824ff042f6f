"""The conv nets by name: their layers, as plain data (no TensorFlow).

Conv-2/4/6 are the VGG-like CIFAR-10 networks of the lottery ticket paper
(3x3 convolutions, 2x2 max-pooling after each pair, then 256-256-10 fully
connected); LeNet-5 is 6 and 16 5x5 filters with pooling, then 120-84-10.
The configuration reads the names and widths from here without importing
TensorFlow; model_conv.ModelConv builds a network from such a spec.
"""

from lottery_ticket.foundations import choices

POOL = 'pool'


def _vgg(blocks):
  conv = []
  for filters in blocks:
    conv += [(filters, 3, 'relu'), (filters, 3, 'relu'), POOL]
  return {'conv_layers': conv,
          'fc_layers': [(256, 'relu'), (256, 'relu'), (10, None)]}


ARCHITECTURES = {
    'lenet5': {
        'conv_layers': [(6, 5, 'relu'), POOL, (16, 5, 'relu'), POOL],
        'fc_layers': [(120, 'relu'), (84, 'relu'), (10, None)],
    },
    'conv2': _vgg([64]),
    'conv4': _vgg([64, 128]),
    'conv6': _vgg([64, 128, 256]),
}
NAMES = tuple(sorted(ARCHITECTURES))


def architecture(name):
  """Hyperparameters of a named architecture (a fresh copy).

  Raises:
    ValueError: for a name that is not one of NAMES.
  """
  choices.check('architecture', name, NAMES)
  spec = ARCHITECTURES[name]
  return {'conv_layers': list(spec['conv_layers']),
          'fc_layers': list(spec['fc_layers'])}

