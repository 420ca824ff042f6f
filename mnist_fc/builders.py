"""What a run's configuration builds: its model, optimizer and learning rate.

The configuration (config.py) is plain data, read without TensorFlow; the
code that trains a run hands it here to get the TensorFlow objects it
describes.
"""

import tensorflow.compat.v1 as tf

from lottery_ticket.foundations import model_conv
from lottery_ticket.foundations import model_fc
from lottery_ticket.foundations import optimizers
from lottery_ticket.foundations import schedules


def make_model_fn(config, num_classes, init_stream=0, hyperparameters=None):
  """callable(inputs, labels, presets=, masks=) -> model, seeded.

  Args:
    config: the run's Config (its model and training concerns).
    num_classes: the dataset's number of classes.
    init_stream: which stream of initialisations (sparse_methods streams).
    hyperparameters: replaces config.hyperparameters(num_classes) (e.g.
      narrower layers).

  The graph seed is config.graph_seed(init_stream), so the same
  configuration always gives the same initial weights.
  """
  model_class = (model_fc.ModelFc if config.model.network == 'fc'
                 else model_conv.ModelConv)
  if hyperparameters is None:
    hyperparameters = config.hyperparameters(num_classes)
  graph_seed = config.graph_seed(init_stream)

  def make_model(inputs, labels, presets=None, masks=None):
    tf.set_random_seed(graph_seed)
    return model_class(hyperparameters, inputs, labels, presets=presets,
                       masks=masks)
  return make_model


def learning_rate_fn(training, total_steps):
  """callable(step tensor) -> the learning rate `training` schedules.

  Args:
    training: a run's training settings (Config.training).
    total_steps: the length of the schedule.
  """
  return schedules.learning_rate_fn(training.learning_rate,
                                    training.lr_schedule, total_steps,
                                    warmup_steps=training.warmup_steps)


def optimizer_fn(training, total_steps):
  """optimizer_fn() for the trainer: the optimizer with its schedule.

  Args:
    training: a run's training settings (Config.training).
    total_steps: the length of the learning-rate schedule; the rate at a
      training step is the schedule's at the global step.
  """
  return optimizers.optimizer_fn(training.optimizer, training.learning_rate,
                                 momentum=training.momentum,
                                 schedule=training.lr_schedule,
                                 total_steps=total_steps,
                                 warmup_steps=training.warmup_steps)


def final_rate(training, total_steps):
  """The rate of the last update `training` schedules over total_steps (the
  rate a fine-tuned level keeps; Renda et al. 2020)."""
  return schedules.learning_rate_np(training.learning_rate,
                                    training.lr_schedule, total_steps,
                                    max(0, int(total_steps) - 1),
                                    warmup_steps=training.warmup_steps)


def constant_optimizer_fn(training, rate):
  """optimizer_fn() for the trainer: `training`'s optimizer at a constant
  rate."""
  return optimizers.optimizer_fn(training.optimizer, rate,
                                 momentum=training.momentum)
