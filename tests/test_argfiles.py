"""Tests of argfiles: the line generators, and sweeps of a fake runner.

The sweeps run tests/fake_runner.py, which counts its invocations per output
directory, so a test can tell exactly which lines ran (again). An end-to-end
sweep of the real lottery runner is in test_argfiles_end_to_end.py.
"""

import io
import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from lottery_ticket import command_line
from lottery_ticket.argfiles import lines as lines_lib
from lottery_ticket.argfiles import lottery_experiment_argfile
from lottery_ticket.argfiles import reinitialize_argfile
from lottery_ticket.argfiles import runner
from lottery_ticket.argfiles import sparse_train_argfile
from lottery_ticket.argfiles import sweep as sweep_lib
from lottery_ticket.argfiles.engine import executors
from lottery_ticket.argfiles.engine import programs
from lottery_ticket.argfiles.engine import progress as progress_lib
from lottery_ticket.argfiles.engine import resources
from lottery_ticket.argfiles.engine import run as run_lib
from lottery_ticket.argfiles.engine import state as state_lib

import argfiles_testlib as testlib
from argfiles_testlib import in_tmp  # pylint: disable=unused-import
from argfiles_testlib import run_sweep

FAKE_RUNNER = testlib.FAKE_RUNNER
_sweep = testlib.sweep
_count = testlib.count
_state = testlib.state

# Four lines of the fake runner; the last writes {output_dir}/{level}/{mode}
# through the runner's output_directories function.
# Numbered by their rows in the file: lines 4-7.
FOUR_LINES = """
# A comment, then a blank line.

--output_dir=out/a --seed=1 --sleep=0.05
--output_dir=out/b --seed=2 --sleep=0.05
--output_dir='out/c d' --seed=3 --sleep=0.05
--output_dir=out/e --level=2 --mode=reinit --seed=4 --sleep=0.05
"""
FOUR_DIRS = ('out/a', 'out/b', 'out/c d', 'out/e/2/reinit')


def _results(directory, output_dirs=FOUR_DIRS):
  """Each directory's result.json, without the thread settings."""
  results = {}
  for output_dir in output_dirs:
    with open(os.path.join(str(directory), output_dir, 'result.json')) as f:
      result = json.load(f)
    del result['threads']
    results[output_dir] = result
  return results


# Generators.


def test_lottery_lines():
  lines = lottery_experiment_argfile.make_lines(
      'res/lt', trials=2, first_trial=3, iterations=4, dataset='digits',
      training_len='300it')
  assert lines == [
      '--output_dir=res/lt/trial3 --iterations=4 --dataset=digits '
      '--training_len=300it --seed=3',
      '--output_dir=res/lt/trial4 --iterations=4 --dataset=digits '
      '--training_len=300it --seed=4',
  ]
  rewound = lottery_experiment_argfile.make_lines(
      'a b', trials=1, experiment_name='rewind', rewind_iteration=0,
      pruning='global')
  # Trials count from 0, as the README's trial0.
  assert rewound == ["--output_dir='a b/trial0' --iterations=10 "
                     '--dataset=mnist --experiment_name=rewind '
                     '--rewind_iteration=0 --seed=0 --pruning=global']
  assert lines_lib.split_line(rewound[0])[0] == '--output_dir=a b/trial0'
  with pytest.raises(ValueError, match='trials'):
    lottery_experiment_argfile.make_lines('x', trials=0)
  with pytest.raises(ValueError, match="No such dataset: 'cifar'"):
    lottery_experiment_argfile.make_lines('x', dataset='cifar')
  with pytest.raises(ValueError, match='--prune_rate=0.5 is not a flag of '
                     'lottery_experiment'):
    lottery_experiment_argfile.make_lines('x', prune_rate='0.5')
  with pytest.raises(ValueError, match='--prune_percent=2.0 must be < 1'):
    lottery_experiment_argfile.make_lines('x', prune_percent='2')
  # The random-pruning control of --paper prunes at random whatever the
  # main lines' --pruning; a flag given replaces a recipe's step count.
  paper = lottery_experiment_argfile.make_lines(
      'p', trials=1, paper=True, scale=0.02, pruning='global',
      test_interval='7')
  assert [l.count('--pruning=') for l in paper] == [1, 1]
  assert '--pruning=global' in paper[0] and '--pruning=random' in paper[1]
  assert all(l.count('--test_interval=7') == 1 for l in paper)


