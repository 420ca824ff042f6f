"""Where every output of an experiment lives.

An experiment directory holds trials; a trial holds pruning levels; a level
holds one run per experiment name (same_init, reinit, ...):

  {experiment}/trial{T}/{level}/{experiment_name}/
      initial/ final/ masks/            one .npy per tensor
      train.log test.log validate.log   CSV: iteration,N,loss,X,accuracy,Y
      metrics.json config.json summaries/ checkpoints/
"""

import os


def initial(parent_directory):
  """The directory of a run's initial weights."""
  return os.path.join(parent_directory, 'initial')


def final(parent_directory):
  """The directory of a run's final (effective) weights."""
  return os.path.join(parent_directory, 'final')


def masks(parent_directory):
  """The directory of a run's masks."""
  return os.path.join(parent_directory, 'masks')


def rewind(parent_directory, iteration):
  """Weights saved at training iteration `iteration` (for late rewinding)."""
  return os.path.join(parent_directory, 'weights_at', str(int(iteration)))


def log(parent_directory, name):
  """A CSV log of split `name` (train, test, validate)."""
  return os.path.join(parent_directory, '{}.log'.format(name))


def metrics(parent_directory):
  """All recorded metrics of a run as JSON."""
  return os.path.join(parent_directory, 'metrics.json')


def config(parent_directory):
  """The run's resolved configuration as JSON."""
  return os.path.join(parent_directory, 'config.json')


def summaries(parent_directory):
  """TensorBoard event files."""
  return os.path.join(parent_directory, 'summaries')


def checkpoints(parent_directory):
  """Training checkpoints (for resuming a killed run)."""
  return os.path.join(parent_directory, 'checkpoints')


def done_marker(parent_directory):
  """Written last: its presence means the run finished."""
  return os.path.join(parent_directory, 'DONE')


def trial(parent_directory, trial_name):
  """The directory of one trial."""
  return os.path.join(parent_directory, 'trial{}'.format(trial_name))


def run(parent_directory, level, experiment_name='same_init'):
  """The directory of one run: {parent}/{level}/{experiment_name}."""
  return os.path.join(parent_directory, str(level), experiment_name)


def check_name(name, what):
  """Returns `name` if it is a plain name that stays inside its parent.

  Names that become one path component (an experiment name, an analysis
  name) must not climb out of the output directory or replace it: no
  separators, not empty, not '.' or '..'.

  Raises:
    ValueError: naming the flag and the value.
  """
  text = str(name)
  if (not text or text in ('.', '..') or '/' in text or
      (os.altsep and os.altsep in text) or '\0' in text):
    raise ValueError('--{}={!r} must be a plain name (no /, not empty, not . '
                     'or ..): it names a directory inside the output '
                     'directory'.format(what, text))
  return text
