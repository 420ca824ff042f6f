"""Where a sparse run starts: its network, mask and initial weights.

Before training, each method fixes a starting point in a graph of its own:

  dense, prune       the dense initialisation (prune starts dense)
  small_dense        a narrower dense network of the sparse one's size
  lottery            the mask of a finished run and that run's initial weights
  scratch            the same mask (optionally shuffled in each layer) and a
                     fresh initialisation
  set, rigl,         a random mask with the distribution's per-layer counts
  rigl_inverted      (or the mask of a finished run, with --mask_from)
  snip, grasp,       the dense initialisation pruned by its scores (once, or
  synflow, force,    over rounds for synflow, force and iter_snip;
  iter_snip,         prune_at_init)
  magnitude_init,
  random_init

then applies the initialisation method (dense scheme, unit- or layer-scaled,
MetaInit) to the masked network. The result is plain numpy: masks and the
presets every kernel and bias starts from, so training builds its model from
presets, and the starting point is saved (initial_masks/ beside the
trainer's initial/) for a resumed run to reuse exactly.
"""

import contextlib
import dataclasses
import os
import numpy as np
import tensorflow.compat.v1 as tf

from lottery_ticket.foundations.storage import checkpoint_files
from lottery_ticket.foundations.training import fixed_batch
from lottery_ticket.foundations import hparams
from lottery_ticket.foundations.storage import integrity
from lottery_ticket.foundations import masks as masks_lib
from lottery_ticket.foundations import paths
from lottery_ticket.foundations.sparse import prune_at_init
from lottery_ticket.foundations.storage import progress
from lottery_ticket.foundations import save_restore
from lottery_ticket.foundations.training import session as session_lib
from lottery_ticket.foundations.sparse import sparse_init
from lottery_ticket.foundations.sparse import sparsity_distribution
from lottery_ticket.mnist_fc import builders
from lottery_ticket.mnist_fc import config as config_lib
from lottery_ticket.mnist_fc import constants
from lottery_ticket.mnist_fc import settings
from lottery_ticket.mnist_fc import small_dense
from lottery_ticket.foundations.sparse import sparse_methods

# Streams of the random choices (Config.stream_seed), so they never share one
# with each other or with an initialisation.
(MASK_SEED, SHUFFLE_SEED, INIT_SEED, METAINIT_SEED, MEASURE_BATCH_SEED,
 PRUNE_SEED, ABLATION_SEED) = range(11, 18)
# How far a loaded mask's sparsity may be from --sparsity.
SPARSITY_TOLERANCE = 0.01


@dataclasses.dataclass
class Start(object):
  """A run's starting point.

  Attributes:
    hyperparameters: of the model to build.
    masks: dict layer -> 0/1 mask (all ones for dense methods).
    weights: dict kernel and bias name -> initial value (kernels masked).
    info: what is worth recording in config.json.
  """
  hyperparameters: dict
  masks: dict
  weights: dict
  info: dict
  stream: int = sparse_methods.DEFAULT_STREAM
  resumed: bool = False
  first_iteration: int = 0