@pytest.mark.parametrize('module', [
    lottery_experiment_argfile, reinitialize_argfile, sparse_train_argfile])
def test_generators_take_every_flag_of_their_runner(module, capsys):
  argv = ['--output_dir=o', '--trials=1', '--dataset=cifar10',
          '--optimizer', 'sgd', '--permute_labels']
  if module is reinitialize_argfile:
    argv.append('--levels=1')
  command_line.run(module.RUNNER, argv)
  out = capsys.readouterr().out.splitlines()
  assert out and all('--dataset=cifar10' in line for line in out)
  assert all('trial0' in line and '--seed=0' in line for line in out)
  assert all(line.endswith('--optimizer=sgd --permute_labels')
             for line in out)


def test_reinitialize_lines():
  lines = reinitialize_argfile.make_lines('res', trials=2, iterations=2,
                                          modes='reinit,reuse_sign')
  assert len(lines) == 2 * 3 * 2
  # No dataset: each line keeps the configuration of the run it controls.
  assert lines[0] == '--output_dir=res/trial0 --level=0 --mode=reinit --seed=0'
  flags = [lines_lib.line_flags(lines_lib.split_line(l)) for l in lines]
  assert {(f['output_dir'], f['level'], f['mode'], f['seed']) for f in flags
         } == {('res/trial{}'.format(t), str(level), mode, str(t))
               for t in (0, 1) for level in (0, 1, 2)
               for mode in ('reinit', 'reuse_sign')}
  listed = reinitialize_argfile.make_lines(
      'res', trials=1, levels=['3', '1'], modes=['reuse'], seed_offset=10,
      dataset='digits')
  assert [lines_lib.line_flags(lines_lib.split_line(l)) for l in listed] == [
      {'output_dir': 'res/trial0', 'level': level, 'mode': 'reuse',
       'dataset': 'digits', 'seed': '10'} for level in ('1', '3')]
  for bad in ({}, {'levels': '1', 'iterations': 2}):
    with pytest.raises(ValueError, match='exactly one'):
      reinitialize_argfile.make_lines('res', **bad)
  with pytest.raises(ValueError, match="No such mode: 'same'"):
    reinitialize_argfile.make_lines('res', iterations=1, modes='same')


def test_sparse_train_lines():
  lines = sparse_train_argfile.make_lines('sp', trials=2,
                                          sparsities='0.9,0.95,0.90')
  flags = [lines_lib.line_flags(lines_lib.split_line(l)) for l in lines]
  methods = [f['method'] for f in flags]
  # Dense once per trial; every other method per sparsity (0.9 once) x trial.
  assert methods.count('dense') == 2
  assert all(methods.count(m) == 4 for m in sparse_train_argfile.METHODS
             if m != 'dense')
  assert all('sparsity' not in f for f in flags if f['method'] == 'dense')
  assert len({f['output_dir'] for f in flags}) == len(lines)
  prune_dirs = {(f['sparsity'], f['seed']): f['output_dir'] for f in flags
                if f['method'] == 'prune'}
  assert prune_dirs[('0.95', '1')] == 'sp/prune/sparsity0.95/trial1'
  needing = [i for i, f in enumerate(flags) if 'mask_from' in f]
  assert {methods[i] for i in needing} == {'lottery', 'scratch'}
  for i in needing:
    assert flags[i]['mask_from'] == prune_dirs[(flags[i]['sparsity'],
                                                flags[i]['seed'])]
  # Every mask exists before (in line order) any line that reads it.
  assert max(i for i, m in enumerate(methods) if m == 'prune') < min(needing)
  with pytest.raises(ValueError, match='strictly between 0 and 1'):
    sparse_train_argfile.make_lines('sp', sparsities='0.9,1')
  with pytest.raises(ValueError, match="No such method: 'magic'"):
    sparse_train_argfile.make_lines('sp', methods='prune,magic')


