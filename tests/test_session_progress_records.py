"""Small foundations modules: session threads, progress lines, records."""

import io
import json

import pytest

from lottery_ticket.foundations import paths
from lottery_ticket.foundations import progress
from lottery_ticket.foundations import records
from lottery_ticket.foundations import save_restore
from lottery_ticket.foundations import session


def test_thread_counts_come_from_the_environment(monkeypatch):
  monkeypatch.delenv(session.INTRA_ENV, raising=False)
  monkeypatch.delenv(session.INTER_ENV, raising=False)
  config = session.session_config()
  assert config.intra_op_parallelism_threads == session.DEFAULT_INTRA_OP_THREADS
  assert config.inter_op_parallelism_threads == session.DEFAULT_INTER_OP_THREADS
  monkeypatch.setenv(session.INTRA_ENV, '3')
  monkeypatch.setenv(session.INTER_ENV, '0')
  config = session.session_config()
  assert (config.intra_op_parallelism_threads,
          config.inter_op_parallelism_threads) == (3, 0)
  monkeypatch.setenv(session.INTRA_ENV, 'many')
  with pytest.raises(ValueError, match="LOTTERY_TICKET_INTRA_OP_THREADS='many'"):
    session.session_config()


def test_progress_names_level_iteration_accuracy_and_time_left():
  stream = io.StringIO()
  line = progress.Progress('level 2/5', 1000, stream=stream, min_seconds=0)
  line.update(250, {'test acc': 0.91234})
  text = stream.getvalue().strip()
  assert text.startswith('level 2/5 | iteration 250/1000 (25%) | test acc 0.9123 | ')
  assert text.endswith('s left')
  line.update(500, {'test acc': 0.95}, force=False)
  assert len(stream.getvalue().strip().splitlines()) == 2


def test_progress_is_rate_limited():
  stream = io.StringIO()
  line = progress.Progress('x', 10, stream=stream, min_seconds=60)
  for i in range(1, 10):
    line.update(i)
  line.update(10, force=True)
  assert len(stream.getvalue().strip().splitlines()) == 2


def test_recorder_writes_logs_and_json_and_truncates(tmp_path):
  out = str(tmp_path)
  recorder = records.Recorder(out)
  for iteration in (0, 100, 200):
    recorder.add('test', iteration, {'loss': 1.0 / (iteration + 1), 'accuracy': 0.5})
  recorder.add('extra', 100, {'grad_norm': 2.0, 'per_layer': [1.0, 2.0]})
  recorder.truncate(100)
  recorder.write()
  assert [r['iteration'] for r in save_restore.read_log(paths.log(out, 'test'))] == [0, 100]
  metrics = json.load(open(paths.metrics(out)))
  assert metrics['extra'] == [{'iteration': 100, 'grad_norm': 2.0, 'per_layer': [1.0, 2.0]}]
  assert recorder.latest('test', 'iteration') == 100
