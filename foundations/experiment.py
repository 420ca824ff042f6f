"""The lottery ticket loop: train, prune, reset the survivors, retrain.

Level 0 trains the dense network. Every later level prunes the previous
level's trained weights, resets the surviving weights to the values chosen
after level 0 (the initialisation, or the weights of iteration k with late
rewinding) and trains again. Each level gets a fresh graph and session.

The steps are callables, so the loop is independent of models, datasets and
where things are stored, and a test can drive it with fakes.
"""

import tensorflow.compat.v1 as tf

from lottery_ticket.foundations import session as session_lib


def train_once(make_dataset, make_model, train_model, level, presets=None,
               masks=None):
  """Builds a fresh graph for one level and trains it.

  Returns:
    whatever train_model returns: (initial_weights, final_weights).
  """
  graph = tf.Graph()
  with graph.as_default():
    dataset = make_dataset()
    inputs, labels = dataset.placeholders()
    model = make_model(inputs, labels, presets=presets, masks=masks)
    with session_lib.new_session(graph) as sess:
      return train_model(sess, level, dataset, model)


def experiment(make_dataset, make_model, train_model, prune_masks, iterations,
               presets=None, completed_level=None, reset_weights=None):
  """Runs levels 0..iterations of the lottery ticket experiment.

  Args:
    make_dataset: callable() -> DatasetBase.
    make_model: callable(inputs, labels, presets=, masks=) -> ModelBase.
    train_model: callable(sess, level, dataset, model) ->
      (initial_weights, final_weights).
    prune_masks: callable(masks, final_weights) -> masks; masks is None
      before the first pruning.
    iterations: the number of pruning levels after level 0.
    presets: optional initial weights of level 0.
    completed_level: optional callable(level) -> None, or the
      (initial_weights, final_weights, masks) of a level that already
      finished, which is then not trained again (resuming).
    reset_weights: optional callable(initial_weights) -> the weights every
      later level starts from (late rewinding); default: level 0's initial.

  Returns:
    (masks, final_weights) of the last level.
  """
  def run(level, level_presets, masks):
    done = completed_level(level) if completed_level else None
    if done is not None:
      return done
    initial, final = train_once(make_dataset, make_model, train_model, level,
                                presets=level_presets, masks=masks)
    return initial, final, masks

  initial, final_weights, masks = run(0, presets, None)
  reset = reset_weights(initial) if reset_weights else initial
  for level in range(1, int(iterations) + 1):
    masks = prune_masks(masks, final_weights)
    _, final_weights, masks = run(level, reset, masks)
  return masks, final_weights