@pytest.mark.parametrize('module,flags', [
    (lottery_experiment_argfile, ['--trials=2', '--iterations=3']),
    (reinitialize_argfile, ['--trials=2', '--levels=1,2']),
    (sparse_train_argfile, ['--trials=1', '--sparsities=0.5']),
])
def test_generator_commands_print_their_lines(module, flags, capsys,
                                              run_main):
  argv = ['--output_dir=o'] + flags
  assert run_main(module.__name__, *argv) == 0
  lines = lines_lib.load_lines(module.__name__, argv)
  assert capsys.readouterr().out.splitlines() == [l.text for l in lines]
  assert len(lines) > 1
  assert run_main(module.__name__, '--trials=0', *argv[:1] + flags[1:]) == 2
  assert capsys.readouterr().err.strip().splitlines() == [
      '{}: error: --trials=0 must be >= 1'.format(module.GENERATOR.name)]
  assert run_main(module.__name__, '--help') == 0
  out = capsys.readouterr().out
  assert '--pack' in out and '--dataset {' in out


def test_the_runner_runs_as_a_module(in_tmp):
  with open('lines.txt', 'w') as f:
    f.write(FOUR_LINES)
  listed = subprocess.run(
      [sys.executable, '-m', runner.__name__, FAKE_RUNNER, 'lines.txt',
       '--dry_run'], stdout=subprocess.PIPE, universal_newlines=True,
      check=True).stdout
  assert listed.splitlines()[0].split() == [
      '4', 'pending', '--output_dir=out/a', '--seed=1', '--sleep=0.05']
  assert not os.path.exists('out')


# Lines, programs and records.


def test_lines_from_text_scripts_and_errors(tmp_path):
  lines = lines_lib.parse_text(FOUR_LINES)
  assert [l.number for l in lines] == [4, 5, 6, 7]  # Rows of the text.
  assert lines[2].argv == ['--output_dir=out/c d', '--seed=3', '--sleep=0.05']
  assert lines_lib.line_flags(['--a=1', '--b', '2', '--c', '--d-e=x']) == {
      'a': '1', 'b': '2', 'c': True, 'd_e': 'x'}
  script = tmp_path / 'printer.py'
  script.write_text('import sys\nprint("--output_dir=" + sys.argv[1])\n')
  assert [l.argv for l in lines_lib.load_lines(str(script), ['z'])] == [
      ['--output_dir=z']]
  text = tmp_path / 'lines.txt'
  text.write_text('--x=1\n')
  with pytest.raises(lines_lib.LineError, match='takes no generator'):
    lines_lib.load_lines(str(text), ['--trials=2'])
  with pytest.raises(lines_lib.LineError, match='does not exist'):
    lines_lib.load_lines(str(tmp_path / 'missing.txt'))
  with pytest.raises(lines_lib.LineError, match='cannot split'):
    lines_lib.parse_text('--output_dir="unclosed\n')


def test_program_output_directories(tmp_path):
  fake = programs.Program(FAKE_RUNNER)
  assert fake.command(['--x=1'], python='py') == ['py', FAKE_RUNNER, '--x=1']
  flags = lines_lib.line_flags(['--output_dir=o', '--level=3', '--mode=reuse'])
  assert fake.output_directories(flags) == [os.path.join('o', '3', 'reuse')]
  plain = tmp_path / 'plain.py'
  plain.write_text('raise SystemExit("never imported")\n')
  assert programs.Program(str(plain)).output_directories(
      {'output_dir': 'p', 'level': '1'}) == ['p']
  # A runner may bind the name by assignment or import, not only by def.
  aliased = tmp_path / 'aliased.py'
  aliased.write_text('output_directories = lambda output_dir, seed: '
                     '[output_dir + str(seed + 1)]\n')
  assert programs.Program(str(aliased)).output_directories(
      {'output_dir': 'q', 'seed': '1', 'mode': 'x'}) == ['q2']  # As Fire.
  module = programs.Program('lottery_ticket.argfiles.runner')
  assert module.command([], python='py') == [
      'py', '-m', 'lottery_ticket.argfiles.runner']
  with pytest.raises(programs.ProgramError, match='no_such_module'):
    programs.Program('no_such_module')


