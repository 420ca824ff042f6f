"""Tests of packed lines in sweeps: `--trials=N` lines writing several runs.

The generators' --pack lines, the runners' output_directories, and sweeps of
packed and unpacked lines side by side: duplicates across them refused,
lines reading a pack (or read by one) ordered after their inputs, records
of a packed line kept apart; then a packed lottery sweep of the real runner.
The fake runner (tests/fake_runner.py) takes --trials as the real ones do.
"""

import io
import os

import pytest

from lottery_ticket import command_line
from lottery_ticket.argfiles import lines as lines_lib
from lottery_ticket.argfiles import lottery_experiment_argfile
from lottery_ticket.argfiles import paper_recipes
from lottery_ticket.argfiles import reinitialize_argfile
from lottery_ticket.argfiles import runner
from lottery_ticket.argfiles import sparse_train_argfile
from lottery_ticket.argfiles import sweep as sweep_lib
from lottery_ticket.argfiles.engine import programs
from lottery_ticket.argfiles.engine import state as state_lib

import argfiles_testlib as testlib
from argfiles_testlib import in_tmp  # pylint: disable=unused-import
from argfiles_testlib import run_sweep

_sweep = testlib.sweep
_count = testlib.count


def test_lottery_lines_packed():
  assert lottery_experiment_argfile.make_lines(
      'res/lt', trials=3, first_trial=2, iterations=4, dataset='digits',
      pack=True) == [
          '--output_dir=res/lt --iterations=4 --dataset=digits --trials=3 '
          '--seed=2']
  # The random-pruning control is a second pack, writing a base of its own.
  assert lottery_experiment_argfile.make_lines(
      'res/lt', trials=2, paper=True, scale=0.02, pack=True) == [
          '--output_dir=res/lt --iterations=20 --dataset=mnist '
          '--checkpoint_interval=100 --test_interval=2 --training_len=1000it '
          '--trials=2 --seed=0',
          '--output_dir=res/lt/random_pruning --iterations=20 --dataset=mnist '
          '--checkpoint_interval=100 --test_interval=2 --training_len=1000it '
          '--pruning=random --experiment_name=random_pruning --trials=2 '
          '--seed=0']


def test_reinitialize_lines_packed():
  assert reinitialize_argfile.make_lines(
      'res/lt', trials=2, first_trial=1, levels='0,3', modes='reinit,reuse',
      pack=True) == [
          '--output_dir=res/lt --level=0 --mode=reinit --trials=2 --seed=1',
          '--output_dir=res/lt --level=0 --mode=reuse --trials=2 --seed=1',
          '--output_dir=res/lt --level=3 --mode=reinit --trials=2 --seed=1',
          '--output_dir=res/lt --level=3 --mode=reuse --trials=2 --seed=1']
  assert len(reinitialize_argfile.make_lines('res/lt', trials=5, paper=True,
                                             pack=True)) == 21
  # A packed trial's directory is named by its seed: no offset between them.
  with pytest.raises(ValueError, match='no seed offset'):
    reinitialize_argfile.make_lines('res/lt', trials=2, iterations=1,
                                    seed_offset=1, pack=True)


def test_sparse_train_lines_packed():
  assert sparse_train_argfile.make_lines(
      'res/sp', trials=2, methods='dense,lottery,prune', sparsities='0.9',
      dataset='digits', pack=True) == [
          '--method=dense --output_dir=res/sp/dense --dataset=digits '
          '--trials=2 --seed=0',
          '--method=prune --sparsity=0.9 --output_dir=res/sp/prune/sparsity0.9'
          ' --dataset=digits --trials=2 --seed=0',
          '--method=lottery --sparsity=0.9 '
          '--output_dir=res/sp/lottery/sparsity0.9 '
          '--mask_from=res/sp/prune/sparsity0.9 --dataset=digits --trials=2 '
          '--seed=0']


def test_packed_paper_lines_read_the_packed_prune_line(tmp_path):
  paper = sparse_train_argfile.make_lines(str(tmp_path), trials=3,
                                          paper='mlp', scale=0.01, pack=True)
  assert len(paper) == len(paper_recipes.EVCI_METHODS)
  assert all(line.endswith('--trials=3 --seed=0') for line in paper)
  runs = _plan('\n'.join(paper))
  prune = [r.line.number for r in runs if '--method=prune' in r.line.text]
  for run in runs:
    reads = '--mask_from=' in run.line.text
    assert run.depends_on == (tuple(prune) if reads else ())


