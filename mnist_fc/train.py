"""Train a network once, optionally with masks and presets.

`masks` and `presets` may be dicts, paths of saved networks, or (masks only)
lists of paths whose union is used.
"""

from lottery_ticket.foundations import experiment
from lottery_ticket.foundations import save_restore
from lottery_ticket.mnist_fc import run_config as run_config_lib
from lottery_ticket.mnist_fc import runs


def train(output_dir, masks=None, presets=None, config=None, init_stream=0,
          **flags):
  """Trains once into output_dir (re-running a finished run is a no-op).

  Args:
    output_dir: the run directory.
    masks: masks to apply (dict, path, or list of paths for their union).
    presets: initial weights (dict or path).
    config: optional path of a saved config.json (or a RunConfig).
    init_stream: which stream of random initialisations to draw from for
      the given seed (0 is the lottery experiment's; controls use others so a
      'fresh' initialisation really differs from the original one).
    **flags: RunConfig fields overriding it.

  Returns:
    (initial_weights, final_weights).
  """
  run_config = (config if isinstance(config, run_config_lib.RunConfig)
                else run_config_lib.RunConfig.from_flags(config, **flags))
  finished = runs.load_finished(output_dir)
  if finished is not None:
    return finished[0], finished[1]
  sources = {'masks': _source(masks), 'presets': _source(presets)}
  masks = save_restore.standardize(masks)
  presets = save_restore.standardize(presets)
  dataset = run_config.make_dataset()
  train_model = runs.make_train_model(
      run_config, lambda level: output_dir, lambda level: 'train',
      describe=lambda level: sources)
  return experiment.train_once(
      lambda: dataset, run_config.make_model_fn(dataset.num_classes, init_stream),
      train_model, 0, presets=presets, masks=masks)


def _source(network):
  """How a mask or preset argument is recorded in config.json."""
  if network is None or isinstance(network, (str, list, tuple)):
    return network
  return 'dict of {}'.format(', '.join(sorted(network)))
