"""Selects TensorFlow's classic (v1) control flow for the library's graphs.

The trainer's loop is a `tf.while_loop` whose body holds a whole optimizer
step (and, for sparse training, a `tf.cond` mask update). On a CPU the
classic implementation runs such a loop about 1.4x faster than the
functional v2 one. Every module that builds loops or conditionals imports
this one, so the switch is made before any of them is built; modules that
need no TensorFlow (save_restore, paths, pruning, ...) stay free of it.
"""

import tensorflow.compat.v1 as tf

tf.disable_control_flow_v2()
