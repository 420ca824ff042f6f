"""The settings a run is configured with, declared once, by concern.

  data      dataset, where it lives, validation split, label permutation,
            order seed, augmentation and normalisation
  model     network, hidden widths, initialiser, conv padding
  training  seed, optimizer (momentum, learning rate, schedule, warm-up),
            length, and the trainer's own settings (foundations/
            train_options.py: batch size, regularisation, intervals)
  lottery   the lottery experiment's pruning: strategy, per-kind rates,
            rewinding, retraining
  sparse    a sparse-training method and its own settings

Each is an hparams.Setting: its flag, parser, checks, default and help.
`READ_ONLY_WITH` names the settings read only when another has some value
(a flag the run would ignore is refused). config.py resolves, derives and
records them. Nothing here imports TensorFlow.
"""

from lottery_ticket.datasets import registry
from lottery_ticket.foundations.models import architectures
from lottery_ticket.foundations import durations
from lottery_ticket.foundations import hparams
from lottery_ticket.foundations.models import initializers
from lottery_ticket.foundations.training import optimizers
from lottery_ticket.foundations import pruning
from lottery_ticket.foundations.training import schedules
from lottery_ticket.foundations.sparse import sparse_methods
from lottery_ticket.foundations.sparse import sparsity_distribution
from lottery_ticket.foundations.training import train_options
from lottery_ticket.mnist_fc import constants
from lottery_ticket.mnist_fc import small_dense
from lottery_ticket.mnist_fc import sparse_presets

S = hparams.Setting
# --mask_from=random: set/rigl start from a random mask even with a preset.
RANDOM_MASK = 'random'
# Defaults of gradual-pruning steps left unset, as fractions of training (the
# gradient-flow paper's 3,000 and 7,000 of 11,719 steps).
DEFAULT_PRUNE_BEGIN = 0.25
DEFAULT_PRUNE_END = 0.6

DATA = hparams.Concern('data', (
    S('dataset', 'str', 'mnist', 'the dataset (digits needs no download)',
      choices=tuple(sorted(registry.NAMES))),
    S('data_location', 'str', None, 'directory (or .npz) of the dataset; not '
      'part of the run identity', identity=False,
      derived="the dataset's default location"),
    S('validate_size', 'int', None, 'training examples held out for '
      'validation', minimum=0,
      derived='0 for the CIFAR nets on cifar10 (their recipe), else 5000 '
      '(mnist, fashion_mnist, cifar10) or 237 (digits)'),
    S('permute_labels', 'bool', False, 'shuffle the training labels across '
      'examples (the random-label control)'),
    S('train_order_seed', 'int', None, 'seed of the training order',
      minimum=0, derived='--seed'),
    S('normalize', 'str', None, 'per-channel normalisation of the images: '
      'none, or channel (cifar10: (x - mean) / std with the statistics '
      'OpenLTH uses)', choices=('none', 'channel'),
      derived='channel for the CIFAR nets (resnet*, vgg*) on cifar10, none '
      'otherwise'),
))

MODEL = hparams.Concern('model', (
    S('network', 'str', 'fc', "'fc' (an MLP of --layers) or a conv net; on "
      "cifar10 the CIFAR nets (resnet*, vgg*) train OpenLTH's recipe "
      '(docs/lottery.md), any flag overriding a value',
      choices=lambda: architectures.NETWORKS),
    S('layers', 'ints', None, 'hidden fully-connected widths (fc and the '
      'conv nets; the CIFAR nets have none)', minimum=1,
      derived="300,100 for fc; the conv net's own (lenet5: 120,84)"),
    S('resnet_width', 'int', architectures.RESNET_WIDTH, 'W of a CIFAR ResNet '
      '(channels W, 2W, 4W in its three segments; OpenLTH cifar_resnet_N_W)',
      minimum=1),
    S('initializer', 'str', None, 'kernel initialisation scheme',
      choices=initializers.NAMES, derived='kaiming_normal for the CIFAR nets '
      '(OpenLTH), glorot_normal otherwise'),
    S('conv_padding', 'str', 'SAME', 'padding of the conv layers (the '
      "gradient-flow paper's LeNet-5 uses VALID)", choices=('SAME', 'VALID'),
      normalize=str.upper),
))

