"""Hessian-vector products of a scalar loss over chosen coordinates.

The coordinates are entries of TF variables: all entries of some variables,
a subset (given by flat indices) of others. A vector over the coordinates is
scattered into variable-shaped tensors (zeros elsewhere), multiplied by the
Hessian with a second `tf.gradients` pass (Pearlmutter's trick) and gathered
back, so the Hessian is never formed unless a caller asks for it row block
by row block. Products with several vectors at once run in one graph, a
`tf.map_fn` whose iterations run side by side. (`tf.vectorized_map` would
batch them into wider ops, but oneDNN's CPU kernels abort on the batched
matmuls it makes of the layers' [1, batch, in] x [1, in, out] products.)

Products are computed in float32 (the network's precision) and returned as
float64 numpy arrays.
"""

import numpy as np
import tensorflow.compat.v1 as tf

# Hessian-vector products of one block computed side by side.
BLOCK_PARALLEL = 8


class HessianOperator(object):
  """Products with the Hessian of `loss` over chosen variable entries.

  Attributes:
    size: the number of coordinates.
  """

  def __init__(self, sess, loss, variables, selections=None):
    """Builds the product graphs in sess.graph.

    Args:
      sess: a session whose graph holds `loss` and `variables` (initialised).
      loss: a scalar tensor.
      variables: list of variables (or tensors) to differentiate against.
      selections: optional list, one per variable, of None (every entry) or
        an int array of flat indices (in range) of the entries that are
        coordinates.
    """
    self._sess = sess
    self._variables = list(variables)
    self._shapes = [v.shape.as_list() for v in self._variables]
    self._selections = [None if chosen is None else
                        np.asarray(chosen, np.int64).ravel()
                        for chosen in selections or [None] * len(variables)]
    self._counts = [int(np.prod(s)) if c is None else int(c.size)
                    for s, c in zip(self._shapes, self._selections)]
    self.size = int(sum(self._counts))
    with sess.graph.as_default(), tf.name_scope('hessian'):
      self._loss = loss
      self._grads = [
          tf.zeros_like(v) if g is None else g
          for v, g in zip(self._variables, tf.gradients(loss, self._variables))]
      self._gradient = self._gather(self._grads)
      self._vector = tf.placeholder(tf.float32, [self.size], name='vector')
      self._product = self._hvp(self._vector)
    self._block = None  # the vectorised graph is built on first use
    self._block_product = None

  def _scatter(self, vector):
    """Variable-shaped tensors holding `vector` at the chosen entries.

    Written as a gather from the piece with a zero appended (every entry
    that is not chosen reads that zero).
    """
    pieces = tf.split(vector, self._counts) if self._counts else []
    out = []
    for piece, shape, chosen in zip(pieces, self._shapes, self._selections):
      if chosen is not None:
        sources = np.full(int(np.prod(shape)), chosen.size, np.int64)
        sources[chosen] = np.arange(chosen.size)
        piece = tf.gather(tf.concat([piece, tf.zeros([1], piece.dtype)], 0),
                          tf.constant(sources))
      out.append(tf.reshape(piece, shape))
    return out

  def _gather(self, tensors):
    """The chosen entries of variable-shaped tensors, as one vector."""
    flat = []
    for tensor, chosen in zip(tensors, self._selections):
      tensor = tf.reshape(tensor, [-1])
      flat.append(tensor if chosen is None else tf.gather(tensor, chosen))
    return tf.concat(flat, axis=0)

  def _hvp(self, vector):
    directions = self._scatter(vector)
    dot = tf.add_n([tf.reduce_sum(g * d)
                    for g, d in zip(self._grads, directions)])
    second = tf.gradients(dot, self._variables)
    return self._gather([tf.zeros_like(v) if s is None else s
                         for v, s in zip(self._variables, second)])

  def loss(self):
    """The loss value."""
    return float(self._sess.run(self._loss))

  def gradient(self):
    """The gradient over the coordinates (float64)."""
    return self._sess.run(self._gradient).astype(np.float64)

  def matvec(self, vector):
    """H @ vector for one vector of length `size`."""
    return self._sess.run(self._product, {
        self._vector: np.asarray(vector, np.float32)}).astype(np.float64)

  def matmat(self, vectors):
    """Rows H @ v for each row v of a [count, size] array."""
    if self._block is None:
      with self._sess.graph.as_default(), tf.name_scope('hessian_block'):
        self._block = tf.placeholder(tf.float32, [None, self.size], name='block')
        self._block_product = tf.map_fn(self._hvp, self._block,
                                        parallel_iterations=BLOCK_PARALLEL)
    return self._sess.run(self._block_product, {
        self._block: np.asarray(vectors, np.float32)}).astype(np.float64)
