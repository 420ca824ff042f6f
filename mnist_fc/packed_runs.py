"""The run executor: run directories claimed, read back or trained as one pack.

Every run of mnist_fc trains here, whatever its kind (`train` with masks, a
lottery level, a reinitialisation control, a sparse trial, a small_dense
network, instability's copies): its command describes each run as a
PackedRun and hands them to `execute`, which claims each directory, reads a
finished run back, and trains the others as one pack (a lone run is a pack
of one). No run kind manages directories itself. Each run of the pack gets
its config.json first and its DONE last, and foundations.trainer trains the
networks as one pack, each as it would train alone. The runs must share
everything but their seed-derived values, masks and starting weights (they
are the trials of one command, see trials.py). A run may bring
its own training hooks (a sparse run's mask updates and measurements),
built on its network of the pack as they would be on its model alone.
"""

import dataclasses
import time
from typing import Any, Callable, Optional

from lottery_ticket.foundations import trainer
from lottery_ticket.foundations.storage import dir_lock
from lottery_ticket.mnist_fc import builders
from lottery_ticket.mnist_fc import config as config_lib
from lottery_ticket.mnist_fc import runs
from lottery_ticket.mnist_fc import trials as trials_lib


@dataclasses.dataclass
class PackedRun(object):
  """One run directory of a pack.

  Attributes:
    run_dir: where it writes.
    config: its completed Config (its seed, its order seed).
    masks: dict layer -> 0/1 array, or None (dense).
    presets: its starting weights (dict), or None (its own initialisation).
    details: what config.json records beside the settings.
    init_stream: the initialisation stream of its seed (Config.stream_seed).
    hooks: optional callable(network, optimizer) -> trainer.Hooks: this
      run's hooks, built on its network of the pack.
    root: the output directory the user gave, when run_dir lies beneath it
      (the lock refuses links leading out of it).
    lock_dir: the directory whose lock covers the run (default: run_dir;
      a lottery level's is its trial's, covering every level).
    record: optional callable() writing the run's config.json and what it
      records beside it (a sparse run's starting masks); default: the
      configuration and `details`.
  """
  run_dir: str
  config: config_lib.Config
  masks: Optional[Any] = None
  presets: Optional[Any] = None
  details: Optional[dict] = None
  init_stream: int = 0
  hooks: Optional[Callable[[Any, Any], Any]] = None
  root: Optional[str] = None
  record: Optional[Callable[[], None]] = None
  lock_dir: Optional[str] = None


# What the runs of a pack may differ in: their seeds, and the settings that
# name each run's own inputs (a trial's --mask_from).
PER_RUN = ('seed', 'train_order_seed', 'mask_from')


def _shared(members):
  """The pack's shared configuration, after checking the others agree.

  Raises:
    ValueError: if two runs differ in a setting other than PER_RUN.
  """
  first = members[0].config
  for member in members[1:]:
    differs = [name for name, _, _ in first.identity_differences(member.config)
               if name not in PER_RUN]
    if differs:
      raise ValueError('runs of a pack differ in {}: {} and {}'.format(
          ', '.join(differs), members[0].run_dir, member.run_dir))
  return first


def claim(members, experiment, overwrite=False, keep_checkpoints=False,
          say=True):
  """Claims the members' directories: every one is locked and checked
  (runs.check) before any is changed, so a refused run (or trial) leaves no
  trace; then each is cleared (overwrite) or tidied (finished).

  Args:
    members: a list of PackedRun.
    experiment: what config.json records as the experiment.
    overwrite: clear a recorded run of each directory.
    keep_checkpoints: keep the checkpoints of finished runs.
    say: say which runs are finished and which resume.

  Returns:
    Per member, 'finished', 'resume' or 'new'.

  Raises:
    ValueError: for a directory that holds another run (or a link leading
      out of the output directory, or the lock of another process).
  """
  locks = [member.lock_dir or member.run_dir for member in members]
  for root, lock in dict.fromkeys((member.root or lock, lock)
                                  for member, lock in zip(members, locks)):
    dir_lock.refuse_outside_links(root, lock)
  states = []
  for member, lock in zip(members, locks):
    runs.lock(lock)
    states.append(runs.check(member.run_dir, member.config, experiment,
                             overwrite))
  cleared = dict.fromkeys(lock for lock, state in zip(locks, states)
                          if state == 'clear')
  states = [runs.take(member.run_dir, state, keep_checkpoints)
            for member, state in zip(members, states)]
  for lock in cleared:  # one line a run, or a trial for all its levels
    runs.say('overwriting {}'.format(lock))
  for member, state in zip(members, states):
    if say and state != 'new':
      runs.say('{}: {}'.format(member.run_dir, _SAID[state]))
  return states


