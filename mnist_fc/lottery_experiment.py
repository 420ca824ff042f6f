"""The lottery ticket experiment on MNIST-like data: one trial, or several packed.

Writes {output_dir}/{level}/{experiment_name}/ for levels 0..iterations.
Re-running the same command skips finished levels and resumes the level that
was interrupted, ending with the same masks and weights; re-running it with
another configuration is refused (see runs.py). More levels (a larger
`iterations`) extend a finished trial.

With `trials=N` the N trials (seeds seed..seed+N-1, in {output_dir}/trial{t})
go through the levels together: each level's trials train as one pack
(packed_runs.py), each trial bit-identical to the same trial run alone, so
a trial directory is the same whichever way it was made (trials.py).

How levels after 0 retrain (--retrain; Renda, Frankle & Carbin 2020,
"Comparing Rewinding and Fine-tuning in Neural Network Pruning", following
the commands of lottery-ticket/rewinding-iclr20-public vision/gpu-src/README.md
as facts):

  rewind_weights  the survivors restart from level 0's weights at
                  --rewind_iteration=k (the initialisation for k = 0): the
                  lottery ticket experiment.
  rewind_lr       the previous level's trained weights, masked, train
                  iterations k..T, the learning-rate schedule (and the data
                  order) replayed from k (the reference's
                  --lottery_reset_global_step_to).
  finetune        the same weights train the same T - k iterations at the
                  final rate of a step schedule (--lr_schedule=step: the
                  rate of its last update), constant, or at --finetune_lr
                  (the reference's --lottery_force_learning_rate; it trains
                  T - k steps too). Any other schedule needs --finetune_lr
                  (config.check_finetune): a constant one's final rate
                  retrains as rewind_lr, a cosine one's is about 0.
"""

import os

from lottery_ticket.foundations.sparse import connectivity
from lottery_ticket.foundations.storage import dir_lock
from lottery_ticket.foundations import experiment
from lottery_ticket.foundations.training import finite
from lottery_ticket.foundations import hparams
from lottery_ticket.foundations import trainer
from lottery_ticket.foundations import paths
from lottery_ticket.foundations import pruning as pruning_lib
from lottery_ticket.foundations import save_restore
from lottery_ticket.mnist_fc import builders
from lottery_ticket.mnist_fc import config as config_lib
from lottery_ticket.mnist_fc import constants
from lottery_ticket.mnist_fc import experiments
from lottery_ticket.mnist_fc import packed_runs
from lottery_ticket.mnist_fc import runs
from lottery_ticket.mnist_fc import trials as trials_lib

EXPERIMENT = experiments.LOTTERY.name


def lottery_experiment(output_dir, iterations=5,
                       experiment_name=constants.EXPERIMENT_NAME,
                       presets=None, config=None, overwrite=False, trials=0,
                       **flags):
  """Runs levels 0..iterations of one trial, or of `trials` trials packed.

  Args:
    output_dir: the trial directory (with `trials`: the directory of the
      trial directories, trial{t}).
    iterations: pruning levels after the dense level 0.
    experiment_name: the run name inside each level directory (a plain
      name: it becomes a directory).
    presets: initial weights of level 0 (dict or path of a saved network).
    config: optional saved config.json (or a Config) to start from.
    overwrite: start over, removing this experiment's earlier levels.
    trials: 0 for one trial in output_dir; N trains trials seed..seed+N-1
      together, level by level, each exactly as alone (see trials.py).
    **flags: settings of the data, model, training and lottery concerns.

  Returns:
    (masks, final_weights) of the last level; with `trials`, a dict seed ->
    that pair.

  Raises:
    ValueError: for bad settings, or an output directory holding a run of
      another configuration (nothing is written then).
    finite.NonFiniteError: if a trial diverged (with `trials`, after the
      others finished).
  """
  run_config = experiments.LOTTERY.resolve(flags, config,
                                           source='lottery_experiment')
  iterations = _count('iterations', iterations)
  if iterations >= constants.SEED_STRIDE:
    # Level L of random pruning draws from seed * SEED_STRIDE + L.
    raise ValueError('--iterations={} must be < {}: later levels would draw '
                     'the random choices of another seed'.format(
                         iterations, constants.SEED_STRIDE))
  config_lib.check_across(run_config, iterations=iterations)
  trials = trials_lib.count(trials)
  paths.check_name(experiment_name, 'experiment_name')
  presets_source = presets if isinstance(presets, str) else None
  presets = save_restore.standardize(presets)
  dataset = run_config.make_dataset()
  run_config = config_lib.complete(run_config, dataset)
  builders.check_inputs(run_config, dataset, presets=presets,
                        given={'presets': presets_source})

  def trial(directory, trial_config):
    return _Trial(directory, config_lib.complete(trial_config, dataset),
                  experiment_name, iterations, presets_source)

  if not trials:
    return _run(
        [trial(output_dir, run_config)], dataset, presets, overwrite)[
            run_config.training.seed]
  dir_lock.refuse_outside_links(output_dir)  # every trial beneath it
  members = [trial(trials_lib.directory(output_dir, seed), trial_config)
             for seed, trial_config in trials_lib.configs(run_config, trials)]
  return _run(members, dataset, presets, overwrite)


