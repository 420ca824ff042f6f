"""Run directories on disk: checkpoints, the hashes that name a damaged file, locks, the
fault switch of the write boundaries, the records and progress of training.
"""
