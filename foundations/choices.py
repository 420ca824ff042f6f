"""Names chosen from a fixed set: one check, one error message.

Every registry of the library (datasets, optimizers, methods, schedules,
activations, ...) validates a name with `check`, so a wrong one always reads
"No such optimizer: 'lbfgs' (choose from: adam, momentum, rmsprop, sgd)".
"""


def check(what, value, choices, error=ValueError):
  """Returns `value` if it is one of `choices`.

  Args:
    what: what is being chosen, for the message ('optimizer').
    value: the name given.
    choices: the allowed names (shown in the order given).
    error: the exception class to raise.

  Raises:
    error: naming the value and the choices.
  """
  if value not in choices:
    raise error('No such {}: {!r} (choose from: {})'.format(
        what, value, ', '.join(repr(c) if c == '' else str(c)
                               for c in choices if c is not None)))
  return value