_SAID = {'finished': 'already finished, nothing to train',
         'resume': 'resuming from its latest checkpoint'}


def execute(members, dataset, experiment, label, total_steps,
            overwrite=False, prepare=None, name_trials=False,
            keep_checkpoints=False, **train_args):
  """Runs `members`: each directory claimed, a finished run read back, the
  others trained as one pack.

  Every directory is claimed (claim) before any is written; then `prepare`
  may still refuse, and only then are the runs recorded and trained.

  Args:
    members: a list of PackedRun.
    dataset: the dataset they share.
    experiment: what config.json records as the experiment.
    label: the progress label of the pack.
    total_steps: the length of the learning-rate schedule.
    overwrite: clear a run of the same directory before training it again.
    prepare: optional callable(members) completing the unfinished members
      (their masks, starting weights, hooks, record) before anything is
      written; it returns _train_together arguments they share (a dict).
    name_trials: add the seeds of the runs trained to the label.
    keep_checkpoints: keep every checkpoint (sparse runs, for analysis).
    **train_args: _train_together's other arguments.

  Returns:
    Per member, (initial_weights, final_weights).
  """
  states = claim(members, experiment, overwrite, keep_checkpoints)
  results = [runs.load_finished(m.run_dir)[:2] if state == 'finished'
             else None for m, state in zip(members, states)]
  pending = [m for m, state in zip(members, states) if state != 'finished']
  if not pending:
    return results
  if prepare:
    train_args.update(prepare(pending))
  if name_trials:
    label += ' trials {}'.format(trials_lib.span(
        [member.config.training.seed for member in pending]))
  trained = iter(_train_together(pending, dataset, experiment, label,
                                total_steps, keep_checkpoints=keep_checkpoints,
                                **train_args))
  # A finished run's result is a pair; the others take the pack's, in order.
  return [result or next(trained) for result in results]


def _train_together(members, dataset, experiment, label, total_steps,
                   save_weights_at=(), first_iteration=0, hyperparameters=None,
                   optimizer_fn=None, keep_checkpoints=False):
  """Records, trains and finishes the runs of `members` as one pack.

  Args:
    members: a list of PackedRun (none of them finished).
    dataset: the dataset they share, held once.
    experiment: what config.json records as the experiment.
    label: the progress label of the pack.
    total_steps: the length of the learning-rate schedule.
    save_weights_at: iterations whose weights every run saves (rewinding).
    first_iteration: the iteration every run starts at (a level that
      continues another one).
    hyperparameters: the architecture every run builds (default: the
      configuration's; a narrower one for small_dense).
    optimizer_fn: the runs' optimizer_fn (default: the configuration's).
    keep_checkpoints: keep every checkpoint, also once the runs are done
      (sparse runs keep them for analysis).

  Returns:
    Per member, (initial_weights, final_weights), or None for a network
    that diverged.

  Raises:
    trainer.PackDiverged: after every network that did not diverge
      has finished (and been marked DONE); it holds every member's result.
      A pack of one raises its network's own NonFiniteError instead.
    ValueError: for runs that cannot share a pack.
  """
  config = _shared(members)
  for member in members:
    if member.record:
      member.record()
    else:
      runs.record(member.run_dir, member.config, experiment, member.details)
  pack = [trainer.Member(
      output_dir=m.run_dir, init_seed=m.config.stream_seed(m.init_stream),
      order_seed=m.config.data.train_order_seed, masks=m.masks,
      presets=m.presets)
          for m in members]
  started = time.time()
  try:
    results = trainer.train(
        dataset, hyperparameters or config.hyperparameters(
            dataset.num_classes), pack,
        optimizer_fn or builders.optimizer_fn(
            config.training, total_steps, config.steps_per_epoch(dataset)),
        config.training.training_len, config.training,
        build_hooks=_hooks_builder(members),
        augment=builders.augmentation_of(config, dataset), progress=label,
        first_iteration=first_iteration, save_weights_at=save_weights_at,
        keep_checkpoints=(0 if keep_checkpoints else
                          trainer.DEFAULT_KEEP_CHECKPOINTS))
  except trainer.PackDiverged as diverged:
    _finish(members, diverged.results, started, keep_checkpoints)
    if len(members) == 1:
      raise diverged.errors[0] from None
    raise
  _finish(members, results, started, keep_checkpoints)
  return results


def _hooks_builder(members):
  """trainer.train's build_hooks for the members' own hooks (None: none)."""
  if not any(m.hooks for m in members):
    return None

  def build_hooks(index, network, optimizer):
    hooks = members[index].hooks
    return hooks(network, optimizer) if hooks else trainer.Hooks()
  return build_hooks


def _finish(members, results, started, keep_checkpoints):
  for member, result in zip(members, results):
    if result is not None:
      runs.mark_done(member.run_dir, started, keep_checkpoints)
