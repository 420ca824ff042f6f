"""The gradient-flow paper's MNIST settings, by network and method.

`settings('lenet5', 'rigl')` is the equivalent of the paper's
configs/rigl.gin, `settings('mlp', 'rigl')` of mlp_configs/rigl.gin: every
value a run needs to reproduce that configuration, as flag values (RunConfig
and SparseConfig fields).

Common to all runs (Evci et al. 2020, appendix and released configs): MNIST,
batch 128, 11,719 steps (25 epochs of 60,000 images, so no validation split
is held out), SGD with momentum 0.9 and cosine learning-rate decay, Keras'
default Glorot-uniform initialisation, evaluation every 200 steps and a
checkpoint every 500.

  LeNet-5  conv 6 - conv 16 (5x5, VALID, 2x2 max-pooling) - 120 - 84 - 10,
           learning rate 0.05, L2 5e-4, sparsity 95%; SNIP and GraSP use
           learning rate 0.1 and L2 2e-4.
  MLP      784 - 300 - 100 - 10, learning rate 0.2, L2 1e-4, sparsity 98%.

The paper's L2 coefficients are Keras' (lambda * sum w^2); the trainer's
weight decay is lambda' * sum w^2 / 2, so the values below are doubled.

Gradual pruning runs from step 3,000 to 7,000, pruning every 100 steps with
the cubic schedule. SET and RigL update every 100 steps (LeNet-5) or 500
(MLP), drop 30% at first and scale the drop fraction with the learning rate
(so it follows the same cosine to 0 at the end of training), and never stop
updating; RigL grows by the gradient on 1,000 training examples. SNIP and
GraSP score the network on 5,000 training examples. Gradient-flow
measurements use another 1,000.

The methods of pruning at initialisation the paper did not run (SynFlow,
Iterative SNIP, FORCE and the magnitude and random baselines) take the
common and network settings; those that look at data score on 5,000
examples, as SNIP.
"""

from lottery_ticket.foundations import choices
from lottery_ticket.foundations.sparse import sparse_methods

NETWORKS = ('lenet5', 'mlp')

_COMMON = {
    'dataset': 'mnist',
    'training_len': '11719it',
    'batch_size': 128,
    'validate_size': 0,
    'optimizer': 'momentum',
    'momentum': 0.9,
    'lr_schedule': 'cosine',
    'initializer': 'glorot_uniform',
    'test_interval': 200,
    'checkpoint_interval': 500,
}

_NETWORK = {
    'lenet5': {'network': 'lenet5', 'conv_padding': 'VALID',
               'learning_rate': 0.05, 'weight_decay': 1e-3, 'sparsity': 0.95},
    'mlp': {'network': 'fc', 'layers': (300, 100), 'learning_rate': 0.2,
            'weight_decay': 2e-4, 'sparsity': 0.98},
}

_PRUNE = {'prune_schedule': 'polynomial', 'initial_sparsity': 0.0,
          'prune_begin_step': 3000, 'prune_end_step': 7000,
          'prune_frequency': 100, 'prune_exponent': 3.0}

_DROP_AND_GROW = {'drop_fraction': 0.3, 'drop_fraction_schedule': 'lr',
                  'update_end': 1.0, 'grow_batch_size': 1000}
# SET and RigL update every 100 steps on LeNet-5, every 500 on the MLP.
_UPDATE_FREQ = {'lenet5': 100, 'mlp': 500}
# The methods of pruning at initialisation that score on data, as SNIP.
_SCORED_ON_DATA = ('snip', 'grasp', 'iter_snip', 'force')

# Per network and method, where the paper departs from the above.
_OVERRIDES = {
    ('lenet5', 'snip'): {'learning_rate': 0.1, 'weight_decay': 4e-4},
    ('lenet5', 'grasp'): {'learning_rate': 0.1, 'weight_decay': 4e-4},
}


def settings(preset, method):
  """Flag values of a preset for one method.

  Args:
    preset: 'lenet5' or 'mlp'.
    method: a sparse-training method name.

  Returns:
    dict flag -> value (dense runs carry no sparsity).

  Raises:
    ValueError: for an unknown preset or method.
  """
  choices.check('preset', preset, NETWORKS)
  choices.check('method', method, sparse_methods.NAMES)
  spec = sparse_methods.get(method)
  out = dict(_COMMON, **_NETWORK[preset])
  if spec.gradual:
    out.update(_PRUNE)
  if spec.growth:
    out.update(_DROP_AND_GROW, update_freq=_UPDATE_FREQ[preset])
  if method in _SCORED_ON_DATA:
    out['grow_batch_size'] = 5000
  out.update(_OVERRIDES.get((preset, method), {}))
  if not spec.sparse:
    del out['sparsity']
  return out


def describe():
  """A text table of every preset, for the runner's help."""
  lines = []
  for preset in NETWORKS:
    for method in sparse_methods.NAMES:
      values = settings(preset, method)
      lines.append('  {}/{}: {}'.format(preset, method, ', '.join(
          '{}={}'.format(k, values[k]) for k in sorted(values))))
  return '\n'.join(lines)