def test_records_are_atomic_and_tied_to_their_arguments(tmp_path):
  path = str(tmp_path / 'r' / 'state.json')
  assert state_lib.read_state(path) is None
  record = state_lib.new_state(['--a=1'], 'log')
  record['status'] = state_lib.DONE
  state_lib.write_state(path, record)
  assert os.listdir(str(tmp_path / 'r')) == ['state.json']  # No temp left.
  assert state_lib.is_done(state_lib.read_state(path), ['--a=1'])
  assert not state_lib.is_done(state_lib.read_state(path), ['--a=2'])
  with open(path, 'w') as f:
    f.write('{"status": "don')  # What a torn write would leave.
  assert state_lib.read_state(path) is None
  with pytest.raises(ValueError, match='status'):
    state_lib.write_state(path, dict(record, status='finished'))


def test_resources_keep_threads_within_cores():
  assert resources.threads_per_run(2, cpus=2) == 1
  assert resources.threads_per_run(3, cpus=8) == 2
  assert resources.threads_per_run(16, cpus=8) == 1
  assert 1 <= resources.default_parallelism(100) <= resources.cpu_count()
  assert resources.default_parallelism(1) == 1
  env = resources.thread_environment(3)
  assert env['LOTTERY_TICKET_INTRA_OP_THREADS'] == '3'
  assert env['OMP_NUM_THREADS'] == '3'


def test_progress_estimates_time_left_from_mean_run_time():
  now = [0.0]
  stream = io.StringIO()
  progress = progress_lib.Progress(total=5, already_done=1, parallelism=2,
                                   stream=stream, clock=lambda: now[0],
                                   live=False)
  runs = [run_lib.Run(l, None, None, 'rec{}'.format(l.number))
          for l in lines_lib.parse_text('--a\n--b\n--c\n--d\n')]
  progress.started(runs[0])
  progress.started(runs[1])
  # Each start says where its log is.
  assert stream.getvalue().splitlines()[1] == (
      '[sweep] line 2 started; log: ' + os.path.join('rec2', 'run.log'))
  # Nothing to estimate from: it says so, and never claims 0.
  assert progress.time_left() == 'estimating time left'
  now[0] = 10.0
  progress.finished(run_lib.RunResult(1, '--a', 'done', 0, None, 'log', 10.0))
  # Line 2 has run as long as the mean: its remainder is unknown, so the
  # two waiting runs (10 s each over 2 slots) are a lower bound.
  assert stream.getvalue().splitlines()[-1] == (
      '[sweep] line 1 done in 0:00:10 | 2/5 done, 1 running, 0 failed, '
      '2 left | at least 0:00:10 to go')
  now[0] = 12.0
  progress.finished(run_lib.RunResult(2, '--b', 'failed', 1, 'E: boom', 'log',
                                      12.0))
  assert stream.getvalue().splitlines()[-1] == (
      '[sweep] line 2 failed: E: boom | 2/5 done, 0 running, 1 failed, '
      '2 left | about 0:00:10 to go')
  progress.started(runs[2])
  progress.started(runs[3])
  now[0] = 14.0
  # Nothing waits: one slot's remainder (8 s and 8 s over 2 slots would say
  # 8) is never divided below the longest single remainder.
  assert progress.time_left() == 'about 0:00:08 to go'
  now[0] = 21.5
  assert progress.time_left() == 'about 0:00:01 to go'  # Never 0:00:00.
  now[0] = 30.0
  assert progress.time_left() == (
      'time left unknown: line 3 has run longer than the mean of 0:00:10')
  rows = progress_lib.summary(
      [run_lib.RunResult(2, '--b', 'failed', 1, 'E: boom', 'b.log', 12.0)],
      total=5, already_done=2, elapsed=3)
  assert rows == ['finished in 0:00:03: 2 of 5 lines done (0 in this run, '
                  '2 before), 1 failed', 'FAILED line 2: --b',
                  '  error: E: boom', '  log:   b.log']


