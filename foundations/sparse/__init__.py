"""Sparse methods: pruning at initialisation (SNIP, GraSP, SynFlow, FORCE, ...), mask
updates during training (gradual pruning, SET, RigL), sparsity distributions and
initialisation, gradient-flow measurements, and connectivity checks of masks.
"""
