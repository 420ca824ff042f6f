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

from lottery_ticket.foundations import experiment
from lottery_ticket.foundations.training import finite
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


def lottery_experiment(output_dir, iterations=experiments.ITERATIONS.default,
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
  iterations = experiments.ITERATIONS.parse(iterations)
  config_lib.check_across(run_config, iterations=iterations)
  trials = trials_lib.TRIALS.parse(trials)
  paths.check_name(experiment_name, 'experiment_name')
  presets_source = presets if isinstance(presets, str) else None
  presets = save_restore.standardize(presets)
  dataset = run_config.make_dataset()
  run_config = config_lib.complete(run_config, dataset)
  builders.check_inputs(run_config, dataset, presets=presets,
                        given={'presets': presets_source})
  members = [_Trial(trial_dir, trial_config, experiment_name, iterations,
                    presets_source, root=output_dir)
             for trial_dir, trial_config in trials_lib.runs(
                 output_dir, run_config, trials, dataset)]
  return trials_lib.results(members, _run(members, dataset, presets,
                                          overwrite), trials)


class _Trial(experiment.Trial):
  """One trial's levels, configuration, pruning and bookkeeping."""

  def __init__(self, output_dir, config, experiment_name, iterations,
               presets_source, root=None):
    self.output_dir = output_dir
    self.root = root
    self.config = config
    self.experiment_name = experiment_name
    self.iterations = iterations
    self.presets_source = presets_source
    self.percents = config.prune_percents()
    self.prune_masks = pruning_lib.make_prune_masks(
        config.lottery.pruning, self.percents, config.training.seed,
        output_layer=config.layer_names()[-1],
        ignore=config.lottery.prune_ignore)
    self.rewind = config.lottery.rewind_iteration
    self.rewinds_weights = config.lottery.retrain == 'rewind_weights'

  def run_dir(self, level):
    return paths.run(self.output_dir, level, self.experiment_name)

  def levels(self):
    """The levels it writes, and those it recorded before (overwrite
    clears them all)."""
    recorded = [int(entry) for entry in (
        os.listdir(self.output_dir) if os.path.isdir(self.output_dir) else ())
                if entry.isdigit() and os.path.exists(
                    paths.config(self.run_dir(entry)))]
    return sorted(set(range(self.iterations + 1)) | set(recorded))

  def run(self, level, job=None):
    """The executor's PackedRun of a level, under the trial's lock; with
    the loop's Job, the masks and weights it trains from and what its
    config.json records beside the settings (a level whose new masks leave
    a layer empty or cut off from the input, or some output unreached, says
    so and records it: connectivity.check)."""
    run = packed_runs.PackedRun(self.run_dir(level), self.config,
                                root=self.root, lock_dir=self.output_dir)
    if job is not None:
      run.masks, run.presets = job.masks, job.presets
      run.details = {'experiment_name': self.experiment_name,
                     'level': level, 'iterations': self.iterations,
                     'prune_percents': self.percents,
                     'presets': self.presets_source}
      if job.masks is not None:
        where = ' ({})'.format(run.run_dir)
        run.details.update(self.config.check_connectivity(
            job.masks, lambda line: runs.say(line + where)))
    return run

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

  def training(self, level, total_steps, steps_per_epoch):
    """How a level trains where it differs from a plain run (the arguments
    of packed_runs.execute; steps_per_epoch: the dataset's, for
    learning-rate drops in epochs).

    Level 0 saves its weights at the iteration later levels rewind to.
    With late rewinding as OpenLTH does it, later levels continue level 0
    from iteration k: they train k..T (schedule and data order included);
    rewinding the learning rate and fine-tuning train k..T too. A
    fine-tuned level trains at a constant rate: --finetune_lr or, when that
    is 0, the step schedule's final rate.
    """
    lottery, training = self.config.lottery, self.config.training
    if level == 0:
      wanted = self.rewind and self.rewinds_weights
      return {'save_weights_at': [self.rewind] if wanted else []}
    out = {}
    if self.rewind and (not self.rewinds_weights or
                        lottery.rewind_schedule == 'continue'):
      out['first_iteration'] = self.rewind
    if lottery.retrain == 'finetune':
      out['optimizer_fn'] = builders.constant_optimizer_fn(
          training, lottery.finetune_lr or builders.final_rate(
              training, total_steps, steps_per_epoch))
    return out


def _run(trials, dataset, presets, overwrite):
  """The trials through foundations.experiment's levels, each level's
  unfinished trials as one pack (a lone trial is a pack of one).

  The executor claims every level of every trial before anything is
  written; each trial says which of its levels are finished (a level that
  resumes says so when it trains). A trial that diverges leaves the
  experiment; the others go on to the last level, then its error is raised.
  """
  claimed = [(trial, level, trial.run(level))
             for trial in trials for level in trial.levels()]
  states = packed_runs.claim([run for _, _, run in claimed], EXPERIMENT,
                             overwrite, say=False)
  for trial in trials:
    finished = [level for (owner, level, _), state in zip(claimed, states)
                if owner is trial and state == 'finished']
    if set(range(trial.iterations + 1)) <= set(finished):
      runs.say('{}: levels 0-{} already finished, nothing to train'.format(
          trial.output_dir, trial.iterations))
    elif finished:
      runs.say('{}: resuming (levels {} finished)'.format(
          trial.output_dir, trials_lib.span(finished)))
  first = trials[0]
  total_steps = first.config.total_steps(dataset)

  def train_pack(level, jobs):
    try:
      return packed_runs.execute(
          [job.trial.run(level, job) for job in jobs], dataset, EXPERIMENT,
          'level {}/{}'.format(level, first.iterations), total_steps,
          name_trials=len(trials) > 1, **first.training(
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
  return results

