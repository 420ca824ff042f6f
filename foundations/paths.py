"""Where every output of an experiment lives.

An experiment directory holds trials; a trial holds pruning levels; a level
holds one run per experiment name (same_init, reinit, ...):

  {experiment}/trial{T}/{level}/{experiment_name}/
      config.json                       written first: what the run is
      initial/ final/ masks/            one .npy per tensor
      train.log test.log validate.log   CSV: iteration,N,loss,X,accuracy,Y
      metrics.json summaries/ checkpoints/ weights_at/{k}/
      DONE                              written last
      .lock                             held by the process writing it
      .argfile_run/                     a sweep's record and log of the line

A sparse-training sweep lays its runs out as

  {experiment}/{method}/sparsity{s}/trial{T}/
      ... as above, plus initial_masks/ and summaries/masks/

and analyses write beside the run they read: {run}/{analysis}/ (hessian/,
...).
"""

import os

# Inside a run's output directory, the sweep runner's record and log of the
# line that wrote it (argfiles): the run's own writers leave it alone.
SWEEP_RECORDS = '.argfile_run'


def initial(parent_directory):
  """The directory of a run's initial weights."""
  return os.path.join(parent_directory, 'initial')


def final(parent_directory):
  """The directory of a run's final (effective) weights."""
  return os.path.join(parent_directory, 'final')


def masks(parent_directory):
  """The directory of a run's masks."""
  return os.path.join(parent_directory, 'masks')


def initial_masks(parent_directory):
  """The masks a sparse run started from (masks/ holds the final ones)."""
  return os.path.join(parent_directory, 'initial_masks')


def mask_images(parent_directory):
  """TensorBoard images of a sparse run's masks."""
  return os.path.join(summaries(parent_directory), 'masks')


def analysis(parent_directory, kind):
  """Where an analysis of a run (hessian, ...) writes its results."""
  return os.path.join(parent_directory, check_name(kind, 'analysis'))


def sparse_configuration(parent_directory, method, sparsity):
  """{parent}/{method}/sparsity{s}: the trials of one method and sparsity of
  a sparse sweep (the base a packed line, --trials, writes its trials in).

  Args:
    parent_directory: the sweep's output directory.
    method: the method's name.
    sparsity: the sparsity as it is written in the path ('0.9'), or None for
      a method that takes none ({parent}/{method}).
  """
  method_dir = os.path.join(parent_directory, check_name(method, 'method'))
  if sparsity is not None:
    method_dir = os.path.join(method_dir, 'sparsity{}'.format(sparsity))
  return method_dir


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
