"""Silences TensorFlow's C++ start-up log lines, without importing it early.

TensorFlow 2.x prints absl log lines while its package is first executed
(oneDNN notices, "All log messages before absl::InitializeLog() ...") that
TF_CPP_MIN_LOG_LEVEL does not reach; they would bury a runner's one-line
error messages. `install()` puts a finder on sys.meta_path that, when
`tensorflow` is first imported (by whichever module), executes the package
with file descriptor 2 pointed at /dev/null, and then removes itself.
Modules that never import TensorFlow (the sweep tools) stay fast to start.
Set LOTTERY_TICKET_TF_LOGS=1 to see the lines.
"""

import contextlib
import importlib.abc
import importlib.util
import os
import sys


@contextlib.contextmanager
def _stderr_silenced():
  try:
    saved = os.dup(2)
  except OSError:
    yield
    return
  devnull = os.open(os.devnull, os.O_WRONLY)
  try:
    sys.stderr.flush()
    os.dup2(devnull, 2)
    yield
  finally:
    os.dup2(saved, 2)
    os.close(saved)
    os.close(devnull)


class _QuietFinder(importlib.abc.MetaPathFinder):
  """Finds `tensorflow` once, its real loader told to execute it with stderr
  silenced (for that one execution: the module keeps the real loader)."""

  def find_spec(self, name, path=None, target=None):
    if name != 'tensorflow':
      return None
    sys.meta_path.remove(self)
    spec = importlib.util.find_spec(name)
    if spec is not None and spec.loader is not None:
      loader = spec.loader

      def exec_module(module):
        del loader.exec_module  # the class's own again from now on
        with _stderr_silenced():
          loader.exec_module(module)
      loader.exec_module = exec_module
    return spec


def install():
  """Silences the first import of tensorflow in this process (idempotent)."""
  if os.environ.get('LOTTERY_TICKET_TF_LOGS') == '1':
    return
  if 'tensorflow' in sys.modules:
    return
  if not any(isinstance(f, _QuietFinder) for f in sys.meta_path):
    sys.meta_path.insert(0, _QuietFinder())