def test_progress_draws_a_status_line_only_in_a_terminal(monkeypatch):
  monkeypatch.setenv('COLUMNS', '200')  # The line is cut to the width.
  now = [0.0]
  runs = [run_lib.Run(l, None, None, 'rec')
          for l in lines_lib.parse_text('--a\n--b\n')]
  quiet = io.StringIO()
  progress = progress_lib.Progress(2, 0, 1, stream=quiet,
                                   clock=lambda: now[0])
  progress.started(runs[0])
  progress.tick()
  assert '\r' not in quiet.getvalue()  # A StringIO is no terminal.
  live = io.StringIO()
  progress = progress_lib.Progress(2, 0, 1, stream=live, clock=lambda: now[0],
                                   live=True)
  progress.started(runs[0])
  now[0] = 5.0
  progress.tick()
  assert live.getvalue().endswith(
      '\r\x1b[K[sweep] 0/2 done, 1 running, 0 failed, 1 left | estimating '
      'time left | line 1 0:00:05')
  progress.tick()  # Within a second of the last draw: nothing new.
  assert live.getvalue().count('line 1 0:00') == 1
  progress.finished(run_lib.RunResult(1, '--a', 'done', 0, None, 'log', 5.0))
  # An event first clears the status line, then prints on its own line.
  assert live.getvalue().endswith(
      'line 1 0:00:05\r\x1b[K[sweep] line 1 done in 0:00:05 | 1/2 done, '
      '0 running, 0 failed, 1 left | about 0:00:05 to go\n')
  progress.clear()


# Sweeps of the fake runner.


@pytest.mark.slow
def test_sequential_and_local_sweeps_agree(in_tmp):
  code, log = _sweep(in_tmp / 'seq', FOUR_LINES)
  assert code == 0, log
  code, log = _sweep(in_tmp / 'local', FOUR_LINES, '--executor=local',
                     '--parallelism=2')
  assert code == 0, log
  assert 'local executor, 2 at a time' in log
  assert '4/4 done, 0 running, 0 failed, 0 left' in log
  assert _results(in_tmp / 'seq') == _results(in_tmp / 'local')
  # Parallel runs are held to their share of the cores; sequential ones
  # are not limited.
  with open(str(in_tmp / 'local' / 'out' / 'a' / 'result.json')) as f:
    threads = json.load(f)['threads']
  share = str(resources.threads_per_run(2))
  assert threads['LOTTERY_TICKET_INTRA_OP_THREADS'] == share
  assert threads['OMP_NUM_THREADS'] == share
  with open(str(in_tmp / 'seq' / 'out' / 'a' / 'result.json')) as f:
    assert json.load(f)['threads']['OMP_NUM_THREADS'] is None
  state = _state(in_tmp / 'local', 'out/e/2/reinit')
  assert state['status'] == 'done' and state['returncode'] == 0
  assert state['start_time'] <= state['end_time']
  assert os.path.exists(state['log_path'])


def test_a_failing_line_is_reported_and_the_others_finish(in_tmp):
  text = FOUR_LINES.replace('--seed=2 --sleep=0.05', '--seed=2 --fail')
  code, log = _sweep(in_tmp, text, '--executor=local', '--parallelism=2')
  assert code == 1
  assert [_count(in_tmp, d) for d in FOUR_DIRS] == [1, 1, 1, 1]
  assert 'FAILED line 5: --output_dir=out/b --seed=2 --fail' in log
  assert 'error: ValueError: fake failure for seed 2' in log
  log_path = str(in_tmp / 'out' / 'b' / '.argfile_run' / 'run.log')
  assert 'log:   ' + log_path in log
  state = _state(in_tmp, 'out/b')
  assert state['status'] == 'failed' and state['returncode'] == 1
  assert state['error'] == 'ValueError: fake failure for seed 2'
  # A re-run retries only the failure (which fails again).
  code, log = _sweep(in_tmp, text)
  assert code == 1
  assert [_count(in_tmp, d) for d in FOUR_DIRS] == [1, 2, 1, 1]
  assert _state(in_tmp, 'out/b')['attempts'] == 2


