"""The model- and dataset-agnostic machinery of the library.

Importing this package imports no TensorFlow: the file-level modules
(save_restore, paths, pruning, durations, union, choices) serve tools that
must start fast, such as the sweep runner. Graph-building modules select
classic control flow through graph_mode.py.
"""
