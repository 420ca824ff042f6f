"""Small foundations modules: session threads, progress lines, records."""

import io
import json

import pytest

from lottery_ticket.foundations import paths
from lottery_ticket.foundations.storage import progress
from lottery_ticket.foundations.storage import records
from lottery_ticket.foundations import save_restore
from lottery_ticket.foundations.training import session


@pytest.fixture
def unplanned():
  """No planned work before and after the test (plan is process-wide)."""
  session.plan(None)
  yield
  session.plan(None)


def test_thread_counts_come_from_the_environment(monkeypatch, unplanned):
  del unplanned
  monkeypatch.delenv(session.INTRA_ENV, raising=False)
  monkeypatch.delenv(session.INTER_ENV, raising=False)
  config = session.session_config()
  assert config.intra_op_parallelism_threads == session.DEFAULT_INTRA_OP_THREADS
  assert config.inter_op_parallelism_threads == session.DEFAULT_INTER_OP_THREADS
  session.plan(session.SPLIT_WORK - 1)  # the environment overrides a plan
  monkeypatch.setenv(session.INTRA_ENV, '3')
  monkeypatch.setenv(session.INTER_ENV, '0')
  config = session.session_config()
  assert (config.intra_op_parallelism_threads,
          config.inter_op_parallelism_threads) == (3, 0)
  monkeypatch.setenv(session.INTRA_ENV, 'many')
  with pytest.raises(ValueError, match="LOTTERY_TICKET_INTRA_OP_THREADS='many'"):
    session.session_config()


def test_step_work_counts_multiply_adds_by_hand():
  # LeNet-300-100, a pack of 8, batch 60: 8 x 60 x (784*300 + 300*100 + 100*10).
  dense = [(8, 784, 300), (8, 300, 100), (8, 100, 10)]
  assert session.step_work(dense, 60, (784,)) == 8 * 60 * 266200
  # A conv kernel [1, 5, 5, 1, 6] on 28 x 28 inputs: 150 at each of 784
  # positions, then a dense [1, 10, 2].
  conv = [(1, 5, 5, 1, 6), (1, 10, 2)]
  assert session.step_work(conv, 3, (28, 28, 1)) == 3 * (150 * 784 + 20)


def test_a_small_step_runs_each_op_on_one_thread(monkeypatch, unplanned):
  del unplanned
  monkeypatch.delenv(session.INTRA_ENV, raising=False)
  lenet = session.step_work([(1, 784, 300), (1, 300, 100), (1, 100, 10)], 60,
                            (784,))
  pack = session.step_work([(8, 784, 300), (8, 300, 100), (8, 100, 10)], 60,
                           (784,))
  assert lenet < session.SPLIT_WORK <= pack
  session.plan(lenet)
  assert session.session_config().intra_op_parallelism_threads == 1
  session.plan(pack)
  assert session.session_config().intra_op_parallelism_threads == 0
  assert session.intra_op_threads(None) == session.DEFAULT_INTRA_OP_THREADS
  monkeypatch.setenv(session.INTRA_ENV, '2')
  assert session.session_config().intra_op_parallelism_threads == 2


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
  assert recorder.records['test'][-1]['iteration'] == 100


class _Terminal(io.StringIO):

  def isatty(self):
    return True


class _Clock(object):

  def __init__(self):
    self.now = 100.0

  def __call__(self):
    return self.now


def test_a_bar_shows_done_total_and_time_left_on_a_terminal():
  stream, clock = _Terminal(), _Clock()
  with progress.Bar(200, 'exact Hessian', unit='rows', stream=stream,
                    clock=clock) as bar:
    clock.now += 30.0
    bar.update(50)
    assert bar.render() == ('exact Hessian   25% |#####               | '
                            '50/200 [00:30<01:30, 1.67 rows/s]')
    assert bar.remaining() == pytest.approx(90.0)
    bar.note('a note')
    clock.now += 90.0
    bar.update(150)
  text = stream.getvalue()
  assert text.endswith('\n') and '\ra note\n' in text.replace('\x1b[K', '')
  last = text.rstrip('\n').split('\r')[-1].replace('\x1b[K', '')
  assert last.startswith('exact Hessian  100% |####################| 200/200 '
                         '[02:00<00:00')


def test_a_bar_is_silent_off_a_terminal_or_when_quiet_but_notes_stay():
  for stream, quiet in ((io.StringIO(), False), (_Terminal(), True)):
    with progress.Bar(10, 'work', stream=stream, quiet=quiet) as bar:
      for _ in range(10):
        bar.update()
      bar.note('this will take a while')
    expected = '' if quiet else 'this will take a while\n'
    assert stream.getvalue() == expected


def test_durations_are_shown_as_clock_times():
  assert progress.format_duration(3725) == '1:02:05'
  assert progress.format_duration(65) == '01:05'
  assert progress.format_duration(None) == '?'