TRAINING = hparams.Concern('training', (
    S('seed', 'int', 0, 'fixes the initialisation, the data order and every '
      'other random choice (up to {}: TensorFlow seeds wrap beyond)'.format(
          constants.MAX_SEED), minimum=0, maximum=constants.MAX_SEED),
    S('optimizer', 'str', 'adam', "adam (lr 1.2e-3, the lottery paper), sgd "
      "(0.1, the original code), momentum, rmsprop", choices=optimizers.NAMES),
    S('learning_rate', 'float', None, 'initial learning rate', above=0,
      derived="0.1 for the CIFAR nets' recipe on cifar10 (with its "
      "optimizer, momentum); else the optimizer's: adam 1.2e-3, sgd 0.1, "
      'momentum 0.05, rmsprop 1e-3'),
    S('momentum', 'float', optimizers.DEFAULT_MOMENTUM, 'momentum of the '
      'momentum and rmsprop optimizers', minimum=0, below=1),
    S('lr_schedule', 'str', 'constant', 'learning rate after warm-up: '
      'constant, cosine (decay to 0 at the end of training) or step (times '
      '--lr_drop_factor at each of --lr_drops)',
      choices=schedules.LR_SCHEDULES),
    S('lr_drops', 'durations', (), 'step: when the rate drops, e.g. '
      "80ep,120ep (OpenLTH's milestone_steps for ResNet-20 and VGG-16 "
      'trained 160ep); each within training'),
    S('lr_drop_factor', 'float', schedules.DEFAULT_DROP_FACTOR, 'step: the '
      "factor of each drop (OpenLTH's gamma)", above=0, maximum=1),
    S('warmup_steps', 'int', 0, 'steps of linear learning-rate warm-up from 0',
      minimum=0),
    S('augment', 'str', None, 'augmentation of the training batches: none, '
      'or crop_flip (a random crop of the image padded by 4 pixels and a '
      'random horizontal flip, per network and step)',
      choices=('none', 'crop_flip'),
      derived='crop_flip for the CIFAR nets on cifar10, none otherwise'),
    S('training_len', 'duration', durations.format_len(constants.TRAINING_LEN),
      'training length (per level): 500it, 3ep, ...'),
) + train_options.SETTINGS)

LOTTERY = hparams.Concern('lottery', (
    S('pruning', 'str', None, 'how each level prunes: layerwise '
      '(the paper), global (one threshold over the hidden layers, the output '
      'layer at its own rate), global_with_output (one threshold '
      'over every layer not in --prune_ignore, as OpenLTH) or random (the '
      'random-pruning control)', choices=pruning.NAMES,
      derived='global_with_output for the CIFAR nets (OpenLTH\'s '
      'sparse_global), layerwise otherwise'),
    S('prune_percent', 'float', 0.2,
      'fraction of surviving hidden fully-connected weights pruned per level',
      minimum=0, below=1),
    S('prune_percent_conv', 'float', None, 'fraction of surviving conv weights '
      'pruned per level', minimum=0, below=1,
      derived='0.2 for the CIFAR nets (OpenLTH), 0.1 otherwise'),
    S('prune_percent_output', 'float', 0.1,
      'fraction of surviving output-layer weights pruned per level',
      minimum=0, below=1),
    S('prune_ignore', 'names', None, 'layers never pruned (OpenLTH\'s '
      'pruning_layers_to_ignore), e.g. fc; empty for none',
      derived='fc for the VGGs unless --pruning=global (which prunes the '
      'output layer at --prune_percent_output), none otherwise'),
    S('rewind_iteration', 'int', 0, 'reset survivors to their weights at '
      'this iteration of level 0 (late rewinding; 0: the initialisation)',
      minimum=0),
    S('rewind_schedule', 'str', 'continue', 'with --rewind_iteration=k, '
      'levels after 0 train iterations k..T, the learning-rate schedule and '
      'the data order going on from k (continue, as OpenLTH), or T '
      'iterations from the rewound weights with both restarting (restart)',
      choices=('continue', 'restart')),
    S('retrain', 'str', 'rewind_weights', 'how levels after 0 retrain '
      '(Renda et al. 2020): rewind_weights (survivors reset to level 0\'s '
      'weights at --rewind_iteration), rewind_lr (the previous level\'s '
      'trained weights, masked, trained k..T with the learning-rate schedule '
      'replayed from k) or finetune (the same weights trained T-k '
      'iterations at the schedule\'s final rate)',
      choices=('rewind_weights', 'rewind_lr', 'finetune')),
    S('finetune_lr', 'float', 0.0, 'with --retrain=finetune: the constant '
      "rate levels after 0 train at (0: the final rate of --lr_schedule=step "
      'after its --lr_drops, as Renda et al.; a constant or cosine schedule '
      'needs this rate, as its final one retrains as rewind_lr or trains '
      'nothing)', minimum=0),
))