class _Trial(experiment.Trial):
  """One trial's directories, configuration, pruning and bookkeeping."""

  def __init__(self, output_dir, config, experiment_name, iterations,
               presets_source):
    self.output_dir = output_dir
    self.config = config
    self.experiment_name = experiment_name
    self.iterations = iterations
    self.presets_source = presets_source
    self.percents = config.prune_percents()
    self.prune_masks = pruning_lib.make_prune_masks(
        config.lottery.pruning, self.percents, config.training.seed,
        output_layer=config.output_layer(), ignore=config.prune_ignore())
    self.rewind = config.lottery.rewind_iteration
    self.retrain = config.lottery.retrain
    self.rewinds_weights = self.retrain == 'rewind_weights'
    # With late rewinding as OpenLTH does it, later levels continue level 0
    # from iteration k: they train k..T (schedule and data order included);
    # rewinding the learning rate and fine-tuning train k..T too.
    self.continues = bool(self.rewind and (
        not self.rewinds_weights or
        config.lottery.rewind_schedule == 'continue'))

  def run_dir(self, level):
    return paths.run(self.output_dir, level, self.experiment_name)

  def lock(self, overwrite):
    """Locks the trial; with overwrite, refuses levels that hold another
    run (runs.check_clearable), before any trial is cleared."""
    runs.lock(self.output_dir)
    if overwrite:
      for level in _recorded_levels(self.output_dir, self.experiment_name):
        runs.check_clearable(self.run_dir(level))

  def claim(self, overwrite):
    """Checks (or clears) the locked trial's levels and says where it is."""
    levels = _recorded_levels(self.output_dir, self.experiment_name)
    if overwrite:
      for level in levels:
        runs.clear_run(self.run_dir(level))
      if levels:
        runs.say('overwriting levels {} of {}'.format(
            trials_lib.span(levels), self.output_dir))
    states = {}
    for level in _recorded_levels(self.output_dir, self.experiment_name):
      states[level] = runs.claim(self.run_dir(level), self.config, EXPERIMENT)
    _announce(self.output_dir, states, self.iterations)

  def details(self, level, masks=None):
    """What a level's config.json records beside the settings; a level
    whose new masks leave a layer empty or cut off from the input, or some
    output unreached, says so and records it (connectivity.check)."""
    out = {'experiment_name': self.experiment_name, 'level': level,
           'iterations': self.iterations, 'prune_percents': self.percents,
           'presets': self.presets_source}
    if masks is not None:
      where = ' ({})'.format(self.run_dir(level))
      out.update(self.config.check_connectivity(
          masks, lambda line: runs.say(line + where)))
    return out

  def label(self, level):
    return 'level {}/{}'.format(level, self.iterations)

  def prune(self, level, masks, final_weights):
    return self.prune_masks(masks, final_weights, level)

  def finished(self, level):
    return runs.load_finished(self.run_dir(level))

  def reset(self, initial):
    """The weights later levels start from: level 0's initial, or its
    weights at the rewinding iteration."""
    if not (self.rewind and self.rewinds_weights):
      return initial
    return save_restore.restore_network(paths.rewind(self.run_dir(0),
                                                     self.rewind))

  def start(self, reset, previous_final):
    """The weights a level after 0 starts from: the reset weights
    (rewind_weights), or the previous level's final weights (rewind_lr,
    finetune); the model multiplies either by the level's masks."""
    return reset if self.rewinds_weights else previous_final

  def save_weights_at(self, level):
    wanted = level == 0 and self.rewind and self.rewinds_weights
    return [self.rewind] if wanted else []

  def first_iteration(self, level):
    return self.rewind if self.continues and level > 0 else 0

  def optimizer_fn(self, level, total_steps, steps_per_epoch=None):
    """The optimizer of a level: the configuration's (None), or for a
    fine-tuned level a constant one at --finetune_lr, or when that is 0 at
    the step schedule's final rate (steps_per_epoch: the dataset's, for
    learning-rate drops in epochs)."""
    if level == 0 or self.retrain != 'finetune':
      return None
    rate = self.config.lottery.finetune_lr or builders.final_rate(
        self.config.training, total_steps, steps_per_epoch)
    return builders.constant_optimizer_fn(self.config.training, rate)


