"""Exact top-k selection among candidates, in the graph.

Mask updates pick, within a layer, the k candidates with the largest scores
(weights to drop, weights to grow). Ranking every entry of a large kernel at
each update would dominate its cost, so long vectors are first cut down to
the entries above a threshold estimated from a sample; the result is still
exactly that of a full ranking, ties included.
"""

import numpy as np
import tensorflow.compat.v1 as tf

from lottery_ticket.foundations.training import graph_mode  # pylint: disable=unused-import

# Vectors up to this length are ranked whole; longer ones are first cut down
# to the entries above a threshold estimated from a sample.
_SMALL = 8192
_SAMPLE = 4096


def _marks(positions, size):
  """A bool vector of length `size`, True at `positions`."""
  hits = tf.scatter_nd(positions[:, None], tf.ones_like(positions, tf.int32),
                       tf.cast([size], tf.int64))
  return hits > 0


def _rank_all(scores, candidates, count):
  """The `count` best candidates, by ranking all of them.

  Only the chosen set matters, not its order, so when more than half of the
  candidates are chosen it is cheaper to rank the others: the worst
  n - count (lowest score; among equals the higher index goes first).
  """
  size = int(scores.shape[0])
  positions = tf.where(candidates)[:, 0]
  values = tf.gather(scores, positions)
  total = tf.size(values)

  def best():
    _, order = tf.math.top_k(values, k=count)
    return _marks(tf.gather(positions, order), size)

  def all_but_worst():
    _, order = tf.math.top_k(-tf.reverse(values, [0]), k=total - count)
    worst = tf.gather(positions, total - 1 - order)
    return tf.logical_and(candidates, tf.logical_not(_marks(worst, size)))

  return tf.cond(2 * count <= total, best, all_but_worst)


def _rank_above_threshold(scores, candidates, count):
  """The same choice as _rank_all, usually much faster for long vectors.

  A threshold t is read off a fixed pseudo-random sample of positions (an
  evenly spaced one would follow the rows and columns of a kernel, whose
  scores are far from exchangeable) so that about 1.5 * count candidates
  score at least t; only those are ranked. Whenever at least
  `count` candidates reach t, every one of the best `count` does too (an
  entry below t is outranked by all of them), so the result is exact; when
  fewer reach t, all candidates are ranked instead.
  """
  size = int(scores.shape[0])
  lowest = tf.fill(tf.shape(scores), -np.inf)
  eligible = tf.where(candidates, scores, lowest)
  sample_size = min(_SAMPLE, size)
  positions = np.sort(np.random.default_rng(size).choice(
      size, sample_size, replace=False))
  sample = tf.gather(eligible, tf.constant(positions, tf.int32))
  wanted = tf.cast(tf.math.ceil(1.5 * tf.cast(count, tf.float32) *
                                sample_size / size), tf.int32) + 8
  wanted = tf.minimum(wanted, sample_size)
  # Never below the lowest finite value, so non-candidates (-inf) stay out.
  threshold = tf.maximum(tf.math.top_k(sample, k=wanted).values[-1],
                         np.finfo(np.float32).min)
  above = eligible >= threshold
  enough = tf.reduce_sum(tf.cast(above, tf.int32)) >= count
  return tf.cond(enough,
                 lambda: _rank_all(scores, above, count),
                 lambda: _rank_all(scores, candidates, count))


def choose_largest(scores, candidates, count):
  """The `count` candidates with the largest scores, as a boolean vector.

  Args:
    scores: float vector of static length.
    candidates: bool vector of the same length.
    count: int32 scalar, at most the number of candidates.

  Returns:
    bool vector, True at the chosen positions; among equal scores the lower
    index is chosen first.
  """
  if int(scores.shape[0]) <= _SMALL:
    return _rank_all(scores, candidates, count)
  return _rank_above_threshold(scores, candidates, count)