SPARSE = hparams.Concern('sparse', (
    S('method', 'str', 'dense', 'the sparse-training method',
      choices=lambda: sparse_methods.NAMES),
    S('sparsity', 'float', None, 'fraction of kernel weights removed: the '
      'final sparsity of prune, the fraction pruned at initialisation (snip, '
      'grasp, synflow, force, iter_snip, magnitude_init, random_init), the '
      'parameter budget of small_dense', minimum=0, below=1,
      derived='0 for dense; other methods need it'),
    S('distribution', 'str', 'uniform', 'how the sparsity is spread over '
      'layers: uniform or erk (Erdos-Renyi-Kernel)',
      choices=sparsity_distribution.DISTRIBUTIONS),
    S('mask_from', 'str', '', 'a finished run (or masks/ directory) whose '
      'final mask lottery and scratch train, and set/rigl start from (with a '
      "--preset, as in the paper's configurations, it is required for them: "
      "'random' starts them from a random mask instead)"),
    S('shuffle_mask', 'bool', False, 'lottery, scratch, set, rigl: shuffle '
      'the --mask_from mask within each layer (lottery keeps the source\'s '
      'initial weights at the new places: the shuffle check of pruning after '
      'training, Frankle et al. 2021)'),
    S('mask_level', 'int', -1, 'L: --mask_from names a lottery trial (with '
      '--trials, the base of its trial{t}) and the mask is its level L\'s '
      '({trial}/{L}/same_init); lottery then starts as that level did, from '
      'level 0\'s weights at its --rewind_iteration k, trained k..T as it '
      'was (OpenLTH\'s randomly_prune branch with --shuffle_mask); -1: '
      '--mask_from is the run itself', minimum=-1),
    S('init_method', 'str', 'dense', 'dense (the --initializer scheme, '
      'masked), unit_scaled, layer_scaled or metainit',
      choices=sparse_methods.INIT_METHODS),
    S('init_fan_mode', 'str', None, 'unit_scaled: fan_in, fan_out or fan_avg',
      choices=sparse_methods.FAN_MODES, derived="the initializer's mode"),
    S('metainit_steps', 'int', 1000, 'MetaInit: steps of signed gradient '
      'descent on the kernel norms', minimum=0),
    S('metainit_lr', 'float', 1e-3, 'MetaInit: step size on the norms',
      above=0),
    S('metainit_momentum', 'float', 0.9, 'MetaInit: momentum of the norm '
      'updates', minimum=0, below=1),
    S('metainit_batch_size', 'int', 128, 'MetaInit: random examples per step',
      minimum=1),
    S('metainit_scope', 'str', 'conv', 'MetaInit: rescale the conv kernels '
      "only (the reference's ScaleSGD(mindim=3): an MLP is left as it is) or "
      'all kernels', choices=sparse_methods.METAINIT_SCOPES),
    S('grasp_variant', 'str', 'evci', "GraSP: evci (the gradient-flow "
      "paper's code: largest |w*Hg|, per layer by default) or wang (Wang et "
      'al.: the signed score at a temperature, ranked globally by default)',
      choices=sparse_methods.GRASP_VARIANTS),
    S('grasp_temperature', 'float', 0.0, 'GraSP: temperature of the logits '
      '(0: the variant\'s own, 1 for evci, 200 for wang)', minimum=0),
    S('prune_rounds', 'int', 0, 'synflow, force, iter_snip: rounds of '
      "pruning at initialisation (0: the reference's, 100 for synflow, 60 "
      'for force and iter_snip)', minimum=0),
    S('prune_scope', 'str', None, 'pruning at initialisation: global (rank '
      'all layers together, as the references of synflow, force, iter_snip, '
      'magnitude_init, random_init and GraSP wang do) or layer (keep the '
      "distribution's per-layer counts, as the gradient-flow paper's snip and "
      'grasp)', choices=sparse_methods.PRUNE_SCOPES,
      derived='layer for snip and grasp (evci), global for the others'),
    S('ablation', 'str', 'none', 'the sanity checks of pruning at '
      'initialisation (Frankle et al. 2021; snip, grasp, synflow, force, '
      'iter_snip, magnitude_init): none, shuffle (the mask permuted within '
      'each layer), reinit (the kept weights re-drawn from another '
      'initialisation) or invert (the lowest scores kept)',
      choices=sparse_methods.ABLATIONS),
    S('small_dense_rule', 'str', 'reference', 'small_dense: how the widths '
      "are chosen: reference (the paper's configurations: 8,8 for the MLP, "
      '3,3,27,20 for LeNet-5 at 95%; equal widths elsewhere), equal, '
      'sqrt_density or uniform (one factor for every layer)',
      choices=small_dense.RULES),
    S('prune_schedule', 'str', 'polynomial', 'prune: polynomial (Zhu & Gupta) '
      'or constant (once, at prune_begin_step)',
      choices=schedules.SPARSITY_SCHEDULES),
    S('initial_sparsity', 'float', 0.0, 'prune: sparsity at prune_begin_step',
      minimum=0, below=1),
    S('prune_begin_step', 'int', None, 'prune: first pruning step', minimum=0,
      derived='{:.0%} of training'.format(DEFAULT_PRUNE_BEGIN)),
    S('prune_end_step', 'int', None, 'prune: step at which the final sparsity '
      'is reached', minimum=0,
      derived='{:.0%} of training'.format(DEFAULT_PRUNE_END)),
    S('prune_frequency', 'int', 100, 'prune: steps between pruning updates',
      minimum=1),
    S('prune_exponent', 'float', 3.0, 'prune: exponent of the polynomial '
      'schedule', above=0),
    S('update_freq', 'int', 100, 'set/rigl: steps between mask updates',
      minimum=1),
    S('drop_fraction', 'float', 0.3, 'set/rigl: fraction of active weights '
      'dropped (and regrown) at the first update', minimum=0, maximum=1),
    S('drop_fraction_schedule', 'str', 'cosine', 'set/rigl: constant, cosine '
      '(to 0 at the last update) or lr (scaled with the learning rate)',
      choices=schedules.DROP_FRACTION_SCHEDULES),
    S('update_end', 'float', 0.75, 'set/rigl: fraction of training after '
      'which the mask stops changing (1: never stops)', above=0, maximum=1),
    S('grad_batch_size', 'int', 1000, 'training examples in the fixed batch '
      'of the gradient-flow measurements', minimum=1),
    S('grow_batch_size', 'int', 256, 'training examples (disjoint from the '
      'measurement batch) on which RigL grows and the data-based methods of '
      'pruning at initialisation score (snip, grasp, force, iter_snip)',
      minimum=1),
    S('measure_updates', 'bool', True, 'record the gradient norm just before '
      'and after every mask update', identity=False),
    S('update_norm_batch_size', 'int', 256, 'examples (the first of the '
      'measurement batch, all of it when that is smaller) on which the norm '
      'around each mask update is taken', minimum=1),
    S('mask_images', 'bool', True, 'write the masks as TensorBoard images at '
      'every test point', identity=False),
    S('preset', 'str', '', "start from the paper's settings for the method: "
      'lenet5 or mlp (flags override them); recorded, but the values it set '
      'are what identify the run', choices=('',) + sparse_presets.NETWORKS,
      identity=False),
))

