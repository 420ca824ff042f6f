"""Turning stored pixel arrays into the float32 inputs the networks take."""

import numpy as np


def scale_to_unit(pixels, max_value):
  """Pixels in [0, max_value] as float32 in [0, 1].

  Args:
    pixels: an array of integer or float pixel values.
    max_value: the value that maps to 1.0 (255 for bytes).

  Returns:
    A new float32 array of the same shape (each value correctly rounded:
    divided, not multiplied by a rounded reciprocal).
  """
  out = np.asarray(pixels).astype(np.float32)
  out /= np.float32(max_value)
  return out


def arrange(images, flatten):
  """Lays out a batch of images for a fully-connected or a conv network.

  Args:
    images: array of shape (N, H, W) (one channel) or (N, H, W, C) (the
      loaders' own, or checked by them: idx_image_dataset's _layout).
    flatten: True for (N, H*W*C), False for (N, H, W, C).

  Returns:
    A view or copy of `images` in the requested layout.
  """
  if flatten:
    return images.reshape(images.shape[0], -1)
  if images.ndim == 3:
    return images[..., np.newaxis]
  return images
