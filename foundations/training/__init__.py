"""What the trainer builds around a model: the objective, optimizers, learning-rate
schedules, in-graph data and evaluation, sessions, the trainer's settings and the
finiteness checks.
"""