@pytest.mark.slow
def test_a_rerun_executes_only_what_is_not_done(in_tmp):
  code, _ = _sweep(in_tmp, FOUR_LINES)
  assert code == 0
  # Leave the sweep as a crash would: line 2 never recorded, line 3 caught
  # running, line 4 failed; and change line 1's arguments.
  os.remove(str(in_tmp / 'out/b/.argfile_run/state.json'))
  running = _state(in_tmp, 'out/c d')
  state_lib.write_state(str(in_tmp / 'out/c d/.argfile_run/state.json'),
                        dict(running, status=state_lib.RUNNING))
  failed = _state(in_tmp, 'out/e/2/reinit')
  state_lib.write_state(
      str(in_tmp / 'out/e/2/reinit/.argfile_run/state.json'),
      dict(failed, status=state_lib.FAILED))
  stream = io.StringIO()
  assert run_sweep([FAKE_RUNNER, 'lines.txt', '--dry_run'],
                     stream=stream) == 0
  code, log = _sweep(in_tmp, FOUR_LINES + '--output_dir=out/f --seed=5\n',
                     '--executor=local')
  assert code == 0, log
  assert '5 lines, 1 already done, 4 to run' in log
  assert [_count(in_tmp, d) for d in FOUR_DIRS + ('out/f',)] == [1, 2, 2, 2, 1]
  # A line whose arguments changed is never done: it is refused (see
  # test_argfiles_safety.py for rerunning it).
  code, log = _sweep(in_tmp, FOUR_LINES.replace('--seed=1', '--seed=7'))
  assert code == 2 and 'line 4 changed since it ran: --seed 1 -> 7' in log
  assert _count(in_tmp, 'out/a') == 1


def test_a_killed_sweep_resumes(in_tmp):
  text = FOUR_LINES.replace('--seed=2 --sleep=0.05',
                            '--seed=2 --hang_first_time=60')

  def terminate_when_line_2_runs():
    deadline = time.time() + 20
    while _count(in_tmp, 'out/b') == 0 and time.time() < deadline:
      time.sleep(0.05)
    os.kill(os.getpid(), signal.SIGTERM)  # As `kill` would, mid-sweep.

  killer = threading.Thread(target=terminate_when_line_2_runs)
  killer.start()
  code, log = _sweep(in_tmp, text)
  killer.join()
  assert code == 130, log
  assert [_count(in_tmp, d) for d in FOUR_DIRS] == [1, 1, 0, 0]
  state = _state(in_tmp, 'out/b')
  assert state['status'] == 'failed' and state['error'] == 'interrupted'
  code, log = _sweep(in_tmp, text)
  assert code == 0, log
  assert '4 lines, 1 already done, 3 to run' in log
  assert [_count(in_tmp, d) for d in FOUR_DIRS] == [1, 2, 1, 1]


def test_a_line_starts_after_the_line_whose_output_it_reads(in_tmp):
  text = ('--output_dir=out/p --sleep=0.5\n'
          '--output_dir=out/l --needs=out/p\n'
          '--output_dir=out/x --needs=out/l/\n'
          '--output_dir=out/y\n')
  code, log = _sweep(in_tmp, text, '--executor=local', '--parallelism=2')
  assert code == 0, log
  assert [_count(in_tmp, d) for d in ('out/p', 'out/l', 'out/x', 'out/y')
          ] == [1, 1, 1, 1]
  # If the input fails, its readers (and theirs) fail without starting.
  code, log = _sweep(in_tmp / 'failing', text.replace('0.5', '0.5 --fail'),
                     '--executor=local', '--parallelism=2')
  assert code == 1
  assert [_count(in_tmp / 'failing', d)
          for d in ('out/p', 'out/l', 'out/x', 'out/y')] == [1, 0, 0, 1]
  for line in (1, 2):
    assert ('error: not started: it reads the output of line {}, which '
            'failed'.format(line)) in log
  assert _state(in_tmp / 'failing', 'out/l')['status'] == 'failed'


def test_a_line_may_not_read_a_later_lines_output(in_tmp):
  code, log = _sweep(in_tmp, '--output_dir=out/l --needs=out/p\n'
                     '--output_dir=out/p\n')
  assert code == 2 and len(log.strip().splitlines()) == 1
  assert 'line 1 reads out/p, the output of line 2, which comes after it' in log


def test_two_lines_writing_one_directory_are_refused(in_tmp):
  # Line 7 writes out/e/2/reinit through the runner's output_directories.
  text = FOUR_LINES + '--output_dir=out/e/2/reinit/ --seed=9\n'
  code, log = _sweep(in_tmp, text, '--executor=local')
  assert code == 2
  assert len(log.strip().splitlines()) == 1
  assert 'lines 7 and 8 both write {}'.format(
      os.path.join(str(in_tmp), 'out', 'e', '2', 'reinit')) in log
  assert not os.path.exists('out')  # Nothing started.