CONCERNS = {c.name: c for c in (DATA, MODEL, TRAINING, LOTTERY, SPARSE)}
# Settings read only when another setting has a given value: a flag giving
# one that the run would ignore is refused (values from a preset or a
# config.json are not, as they are the run's whole recipe). name ->
# (whether the resolved values read it, what does).
_METAINIT = (lambda v: v['init_method'] == 'metainit', '--init_method=metainit')


def family(values):
  """The architectures.Family of the network of a dict of values."""
  return architectures.family(values.get('network', 'fc'))


READ_ONLY_WITH = {
    'resnet_width': (lambda v: family(v).name == 'resnet',
                     '--network=' + ', '.join(architectures.RESNET_NAMES)),
    'conv_padding': (lambda v: family(v).name == 'conv',
                     '--network=' + ', '.join(architectures.NAMES)),
    'prune_percent_conv': (lambda v: not family(v).flat,
                           'a network with conv layers (not fc)'),
    'lr_drops': (lambda v: v['lr_schedule'] == 'step', '--lr_schedule=step'),
    'lr_drop_factor': (lambda v: v['lr_schedule'] == 'step',
                       '--lr_schedule=step'),
    'weight_decay_on': (lambda v: v['weight_decay'] > 0,
                        '--weight_decay above 0'),
    'momentum': (lambda v: v['optimizer'] in ('momentum', 'rmsprop'),
                 '--optimizer=momentum or rmsprop'),
    'rewind_schedule': (lambda v: (v['rewind_iteration'] > 0 and
                                   v['retrain'] == 'rewind_weights'),
                        '--rewind_iteration above 0 and '
                        '--retrain=rewind_weights'),
    'mask_level': (lambda v: v['mask_from'] not in ('', RANDOM_MASK),
                   '--mask_from=<a lottery trial>'),
    'finetune_lr': (lambda v: v['retrain'] == 'finetune',
                    '--retrain=finetune'),
    'init_fan_mode': (lambda v: v['init_method'] == 'unit_scaled',
                      '--init_method=unit_scaled'),
    'prune_rounds': (lambda v: sparse_methods.get(v['method']).rounds > 0,
                     '--method=synflow, force or iter_snip'),
    'prune_scope': (lambda v: sparse_methods.get(v['method']).one_shot
                    is not None, '--method=' + ', '.join(
                        sparse_methods.names_where(
                            lambda m: m.one_shot is not None))),
}
READ_ONLY_WITH.update((s.name, _METAINIT) for s in SPARSE.settings
                      if s.name.startswith('metainit_'))
BASE = (DATA, MODEL, TRAINING)
# The gradient-flow paper's names of two settings (its gin files), which
# sparse_train takes as flags and old config.json files (format 1) used.
ALIASES = {'save_freq': 'checkpoint_interval', 'log_freq': 'test_interval'}
