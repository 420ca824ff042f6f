"""What one training step differentiates: the loss, weight decay, clipping.

The one place both training loops (trainer.build_train_loop and
packed_trainer.build_packed_loop) take a network's gradients from, so an
option such as weight decay or clipping is added once and a network's
numbers do not depend on which loop trains it.
"""

import tensorflow.compat.v1 as tf


def gradients(loss, kernels, variables, weight_decay=0.0, clip_norm=None,
              clip_value=None):
  """The gradients of one network's step.

  Args:
    loss: the network's scalar training loss.
    kernels: the kernels weight decay applies to (not the biases).
    variables: the variables to differentiate by.
    weight_decay: L2 coefficient: the objective adds 0.5 * wd * sum w^2.
    clip_norm: optional: clip the gradients to this global norm.
    clip_value: optional: clip every gradient entry to [-v, v].

  Returns:
    a list of gradients, one per variable.
  """
  objective = loss
  if weight_decay:
    objective += weight_decay * tf.add_n([tf.nn.l2_loss(w) for w in kernels])
  grads = tf.gradients(objective, variables)
  if clip_norm:
    grads, _ = tf.clip_by_global_norm(grads, clip_norm)
  if clip_value:
    grads = [tf.clip_by_value(g, -clip_value, clip_value) for g in grads]
  return grads