@pytest.mark.parametrize('flags,message', [
    (['--executor=slurm'], "No such executor: 'slurm'"),
    (['--executor=local', '--parallelism=0'], 'parallelism must be at least 1'),
    (['--address=auto'], '--address is for the ray executor'),
    (['--parallelism=two'], "--parallelism='two' is not an integer"),
    (['--paralelism=2'], 'does not take --paralelism'),
])
def test_bad_input_is_one_line(in_tmp, flags, message):
  code, log = _sweep(in_tmp, FOUR_LINES, *flags)
  assert code == 2
  assert len(log.strip().splitlines()) == 1 and message in log
  assert not os.path.exists('out')


def test_missing_argfile_is_one_line(in_tmp):
  stream = io.StringIO()
  assert run_sweep([FAKE_RUNNER, 'nope.txt'], stream=stream) == 2
  assert stream.getvalue().count('\n') == 1 and 'nope.txt' in stream.getvalue()


@pytest.mark.slow
def test_state_dir_keeps_output_directories_clean(in_tmp):
  code, log = _sweep(in_tmp, FOUR_LINES, '--state_dir=records')
  assert code == 0, log
  assert not os.path.exists(str(in_tmp / 'out' / 'a' / '.argfile_run'))
  records = [r for r in os.listdir('records') if not r.startswith('.')]
  assert {r.split('-', 1)[1] for r in records} == {'a', 'b', 'c d', 'reinit'}
  code, log = _sweep(in_tmp, FOUR_LINES, '--state_dir=records')
  assert '4 already done, 0 to run' in log


@pytest.mark.slow
def test_ray_sweep_agrees_with_sequential(in_tmp):
  ray = pytest.importorskip(
      'ray', reason="the ray executor needs Ray: pip install -e '.[ray]'")
  ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
  try:
    # By default as many tasks as the cluster has CPUs for.
    assert executors.make_executor('ray').allocate(8) == (2, 1)
    assert executors.make_executor('ray', cpus_per_run=2).allocate(8) == (1, 2)
    # One task at a time here: each Ray worker that runs a task imports this
    # package, which starts TensorFlow, and two such imports side by side
    # would double the test's time on two cores.
    code, log = _sweep(in_tmp / 'ray', FOUR_LINES, '--executor=ray',
                       '--parallelism=1')
    assert code == 0, log
    assert 'ray executor, 1 at a time, 1 thread(s) each' in log
    # Line 2 changed: rerun from scratch (its runner gets --overwrite), it
    # fails and says why.
    text = FOUR_LINES.replace('--seed=2 --sleep=0.05', '--seed=2 --fail')
    code, log = _sweep(in_tmp / 'ray', text, '--executor=ray',
                       '--parallelism=1', '--rerun_changed')
    assert code == 1 and 'ValueError: fake failure for seed 2' in log
    with open(str(in_tmp / 'ray' / 'out/b/.argfile_run/run.log')) as f:
      assert '--fail --overwrite' in f.read()
  finally:
    ray.shutdown()
  code, _ = _sweep(in_tmp / 'seq', FOUR_LINES)
  assert code == 0
  assert _results(in_tmp / 'ray') == _results(in_tmp / 'seq')


def test_ray_missing_is_one_line(monkeypatch):
  monkeypatch.setitem(sys.modules, 'ray', None)  # Makes `import ray` fail.
  with pytest.raises(executors.ExecutorError,
                     match=r"pip install -e '\.\[ray\]'"):
    executors.make_executor('ray')


def test_plan_needs_a_home_for_each_record(tmp_path):
  plain = tmp_path / 'plain.py'
  plain.write_text('print("a runner without output_directories")\n')
  program = programs.Program(str(plain))
  lines = lines_lib.parse_text('--seed=1\n')
  with pytest.raises(sweep_lib.SweepError, match='line 1 has no --output_dir'):
    sweep_lib.plan(program, lines)
  runs = sweep_lib.plan(program, lines, state_dir=str(tmp_path / 's'))
  assert runs[0].output_dirs is None
  assert os.path.dirname(runs[0].run_dir) == str(tmp_path / 's')