def test_generator_command_takes_pack(capsys):
  command_line.run(lottery_experiment_argfile.RUNNER,
                   ['--output_dir=x', '--trials=2', '--iterations=1',
                    '--pack'])
  assert capsys.readouterr().out == (
      '--output_dir=x --iterations=1 --dataset=mnist --trials=2 --seed=0\n')


def test_runners_name_every_directory_of_a_packed_line():
  # pylint: disable=g-import-not-at-top
  from lottery_ticket.mnist_fc.runners import lottery_experiment
  from lottery_ticket.mnist_fc.runners import reinitialize
  from lottery_ticket.mnist_fc.runners import sparse_train
  from lottery_ticket.mnist_fc.runners import train
  j = os.path.join
  assert lottery_experiment.output_directories('b', trials=2, seed=3) == [
      j('b', 'trial3'), j('b', 'trial4')]
  assert lottery_experiment.output_directories('b/trial0', seed=0) == [
      'b/trial0']
  assert sparse_train.output_directories('b', trials='2', seed='1') == [
      j('b', 'trial1'), j('b', 'trial2')]
  assert reinitialize.output_directories('b', 3, 'reuse', trials=2) == [
      j('b', 'trial0', '3', 'reuse'), j('b', 'trial1', '3', 'reuse')]
  assert reinitialize.output_directories('b/trial0', 3) == [
      j('b/trial0', '3', 'reinit')]
  assert train.output_directories('b', seed=4) == ['b']


def _plan(text):
  return sweep_lib.plan(programs.Program(testlib.FAKE_RUNNER),
                        lines_lib.parse_text(text))


@pytest.mark.parametrize('text,numbers,directory', [
    # A pack and the unpacked line of one of its trials, in either order.
    ('--output_dir=out --trials=2\n--output_dir=out/trial1 --seed=1\n',
     (1, 2), 'out/trial1'),
    ('--output_dir=out/trial1 --seed=1\n--output_dir=out --trials=2\n',
     (1, 2), 'out/trial1'),
    # Two packs whose seeds overlap.
    ('--output_dir=x --seed=9\n--output_dir=out --trials=2 --seed=0\n'
     '--output_dir=out --trials=3 --seed=1\n', (2, 3), 'out/trial1'),
    # Packed controls of one level and mode, twice.
    ('--output_dir=out --level=1 --mode=reinit --trials=2\n'
     '--output_dir=out/trial1 --level=1 --mode=reinit --seed=1\n', (1, 2),
     'out/trial1/1/reinit'),
])
def test_packed_and_unpacked_lines_writing_one_directory_are_refused(
    in_tmp, text, numbers, directory):
  code, log = _sweep(in_tmp, text)
  assert code == 2 and len(log.strip().splitlines()) == 1, log
  lines = lines_lib.parse_text(text)
  assert 'lines {} and {} both write {}: {!r} and {!r}'.format(
      numbers[0], numbers[1], os.path.join(str(in_tmp), directory),
      lines[numbers[0] - 1].text, lines[numbers[1] - 1].text) in log
  assert not os.path.exists('out')  # Nothing started.


def test_packs_of_distinct_trials_are_distinct_lines(in_tmp):
  runs = _plan('--output_dir=out --trials=2 --seed=0\n'
               '--output_dir=out --trials=2 --seed=2\n'
               '--output_dir=out --level=1 --mode=reinit --trials=4\n'
               '--output_dir=out --level=1 --mode=reuse --trials=4\n')
  assert runs[0].output_dirs == [os.path.join(str(in_tmp), 'out', t)
                                 for t in ('trial0', 'trial1')]
  # Each line's record: under the common parent of its directories, named
  # after the first; the controls depend on both packs, not on each other.
  records = os.path.join(str(in_tmp), 'out', '.argfile_run')
  assert [r.run_dir for r in runs] == [
      os.path.join(records, name) for name in (
          'trial0+1', 'trial2+1', 'trial0_1_reinit+3', 'trial0_1_reuse+3')]
  assert [r.depends_on for r in runs] == [(), (), (1, 2), (1, 2)]
  assert os.path.commonpath(runs[0].output_dirs) == os.path.join(
      str(in_tmp), 'out')


