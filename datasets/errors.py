"""The one error type of the datasets package.

A dataset that cannot be loaded is almost always a problem with something on
disk or on the command line: a missing or damaged file, an unknown dataset
name. Each such problem raises `DatasetError` with a single line that names
the offending file or value, so a runner can print it and exit without a
traceback.
"""


class DatasetError(ValueError):
  """A dataset file or argument is missing, damaged or not what was expected."""
