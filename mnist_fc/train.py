"""Train a network once, optionally with masks and presets.

`masks` and `presets` may be dicts, paths of saved networks, or (masks only)
lists of paths combined by union (default) or intersection.
"""

from lottery_ticket.foundations import choices
from lottery_ticket.foundations import save_restore
from lottery_ticket.foundations import union
from lottery_ticket.mnist_fc import builders
from lottery_ticket.mnist_fc import config as config_lib
from lottery_ticket.mnist_fc import experiments
from lottery_ticket.mnist_fc import packed_runs

EXPERIMENT = experiments.TRAIN.name


def train(output_dir, masks=None, presets=None, config=None,
          combine=experiments.COMBINE[0], overwrite=False, hyperparameters=None,
          schedule_steps=None, **flags):
  """Trains once into output_dir (re-running a finished run is a no-op).

  Args:
    output_dir: the run directory.
    masks, presets, config, combine, hyperparameters, schedule_steps: as
      run_spec's.
    overwrite: start over if output_dir holds a run.
    **flags: settings of the data, model and training concerns.

  Returns:
    (initial_weights, final_weights).

  Raises:
    ValueError: for bad settings or masks, or an output directory holding a
      run of another configuration (nothing is written then).
  """
  run, dataset = run_spec(output_dir, masks, presets, config, combine,
                          hyperparameters, schedule_steps, flags=flags)
  return packed_runs.execute(
      [run], dataset, EXPERIMENT, EXPERIMENT,
      schedule_steps or run.config.total_steps(dataset), overwrite=overwrite,
      hyperparameters=hyperparameters)[0]


def run_spec(output_dir, masks=None, presets=None, config=None,
             combine=experiments.COMBINE[0], hyperparameters=None,
             schedule_steps=None, first_iteration=0, flags=None, dataset=None):
  """The PackedRun `train` hands the executor, and its dataset (made, unless
  given), with every input checked and nothing written.

  Args:
    output_dir: the run directory.
    masks: masks to apply (dict, path, or list of paths combined by
      `combine`).
    presets: initial weights (dict or path).
    config: optional path of a saved config.json, or a Config.
    combine: 'union' or 'intersection' of several masks.
    hyperparameters: model hyperparameters replacing the configuration's
      (a small_dense network's narrowed widths).
    schedule_steps: the length of the learning-rate schedule (default: the
      training length), for a training that stops early in a longer one.
    first_iteration: the iteration training starts at: a training that
      continues another one from its iteration k runs k..training_len, the
      schedule and the data order going on from k.
    flags: settings of the data, model and training concerns (a dict).
    dataset: the dataset, when the caller has it.

  Returns:
    (packed_runs.PackedRun, dataset).
  """
  concerns = (config.concerns if isinstance(config, config_lib.Config)
              else experiments.TRAIN.concerns)
  run_config = config_lib.resolve(concerns, flags, config, source='train')
  given = {'masks': masks, 'presets': presets}
  details = {'masks': _source(masks), 'presets': _source(presets),
             'combine': combine}
  masks = combined_masks(masks, combine)
  if masks is not None:
    check_layers(masks, run_config.layer_names(), details['masks'])
  presets = save_restore.standardize(presets)
  dataset = dataset or run_config.make_dataset()
  run_config = config_lib.complete(run_config, dataset)
  builders.check_inputs(run_config, dataset, masks, presets, hyperparameters,
                        given)
  if schedule_steps or first_iteration:
    details.update(schedule_steps=schedule_steps,
                   first_iteration=first_iteration)
  return packed_runs.PackedRun(output_dir, run_config, masks=masks,
                               presets=presets, details=details), dataset


def combined_masks(masks, combine='union'):
  """One mask dict from a dict, a path, or several paths ('a,b' or a list).

  Raises:
    ValueError: for an empty entry of a list ('a,,b': a path left out by
      mistake would silently change the union), or an intersection asked
      of fewer than two masks (it would be ignored).
  """
  choices.check('combine', combine, experiments.COMBINE)
  if isinstance(masks, str) and ',' in masks:
    masks = masks.strip('[]').split(',')
  if isinstance(masks, (list, tuple)) and any(
      isinstance(m, str) and not m.strip().strip('\'"') for m in masks):
    raise ValueError('--masks={} has an empty entry: name each masks '
                     'directory once, separated by single commas'.format(
                         ','.join(str(m) for m in masks)))
  several = isinstance(masks, (list, tuple)) and len(masks) > 1
  if combine != experiments.COMBINE[0] and not several:
    raise ValueError('--combine={} combines several --masks; give two or '
                     'more, or leave it out'.format(combine))
  if isinstance(masks, (list, tuple)):
    loaded = [save_restore.standardize(m.strip().strip('\'"') if isinstance(
        m, str) else m) for m in masks]
    return (union.union(*loaded) if combine == 'union'
            else union.intersect(*loaded))
  return save_restore.standardize(masks)


def check_layers(masks, layer_names, source):
  """Refuses masks that do not cover exactly the network's layers.

  A layer without a mask would train dense (and a mask of a layer the
  network lacks would be ignored), so the run would not be the one asked
  for.

  Raises:
    ValueError: naming the masks' source and the layers that differ.
  """
  missing = [n for n in layer_names if n not in masks]
  extra = sorted(set(masks) - set(layer_names))
  if missing:
    raise ValueError('--masks={} has no mask for layer {} (it has: {})'.format(
        source, ', '.join(missing), ', '.join(sorted(masks))))
  if extra:
    raise ValueError('--masks={} has masks of layers this network lacks: {} '
                     '(its layers: {})'.format(source, ', '.join(extra),
                                               ', '.join(layer_names)))


def _source(network):
  """How a mask or preset argument is recorded in config.json."""
  if network is None or isinstance(network, (str, list, tuple)):
    return network if not isinstance(network, tuple) else list(network)
  return 'dict of {}'.format(', '.join(sorted(network)))

