"""The model- and dataset-agnostic machinery of the library.

The library builds TF1-style graphs. Its training loop is a `tf.while_loop`
whose body holds a whole optimizer step; TensorFlow's classic (v1) control
flow runs such a loop about 1.4x faster on a CPU than the functional v2
implementation, so it is selected here, once, for every graph the process
builds afterwards.
"""

import tensorflow.compat.v1 as _tf

_tf.disable_control_flow_v2()
