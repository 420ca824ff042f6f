"""Data augmentation inside the training step: random crops and flips.

CIFAR-10's standard augmentation (He et al. 2016; OpenLTH's
datasets/cifar10.py: RandomHorizontalFlip, then RandomCrop(32, padding=4)):
each training image is padded by 4 pixels on every side, a random 32x32
window of it is kept, and it is mirrored left-right with probability 1/2.
Labels are unchanged.

The randomness is stateless: an image's crop and flip are a pure function
of (its network's seed, the global step, its place in the batch), drawn by
TensorFlow's stateless random ops. So a killed run that resumes at step s
draws what an uninterrupted run draws at step s, two networks of a pack with
different seeds see different augmentations of their batches, and a
network's draws do not depend on its pack (each network's are its own ops).
The trainer seeds each network with its data order seed.

The crop and the flip are one gather of rows and one of columns, so an
augmented image holds exact copies of the padded image's pixels.
"""

import dataclasses

import tensorflow.compat.v1 as tf

# Distinguishes the augmentation's stream from any other stateless stream
# keyed by (seed, step).
STREAM = 0x0A06


@dataclasses.dataclass(frozen=True)
class Augmentation(object):
  """Random crops with padding and random horizontal flips.

  Attributes:
    padding: pixels padded on every side before a random crop of the
      original size (0: no crop).
    flip: mirror each image left-right with probability 1/2.
    fill: the padding's value per channel (a float or a list), e.g. what a
      black pixel becomes after the dataset's normalisation (OpenLTH pads
      before normalising).
  """
  padding: int = 4
  flip: bool = True
  fill: object = 0.0

  def __post_init__(self):
    if int(self.padding) < 0:
      raise ValueError('augmentation padding must be >= 0, got {}'.format(
          self.padding))

  def apply(self, images, seed, step):
    """Augments one network's batch.

    Args:
      images: [batch, height, width, channels] float images.
      seed: int scalar tensor: the network's seed.
      step: int scalar tensor: the global step.

    Returns:
      The augmented [batch, height, width, channels] images.
    """
    batch = tf.shape(images)[0]
    height, width = int(images.shape[1]), int(images.shape[2])
    pad = int(self.padding)
    key = tf.stack([tf.cast(seed, tf.int64) * 65536 + STREAM,
                    tf.cast(step, tf.int64)])
    draws = tf.random.stateless_uniform(
        tf.stack([batch, 3]), seed=key, minval=0, maxval=2 ** 30,
        dtype=tf.int32)
    top = tf.math.floormod(draws[:, 0], 2 * pad + 1)
    left = tf.math.floormod(draws[:, 1], 2 * pad + 1)
    rows = top[:, None] + tf.range(height)[None, :]
    columns = left[:, None] + tf.range(width)[None, :]
    if self.flip:
      flipped = tf.equal(tf.math.floormod(draws[:, 2], 2), 1)
      columns = tf.where(flipped, tf.reverse(columns, [1]), columns)
    if pad:
      fill = tf.broadcast_to(tf.cast(self.fill, images.dtype),
                             tf.shape(images[:1, :1, :1, :]))
      padded_rows = tf.tile(fill, [batch, pad, width, 1])
      images = tf.concat([padded_rows, images, padded_rows], axis=1)
      padded_columns = tf.tile(fill, [batch, height + 2 * pad, pad, 1])
      images = tf.concat([padded_columns, images, padded_columns], axis=2)
    images = tf.gather(images, rows, axis=1, batch_dims=1)
    return tf.gather(images, columns, axis=2, batch_dims=1)

  def apply_pack(self, images, seeds, step):
    """Augments each network's batch with its own seed.

    Args:
      images: [networks, batch, height, width, channels].
      seeds: int [networks] tensor.
      step: int scalar tensor: the global step.

    Raises:
      ValueError: for inputs that are not images (a flattened dataset).
    """
    if images.shape.ndims != 5:
      raise ValueError('augmentation needs [height, width, channels] images, '
                       'got examples of shape {} (a flattened dataset?)'.format(
                           images.shape[2:].as_list()))
    return tf.stack([self.apply(batch, seeds[index], step)
                     for index, batch in enumerate(tf.unstack(images))])


def check(augmentation):
  """None or an Augmentation; anything else is refused with a TypeError."""
  if augmentation is not None and not isinstance(augmentation, Augmentation):
    raise TypeError('augment must be an augmentation.Augmentation or None, '
                    'got {!r}'.format(type(augmentation).__name__))
  return augmentation
