"""The lottery ticket loop: train, prune, reset the survivors, retrain.

Level 0 trains each trial's dense network. Every later level prunes the
trial's previous level (its masks and trained weights), starts the survivors
from the weights the trial's retraining names (level 0's initial weights, or
its weights at iteration k with late rewinding, or the previous level's
trained weights) and trains again.

Several trials go through the levels together: at each level, the trials
that still need it train as one pack (`train_pack`), and a trial whose level
finished earlier is read back instead (`Trial.finished`), so an interrupted
experiment resumes, and trials at different levels catch up together. A
trial that diverges leaves the loop; the others go on to the last level.

The steps are a trial's methods and the `train_pack` callable, so the loop
is independent of models, datasets and where things are stored, and a test
drives it with fakes (tests/test_experiment.py). mnist_fc/lottery_experiment.py
is its runner: its trials read finished levels from their run directories,
and its train_pack trains a level's runs through mnist_fc/packed_runs.py.
"""

import dataclasses
from typing import Any, Optional


class Trial(object):
  """What the loop asks of one trial (subclass it, or give any object with
  these four methods)."""

  def finished(self, level):
    """(initial_weights, final_weights, masks) of a finished level, else
    None (the level is trained)."""
    raise NotImplementedError

  def prune(self, level, masks, final_weights):
    """The masks of `level` (>= 1) from the previous level's masks (None
    before the first pruning) and trained weights."""
    raise NotImplementedError

  def reset(self, initial_weights):
    """The weights later levels start from, given level 0's initial ones."""
    raise NotImplementedError

  def start(self, reset_weights, previous_final):
    """The weights a level after 0 starts from: the reset weights, or the
    previous level's trained ones (the model masks either)."""
    raise NotImplementedError


@dataclasses.dataclass
class Job(object):
  """One trial's level to train: its masks (None: dense) and the weights it
  starts from (None: its own initialisation)."""
  trial: Any
  masks: Optional[dict]
  presets: Optional[dict]


@dataclasses.dataclass
class _Progress(object):
  """What the next level of a trial needs from its last finished level."""
  masks: Optional[dict] = None
  final: Optional[dict] = None
  reset: Optional[dict] = None
  error: Optional[Exception] = None

  def advance(self, trial, level, initial, final, masks):
    self.masks, self.final = masks, final
    if level == 0:
      self.reset = trial.reset(initial)


def experiment(trials, iterations, train_pack, presets=None):
  """Runs levels 0..iterations of every trial, each level as one pack.

  Args:
    trials: a list of Trial.
    iterations: the number of pruning levels after level 0.
    train_pack: callable(level, jobs) -> per Job, its (initial_weights,
      final_weights), or the exception of a network that diverged.
    presets: optional initial weights of every trial's level 0.

  Returns:
    (results, errors): per trial, (masks, final_weights) of its last level,
    or None for a trial that diverged; and dict trial index -> its error.
  """
  progress = [_Progress() for _ in trials]
  for level in range(int(iterations) + 1):
    jobs, owners = [], []
    for index, (trial, state) in enumerate(zip(trials, progress)):
      if state.error is not None:
        continue
      done = trial.finished(level)
      if done is not None:
        state.advance(trial, level, *done)
        continue
      if level:
        jobs.append(Job(trial, trial.prune(level, state.masks, state.final),
                        trial.start(state.reset, state.final)))
      else:
        jobs.append(Job(trial, None, presets))
      owners.append(index)
    if not jobs:
      continue
    for index, job, result in zip(owners, jobs, train_pack(level, jobs)):
      if isinstance(result, Exception):
        progress[index].error = result
      else:
        progress[index].advance(job.trial, level, result[0], result[1],
                                job.masks)
  results = [None if s.error is not None else (s.masks, s.final)
             for s in progress]
  errors = {i: s.error for i, s in enumerate(progress) if s.error is not None}
  return results, errors
