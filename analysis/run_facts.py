"""What the report needs to know about a run beyond its metrics.

The network a run trained (named the way the papers name it, from the
setting values discovery read: run_discovery.RunInfo.values), the layers
its mask left collapsed and the outputs it left unreached. Each is read
from the run's config.json, whichever format wrote it, so the sections that
compare runs with each other or with a paper agree on them.
"""

import math

from lottery_ticket.mnist_fc import config as config_lib

# How the papers name the networks this library trains.
LENET_300_100 = 'lenet_300_100'
LENET5 = 'lenet5'
_TITLES = {LENET_300_100: 'LeNet-300-100', LENET5: 'LeNet-5'}


def network(values):
  """The paper's name of a run's network: 'lenet_300_100' for the
  784-300-100-10 MLP, 'lenet5', else 'fc-W1-W2' or the architecture."""
  name = values.get('network') or 'fc'
  if name != 'fc':
    return str(name)
  layers = tuple(int(w) for w in values.get('layers') or ())
  if layers == (300, 100):
    return LENET_300_100
  return 'fc-' + '-'.join(str(w) for w in layers) if layers else 'fc'


def network_title(name):
  """'LeNet-300-100' for 'lenet_300_100'; other names unchanged."""
  return _TITLES.get(name, name)


def collapsed_layers(config):
  """The layers a run's mask left empty or unreachable (a list of names)."""
  return [str(name) for name in _connectivity(config, 'collapsed_layers') or []]


def unreached_outputs(config):
  """How many output units (classes) no input reaches through a run's mask
  (0 when every one is, or when a layer collapsed: that is said instead)."""
  return int(_connectivity(config, 'unreached_outputs') or 0)


def _connectivity(config, name):
  """What connectivity.check recorded under `name`: the lottery experiment
  records it in a level's details, sparse training in the details of its
  starting point."""
  details = config_lib.details(config)
  start = details.get('start') if isinstance(details.get('start'), dict) else {}
  return details.get(name) or start.get(name)


def percent_of(sparsity):
  """Percent of weights remaining at a sparsity (NaN for None)."""
  return math.nan if sparsity is None else 100.0 * (1.0 - float(sparsity))