def _run(trials, dataset, presets, overwrite):
  """The trials through foundations.experiment's levels, each level's
  unfinished trials as one pack (a lone trial is a pack of one).

  A trial that diverges leaves the experiment; the others go on to the last
  level, then its error is raised.
  """
  for trial in trials:
    trial.lock(overwrite)
  for trial in trials:
    trial.claim(overwrite)
  first = trials[0]
  total_steps = first.config.total_steps(dataset)

  def train_pack(level, jobs):
    members = [packed_runs.PackedRun(
        job.trial.run_dir(level), job.trial.config, masks=job.masks,
        presets=job.presets, details=job.trial.details(level, job.masks))
               for job in jobs]
    label = first.label(level)
    if len(trials) > 1:
      label += ' trials {}'.format(trials_lib.span(
          [job.trial.config.training.seed for job in jobs]))
    try:
      return packed_runs.train_together(
          members, dataset, EXPERIMENT, label, total_steps,
          save_weights_at=first.save_weights_at(level),
          first_iteration=first.first_iteration(level),
          optimizer_fn=first.optimizer_fn(
              level, total_steps, first.config.steps_per_epoch(dataset)))
    except trainer.PackDiverged as diverged:
      return [diverged.errors.get(i, result)
              for i, result in enumerate(diverged.results)]

  results, errors = experiment.experiment(trials, first.iterations,
                                          train_pack, presets)
  if errors:
    raise finite.NonFiniteError('; '.join(
        '{}: {}'.format(trials[i].output_dir, errors[i])
        for i in sorted(errors)))
  return {trial.config.training.seed: result
          for trial, result in zip(trials, results)}


def _count(name, value):
  number = hparams.parse_int(name, value)
  if number < 0:
    raise ValueError('--{}={} must be >= 0'.format(name, number))
  return number


def _recorded_levels(output_dir, experiment_name):
  """The levels of this experiment that recorded a configuration."""
  if not os.path.isdir(output_dir):
    return []
  levels = []
  for entry in os.listdir(output_dir):
    if entry.isdigit() and os.path.exists(
        paths.config(paths.run(output_dir, entry, experiment_name))):
      levels.append(int(entry))
  return sorted(levels)


def _announce(output_dir, states, iterations):
  """Says whether the trial resumes, and from where."""
  finished = sorted(l for l, s in states.items() if s == 'finished')
  if not states:
    return
  if len(finished) >= iterations + 1 and all(
      l in finished for l in range(iterations + 1)):
    runs.say('{}: levels 0-{} already finished, nothing to train'.format(
        output_dir, iterations))
    return
  started = sorted(l for l, s in states.items() if s == 'resume')
  runs.say('{}: resuming{}{}'.format(
      output_dir,
      ' (levels {} finished)'.format(trials_lib.span(finished)) if finished else '',
      ' at level {}'.format(started[0]) if started else ''))