def test_dependencies_across_packed_and_unpacked_lines(in_tmp):
  runs = _plan(
      '--output_dir=p --trials=2\n'                      # 1: p/trial0, trial1
      '--output_dir=c --needs=p/trial1 --seed=1\n'       # 2: reads a trial
      '--output_dir=q/trial0 --seed=0\n'                 # 3
      '--output_dir=q/trial1 --seed=1\n'                 # 4
      '--output_dir=d --needs=q --trials=2\n'            # 5: reads q/trial{t}
      '--output_dir=e --needs=p --trials=1 --seed=1\n'   # 6: reads p/trial1
      '--output_dir=f --needs=q --trials=1 --seed=5\n')  # 7: nothing written
  assert [r.depends_on for r in runs] == [(), (1,), (), (), (3, 4), (1,), ()]
  with pytest.raises(sweep_lib.SweepError,
                     match=r'line 1 reads .*trial1, the output of line 2'):
    _plan('--output_dir=c --needs=p --trials=2\n--output_dir=p/trial1\n')


@pytest.mark.slow
def test_a_sweep_of_packed_and_unpacked_lines_runs_in_order(in_tmp):
  text = ('--output_dir=p --trials=2 --sleep=0.4\n'
          '--output_dir=r --needs=p --trials=2\n'
          '--output_dir=u --needs=p/trial1 --seed=1\n'
          '--output_dir=p --level=1 --mode=reinit --trials=2\n')
  code, log = _sweep(in_tmp, text, '--executor=local', '--parallelism=3')
  assert code == 0, log
  written = ['p/trial0', 'p/trial1', 'r/trial0', 'r/trial1', 'u',
             'p/trial0/1/reinit', 'p/trial1/1/reinit']
  assert [_count(in_tmp, d) for d in written] == [1] * len(written)
  record = state_lib.read_state(os.path.join(
      'p', '.argfile_run', 'trial0+1', 'state.json'))
  assert record['status'] == 'done'
  code, log = _sweep(in_tmp, text)
  assert code == 0 and '4 lines, 4 already done, 0 to run' in log
  # The trials of a pack rerun unpacked: records of their own, not 'changed'.
  code, log = _sweep(in_tmp, '--output_dir=p/trial0 --seed=0\n'
                     '--output_dir=p/trial1 --seed=1\n')
  assert code == 0 and '2 lines, 0 already done, 2 to run' in log, log
  assert _count(in_tmp, 'p/trial1') == 2


def test_packed_lines_with_a_state_directory(in_tmp):
  text = ('--output_dir=p --trials=2\n'
          '--output_dir=p --level=0 --mode=reinit --trials=2\n')
  code, log = _sweep(in_tmp, text, '--state_dir=records')
  assert code == 0, log
  assert not os.path.exists(os.path.join('p', '.argfile_run'))
  names = sorted(n for n in os.listdir('records') if not n.startswith('.'))
  assert sorted(n.split('-', 1)[1] for n in names) == [
      'trial0+1', 'trial0_0_reinit+1']


RUNNERS = 'lottery_ticket.mnist_fc.runners.'


@pytest.mark.slow
def test_packed_lottery_sweep_of_the_real_runner(tmp_path, monkeypatch):
  monkeypatch.chdir(tmp_path)
  stream = io.StringIO()
  command = [RUNNERS + 'lottery_experiment',
             'lottery_ticket.argfiles.lottery_experiment_argfile', '--',
             '--output_dir=lt', '--trials=2', '--iterations=1',
             '--dataset=digits', '--training_len=20it', '--pack']
  assert run_sweep(command, stream=stream) == 0, stream.getvalue()
  assert '1 lines, 0 already done, 1 to run' in stream.getvalue()
  for trial in (0, 1):
    for level in (0, 1):
      assert os.path.exists(os.path.join(
          'lt', 'trial{}'.format(trial), str(level), 'same_init', 'DONE'))
  with open(os.path.join('lt', '.argfile_run', 'trial0+1', 'run.log')) as f:
    assert 'same_init' in f.read()


def test_packed_reinitialize_lines_of_the_real_runner(tmp_path):
  program = programs.Program(RUNNERS + 'reinitialize')
  text = '\n'.join(reinitialize_argfile.make_lines(
      str(tmp_path), trials=2, iterations=2, pack=True))
  runs = sweep_lib.plan(program, lines_lib.parse_text(text))
  assert len(runs) == 3 * 3
  assert runs[0].output_dirs == [
      os.path.join(str(tmp_path), t, '0', 'reinit') for t in ('trial0',
                                                               'trial1')]
  assert runs[-1].run_dir == os.path.join(
      str(tmp_path), '.argfile_run', 'trial0_2_reuse_sign+1')
  assert len({run.run_dir for run in runs}) == len(runs)
