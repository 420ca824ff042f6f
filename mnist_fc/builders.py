"""What a run's configuration builds: its model, optimizer and learning rate.

The configuration (config.py) is plain data, read without TensorFlow; the
code that trains a run hands it here to get the TensorFlow objects it
describes.
"""

import tensorflow.compat.v1 as tf

from lottery_ticket.foundations.training import augmentation
from lottery_ticket.foundations import masks as masks_lib
from lottery_ticket.foundations.training import optimizers
from lottery_ticket.foundations.models import packed_model
from lottery_ticket.foundations.training import schedules
from lottery_ticket.mnist_fc import config as config_lib


def make_model_fn(config, num_classes, init_stream=0, hyperparameters=None):
  """callable(inputs, labels, presets=, masks=) -> model, seeded.

  Args:
    config: the run's Config (its model and training concerns).
    num_classes: the dataset's number of classes.
    init_stream: which stream of initialisations (sparse_methods streams).
    hyperparameters: replaces config.hyperparameters(num_classes) (e.g.
      narrower layers).

  The graph seed is config.stream_seed(init_stream), so the same
  configuration always gives the same initial weights.
  """
  if hyperparameters is None:
    hyperparameters = config.hyperparameters(num_classes)
  model_class = packed_model.model_class(hyperparameters)
  graph_seed = config.stream_seed(init_stream)

  def make_model(inputs, labels, presets=None, masks=None):
    tf.set_random_seed(graph_seed)
    return model_class(hyperparameters, inputs, labels, presets=presets,
                       masks=masks)
  return make_model


def check_inputs(config, dataset, masks=None, presets=None,
                 hyperparameters=None, given=None):
  """Refuses masks and presets the run's network cannot take, before its
  directory is touched (nothing written): a value other than 0 and 1 in a
  mask, NaN or an infinity in a preset, a shape the network's layer lacks.
  The network is built once with each, in a graph of its own, so the
  checks are the ones training makes, in the model.

  Args:
    config: the run's completed Config.
    dataset: its dataset.
    masks, presets: dicts of arrays, or None.
    hyperparameters: the architecture, when not the configuration's.
    given: {'masks': ..., 'presets': ...}, what the user gave: a path
      (or a list of paths) is named in the messages as its flag.

  Raises:
    ValueError: naming the flag (or 'the masks'), the tensor and what is
      wrong.
  """
  make_model = make_model_fn(config, dataset.num_classes,
                             hyperparameters=hyperparameters)
  for flag, arrays in (('masks', masks), ('presets', presets)):
    if arrays is None:
      continue
    path = (given or {}).get(flag)
    if isinstance(path, (list, tuple)):
      path = ','.join(str(p) for p in path)
    named = ('--{}={}'.format(flag, path) if isinstance(path, str)
             else 'the ' + flag)
    if flag == 'masks':
      arrays = dict(masks_lib.Masks(arrays, source=named))
    with tf.Graph().as_default():
      inputs, labels = dataset.placeholders()
      try:
        make_model(inputs, labels, **{flag: arrays})
      except ValueError as error:
        raise type(error)('{}: {}'.format(named, error)) from None


def _schedule(training, steps_per_epoch):
  """The keyword arguments of schedules.learning_rate_fn `training` gives."""
  return dict(warmup_steps=training.warmup_steps,
              drops=config_lib.drop_iterations(training, steps_per_epoch),
              drop_factor=training.lr_drop_factor)


def learning_rate_fn(training, total_steps, steps_per_epoch=None):
  """callable(step tensor) -> the learning rate `training` schedules.

  Args:
    training: a run's training settings (Config.training).
    total_steps: the length of the schedule.
    steps_per_epoch: the dataset's, for drops given in epochs.
  """
  return schedules.learning_rate_fn(
      training.learning_rate, training.lr_schedule, total_steps,
      **_schedule(training, steps_per_epoch))


def optimizer_fn(training, total_steps, steps_per_epoch=None):
  """optimizer_fn() for the trainer: the optimizer with its schedule.

  Args:
    training: a run's training settings (Config.training).
    total_steps: the length of the learning-rate schedule; the rate at a
      training step is the schedule's at the global step.
    steps_per_epoch: the dataset's, for drops given in epochs.
  """
  return optimizers.optimizer_fn(
      training.optimizer, training.learning_rate, momentum=training.momentum,
      schedule=training.lr_schedule, total_steps=total_steps,
      **_schedule(training, steps_per_epoch))


def final_rate(training, total_steps, steps_per_epoch=None):
  """The rate of the last update `training` schedules over total_steps (the
  rate a fine-tuned level keeps; Renda et al. 2020)."""
  return schedules.learning_rate_np(
      training.learning_rate, training.lr_schedule, total_steps,
      max(0, int(total_steps) - 1),
      **_schedule(training, steps_per_epoch))


def constant_optimizer_fn(training, rate):
  """optimizer_fn() for the trainer: `training`'s optimizer at a constant
  rate."""
  return optimizers.optimizer_fn(training.optimizer, rate,
                                 momentum=training.momentum)


def augmentation_of(config, dataset):
  """The augmentation of the training batches `config` asks for (None for
  --augment=none): crop_flip is OpenLTH's CIFAR-10 augmentation
  (datasets/cifar10.py: a random crop of the image padded by 4 pixels, and
  a horizontal flip with probability 1/2), padding with the dataset's
  black pixel (normalised CIFAR-10's is -mean / std, as OpenLTH pads
  before it normalises)."""
  if config.training.augment == 'none':
    return None
  black = getattr(dataset, 'black', None)
  return augmentation.Augmentation(padding=4, flip=True,
                                   fill=list(black) if black else 0.0)