def fixed_batches(config, dataset):
  """Two disjoint seeded training samples: (measurements, decisions).

  Measurements (grad_batch_size examples) are where the gradient-flow
  metrics are taken; decisions (grow_batch_size) are where RigL grows and
  the data-based methods of pruning at initialisation score. On a small
  training set each is cut to fit.
  """
  available = dataset.train.num_examples
  measure = max(1, min(int(config.sparse.grad_batch_size), available // 2))
  decide = max(1, min(int(config.sparse.grow_batch_size), available - measure))
  seed = config.stream_seed(MEASURE_BATCH_SEED)
  return (fixed_batch.draw(dataset, measure, seed),
          fixed_batch.draw(dataset, decide, seed, skip=measure))


def _mask_directory(mask_from):
  if os.path.isdir(paths.masks(mask_from)):
    if not os.path.exists(paths.done_marker(mask_from)):
      raise ValueError('--mask_from={} is not a finished run (no DONE file): '
                       'train it first'.format(mask_from))
    return paths.masks(mask_from)
  if os.path.isdir(mask_from) and any(
      name.endswith('.npy') for name in os.listdir(mask_from)):
    return mask_from
  raise ValueError('--mask_from={}: neither a finished run (with masks/) nor '
                   'a directory of .npy masks'.format(mask_from))


def load_masks(mask_from, shapes, sparsity):
  """The final masks of a finished run, checked against this network.

  Raises:
    ValueError: if the run is missing or unfinished, its masks are not 0/1,
      belong to another network, or their sparsity is not `sparsity`.
  """
  directory = _mask_directory(mask_from)
  # Checked against the hashes of the run they lie in, if any.
  masks = masks_lib.Masks(save_restore.read_network(directory),
                          source=directory).check_fits(shapes)
  if abs(masks.sparsity() - sparsity) > SPARSITY_TOLERANCE:
    raise ValueError('the mask from {} has sparsity {:.4f}, but --sparsity={}'
                     .format(directory, masks.sparsity(), sparsity))
  return dict(masks)


def _saved_weights(directory, shapes):
  """The weights saved at `directory` (float32), checked against the
  network's tensors `shapes` (dict name -> shape).

  Raises:
    ValueError: if they are from a different network.
  """
  weights = save_restore.restore_network(directory)
  if set(weights) != set(shapes) or any(
      list(np.shape(weights[n])) != list(shapes[n]) for n in shapes):
    raise ValueError('the initial weights from {} are from a different '
                     'network: {} here, {} there'.format(
                         directory, _describe(shapes), _describe(
                             {n: np.shape(v) for n, v in weights.items()})))
  return {k: v.astype(np.float32) for k, v in weights.items()}


def _describe(shapes):
  return ', '.join('{} {}'.format(n, list(shapes[n])) for n in sorted(shapes))


def check_mask_level(config):
  """Refuses a --mask_level the lottery trial --mask_from lacks, and checks
  the level's outputs (its config.json is read before its masks) against
  the hashes its DONE recorded.

  Raises:
    ValueError: naming the level and the levels the trial has.
    integrity.DamagedFile: naming a changed or missing output of the level.
  """
  if config.sparse.mask_level < 0 or not config.mask_path:
    return
  if not integrity.verify_finished(config.mask_path):
    trial = config.sparse.mask_from
    levels = sorted(int(n) for n in (os.listdir(trial) if os.path.isdir(trial)
                                     else ()) if n.isdigit())
    raise ValueError('--mask_level={}: {} has no finished level {} (levels '
                     'there: {})'.format(
                         config.sparse.mask_level, trial,
                         config.sparse.mask_level,
                         ', '.join(str(l) for l in levels) or 'none'))


def rewinding(config):
  """How the lottery level --mask_level started: (k, first iteration).

  Level L > 0 of a lottery trial trains from level 0's weights at its
  --rewind_iteration k, iterations k..T when it continues level 0 (0..T
  when it restarts), under its data, model and training settings; level 0
  trains 0..T from the initialisation. A
  lottery run of that level's mask starts the same way, so it must be
  configured as the level was (OpenLTH's randomly_prune branch, start_at
  'rewind', trains from the level's start step with the lottery's
  training hyperparameters).

  Raises:
    ValueError: for a level that retrained other than from rewound weights,
      or a data, model or training setting that differs from the level's.
  """
  level = config_lib.read(paths.config(config.mask_path))
  differs = hparams.differences(settings.BASE, level.values, config.values)
  if differs:
    name, there, here = differs[0]
    raise ValueError('--mask_level={}: --{}={} here, but {} trained with '
                     '{}: a lottery run of its mask trains as it did'.format(
                         config.sparse.mask_level, name, here,
                         config.mask_path, there))
  if config.sparse.mask_level == 0:
    return 0, 0  # level 0 trains 0..T from the initialisation
  lottery = level.lottery
  if lottery.retrain != 'rewind_weights':
    raise ValueError('--mask_level={}: {} retrained with --retrain={}, not '
                     'from rewound weights'.format(
                         config.sparse.mask_level, config.mask_path,
                         lottery.retrain))
  k = lottery.rewind_iteration
  return k, (k if k and lottery.rewind_schedule == 'continue' else 0)


def _kept_weights(config, rewind, shapes):
  """The weights a lottery run keeps: those the run --mask_from started
  from or, with --mask_level, level 0's at iteration `rewind` (its initial
  weights for 0) of the lottery trial --mask_from, checked against its
  hashes. A lottery level's initial/ is masked by its own mask; the weights
  of another mask of that level are level 0's at k."""
  if config.sparse.mask_level < 0:
    directory = paths.initial(config.mask_path)
    if not os.path.isdir(directory):
      raise ValueError('--mask_from={} has no initial weights ({}): lottery '
                       'needs the run directory'.format(config.mask_path,
                                                        directory))
    return _saved_weights(directory, shapes)
  level0 = paths.run(config.sparse.mask_from, 0, constants.EXPERIMENT_NAME)
  if not integrity.verify_finished(level0):
    raise ValueError('--mask_level={}: {} is not a finished level 0 (no DONE '
                     'file)'.format(config.sparse.mask_level, level0))
  return _saved_weights(
      paths.rewind(level0, rewind) if rewind else paths.initial(level0), shapes)


def _dense_start(config, dataset, hyperparameters, stream):
  """Builds the dense network; returns its weights, kernel shapes and
  one-shot masks (None for a method that does not prune at initialisation)."""
  with _built(config, dataset, hyperparameters, stream) as (model, sess):
    weights = model.get_current_weights(sess)
    shapes = {n: model.kernels[n].shape.as_list() for n in model.layer_names}
    if not config.sparse_method.one_shot:
      return weights, shapes, None
    _, decisions = fixed_batches(config, dataset)
    batch = fixed_batch.FixedBatch(*decisions, name='decisions')
    batch.initialize(sess)
    counts = sparsity_distribution.layer_counts(
        shapes, config.sparse.sparsity, config.sparse.distribution)
    return weights, shapes, prune_at_init.prune(
        sess, config.sparse_method.one_shot, model, batch, counts,
        input_shape=dataset.input_shape,
        rounds=config.sparse.prune_rounds or None,
        scope=config.sparse.prune_scope,
        invert=config.sparse.ablation == 'invert',
        seed=config.stream_seed(PRUNE_SEED),
        grasp_variant=config.sparse.grasp_variant,
        grasp_temperature=config.sparse.grasp_temperature or None)


@contextlib.contextmanager
def _built(config, dataset, hyperparameters, stream, **model_args):
  """The run's model drawn from initialisation `stream`, in a graph of its
  own, and a session with its variables initialised."""
  with tf.Graph().as_default() as graph:
    inputs, labels = dataset.placeholders()
    model = builders.make_model_fn(config, dataset.num_classes, stream,
                                   hyperparameters)(inputs, labels,
                                                    **model_args)
    with session_lib.new_session(graph) as sess:
      sess.run(tf.global_variables_initializer())
      yield model, sess


def _drawn_weights(config, dataset, hyperparameters, stream):
  """The initial weights of the network drawn from initialisation `stream`."""
  with _built(config, dataset, hyperparameters, stream) as (model, sess):
    return model.get_current_weights(sess)


def _ablate(config, dataset, hyperparameters, masks, weights):
  """The sanity checks of Frankle, Dziugaite, Roy & Carbin 2021 applied to
  a mask pruned at initialisation: 'shuffle' permutes each layer's mask
  (seeded), 'reinit' keeps the mask and re-draws the kept weights with the
  network's initialiser from a stream of their own ('invert' is done by the
  pruning itself, see prune_at_init). Returns (masks, weights)."""
  ablation = config.sparse.ablation
  if ablation == 'shuffle':
    masks = sparsity_distribution.shuffle_masks(
        masks, config.stream_seed(ABLATION_SEED))
  elif ablation == 'reinit':
    fresh = _drawn_weights(config, dataset, hyperparameters,
                           sparse_methods.REINIT_STREAM)
    weights = dict(weights)
    weights.update({name: fresh[name] for name in masks})
  return masks, weights


def _start_masks(config, dataset, shapes, weights, dense_masks):
  """The starting masks of a method (one-shot masks, when given, win)."""
  if dense_masks is not None:
    return dense_masks
  if config.mask_path:
    masks = load_masks(config.mask_path, shapes, config.sparse.sparsity)
    if config.sparse.shuffle_mask:
      masks = sparsity_distribution.shuffle_masks(
          masks, config.stream_seed(SHUFFLE_SEED))
    return masks
  if config.sparse_method.start == 'random':
    counts = sparsity_distribution.layer_counts(shapes, config.sparse.sparsity,
                                                config.sparse.distribution)
    return sparsity_distribution.random_masks(shapes, counts,
                                              config.stream_seed(MASK_SEED))
  at_start = (config.sparsity_schedule(config.total_steps(dataset))
              .sparsity_at(0) if config.sparse_method.gradual else 0)
  if at_start > 0:
    # Pruning scheduled at step 0 happens here, before the first update.
    counts = sparsity_distribution.layer_counts(
        shapes, at_start, config.sparse.distribution)
    return prune_at_init.keep_top(
        {n: np.abs(weights[n]) for n in shapes}, counts)
  return {n: np.ones(s, np.float32) for n, s in shapes.items()}


def _initialise(config, dataset, hyperparameters, stream, masks, weights):
  """Applies the initialisation method (MetaInit trains the masked
  network's start in a graph of its own); returns (weights, info)."""
  kernels = {n: weights[n] * masks[n] for n in masks}
  if config.sparse.init_method == 'unit_scaled':
    kernels = sparse_init.unit_scaled(masks, config.model.initializer,
                                      config.stream_seed(INIT_SEED) + stream,
                                      mode=config.sparse.init_fan_mode)
  elif config.sparse.init_method == 'layer_scaled':
    kernels = sparse_init.layer_scaled(kernels, masks)
  weights = dict(weights, **kernels)
  if config.sparse.init_method != 'metainit':
    return weights, {}
  with _built(config, dataset, hyperparameters, stream, presets=weights,
              masks=masks) as (model, sess):
    before, after = sparse_init.metainit(
        sess, model, dataset.input_shape, dataset.num_classes,
        steps=config.sparse.metainit_steps,
        learning_rate=config.sparse.metainit_lr,
        momentum=config.sparse.metainit_momentum,
        batch_size=config.sparse.metainit_batch_size,
        seed=config.stream_seed(METAINIT_SEED),
        scope=config.sparse.metainit_scope)
    weights = model.get_current_weights(sess)
  return weights, {'metainit_gradient_quotient': [before, after]}


def _saved_start_usable(run_dir):
  """Whether a resumed run may reuse the start it saved (initial/ and
  initial_masks/). Once a checkpoint was made, its hashes (which cover the
  run's arrays) must vouch for the start; a start that differs is named and
  made again, as a new run makes it (the same start, when only the file was
  damaged)."""
  start_dirs = (paths.initial(run_dir), paths.initial_masks(run_dir))
  if not all(os.path.isdir(d) for d in start_dirs):
    return False
  saved = checkpoint_files.complete(run_dir)
  if not saved:
    return True
  recorded = checkpoint_files.recorded_hashes(run_dir, saved[-1])
  prefixes = tuple(os.path.relpath(d, run_dir) + os.sep for d in start_dirs)
  damaged = integrity.first_damaged(run_dir, {
      name: digest for name, digest in recorded.items()
      if name.startswith(prefixes)})
  if damaged:
    progress.notice('{} {}: the run\'s start is made again'.format(*damaged))
  return not damaged


def prepare(config, dataset, run_dir=None):
  """The starting point of a run (reused from run_dir when resuming).

  Args:
    config: the resolved Config (with the sparse concern).
    dataset: the DatasetBase.
    run_dir: the run directory whose saved start a resumed run reuses
      (None: none); a new start is not saved here (sparse_train records
      it), so that a start that fails its checks writes nothing.

  Returns:
    A Start.

  Raises:
    ValueError: for a mask or initial weights that do not fit the network.
  """
  hyperparameters = config.hyperparameters(dataset.num_classes)
  info = {}
  if config.sparse_method.narrow:
    shapes, biases = small_dense.kernel_shapes(hyperparameters,
                                               dataset.input_shape)
    # The sparse network's parameters: its surviving weights, every bias.
    kept = sparsity_distribution.layer_counts(
        shapes, config.sparse.sparsity, config.sparse.distribution)
    budget = sum(kept.values()) + sum(biases.values())
    hyperparameters, count = small_dense.match_budget(
        hyperparameters, dataset.input_shape, budget,
        rule=config.sparse.small_dense_rule)
    info.update(small_dense_widths=small_dense.hidden_widths(hyperparameters),
                small_dense_parameters=count, parameter_budget=budget)
  stream = config.sparse_method.stream(bool(config.mask_path))
  check_mask_level(config)
  rewind = first_iteration = 0
  if config.sparse_method.keeps_weights and config.sparse.mask_level >= 0:
    rewind, first_iteration = rewinding(config)
    info.update(rewind_iteration=rewind, first_iteration=first_iteration)

  if run_dir and _saved_start_usable(run_dir):
    return Start(hyperparameters,
                 save_restore.restore_network(paths.initial_masks(run_dir)),
                 save_restore.restore_network(paths.initial(run_dir)),
                 info, stream, resumed=True, first_iteration=first_iteration)

  weights, shapes, dense_masks = _dense_start(config, dataset,
                                              hyperparameters, stream)
  masks = _start_masks(config, dataset, shapes, weights, dense_masks)
  masks, weights = _ablate(config, dataset, hyperparameters, masks, weights)
  # A layer left without weights, or cut off from the input, is said and
  # recorded: the run would otherwise train a constant predictor silently.
  where = ' ({})'.format(run_dir) if run_dir else ''
  info.update(config.check_connectivity(
      masks, lambda line: progress.notice(line + where)))
  if config.sparse_method.keeps_weights:
    weights = _kept_weights(config, rewind,
                            {k: np.shape(v) for k, v in weights.items()})
    weights = {k: (v * masks[k] if k in masks else v)
               for k, v in weights.items()}
  else:
    weights, more = _initialise(config, dataset, hyperparameters, stream,
                                masks, weights)
    info.update(more)
  start_masks = masks_lib.Masks(masks)
  info.update(initial_density=start_masks.layer_density(),
              initial_overall_density=start_masks.density())
  return Start(hyperparameters, masks, weights, info, stream,
               first_iteration=first_iteration)
