"""What a person sees at the command line: help, interrupts, mask lists."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from lottery_ticket import command_line
from lottery_ticket.foundations import paths
from lottery_ticket.foundations import save_restore
from lottery_ticket.mnist_fc.runners import train as train_runner

RUNNERS = 'lottery_ticket.mnist_fc.runners.'


@pytest.mark.parametrize('runner, own, foreign', [
    ('lottery_experiment', ['--iterations',
                            '--pruning {layerwise|global|global_with_output|random}'],
     '--method'),
    ('train', ['--masks', '--combine {union|intersection}'], '--pruning'),
    ('reinitialize', ['--mode {reinit|reuse|reuse_sign}'], '--method'),
    ('sparse_train', ['--method {dense|', '--distribution {uniform|erk}',
                      '--preset {|lenet5|mlp}',
                      '(default: layer for snip and grasp (evci), global for '
                      'the others)'], '--prune_percent'),
])
def test_help_is_on_stdout_with_choices_and_one_default(run_main, capsys,
                                                        runner, own, foreign):
  # In-process (the module's __main__ block); that `python -m` of a runner
  # works, on a clean stderr, is test_runners.test_bad_flag_from_the_shell.
  assert run_main(RUNNERS + runner, '--help') == 0
  result = capsys.readouterr()
  assert not result.err.strip()
  for flag in own:
    assert flag in result.out
  assert foreign + ' ' not in result.out and foreign + ':' not in result.out
  for line in result.out.splitlines():
    assert line.count('(default') <= 1, line


def test_analysis_help_describes_every_flag(run_main, capsys):
  for module in ('analysis.results', 'analysis.interpolation',
                 'analysis.instability'):
    assert run_main('lottery_ticket.' + module, '--help') == 0
    out = capsys.readouterr().out
    flags = [l for l in out.splitlines() if l.startswith('  --')]
    assert flags and all(': (' not in l for l in flags), out


@pytest.mark.slow
def test_ctrl_c_is_one_line_and_exit_130(tmp_path):
  out = str(tmp_path / 'run')
  env = dict(os.environ, LOTTERY_TICKET_INTRA_OP_THREADS='1',
             LOTTERY_TICKET_INTER_OP_THREADS='1')
  process = subprocess.Popen(
      [sys.executable, '-m', RUNNERS + 'lottery_experiment',
       '--output_dir=' + out, '--dataset=digits', '--iterations=20',
       '--training_len=2000it', '--save_summaries=false'],
      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
      # A shell running this suite in the background ignores SIGINT, and its
      # children would inherit that: give the runner the terminal's default.
      preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
  marker = paths.config(paths.run(out, 0, 'same_init'))
  deadline = time.time() + 300
  while not os.path.exists(marker):
    assert process.poll() is None and time.time() < deadline
    time.sleep(0.05)
  time.sleep(1.0)
  process.send_signal(signal.SIGINT)
  _, err = process.communicate(timeout=120)
  assert process.returncode == 130
  ours = [l for l in err.splitlines() if 'interrupted' in l]
  assert len(ours) == 1 and 'run the same command again' in ours[0]
  assert 'Traceback' not in err


def _masks(path, rows):
  save_restore.save_network(path, {
      'layer0': np.array(rows, np.float32).reshape(64, 12),
      'layer1': np.ones((12, 10), np.float32)})
  return path


def test_masks_as_a_comma_list_combine_by_union_or_intersection(tmp_path):
  first = np.zeros(64 * 12)
  first[:300] = 1
  second = np.zeros(64 * 12)
  second[200:500] = 1
  a = _masks(str(tmp_path / 'a'), first)
  b = _masks(str(tmp_path / 'b'), second)
  flags = ['--dataset=digits', '--layers=12', '--training_len=10it',
           '--test_interval=5']
  for combine, form, alive in (('union', '{},{}', 500),
                               ('intersection', '[{},{}]', 100)):
    out = str(tmp_path / combine)
    command_line.run(train_runner.RUNNER, ['--output_dir=' + out,
                                  '--masks=' + form.format(a, b),
                                  '--combine=' + combine] + flags)
    mask = save_restore.restore_network(paths.masks(out))['layer0']
    assert int(mask.sum()) == alive


def test_validate_flags_checks_a_line_without_running_it(tmp_path):
  from lottery_ticket.mnist_fc.runners import lottery_experiment  # pylint: disable=g-import-not-at-top
  from lottery_ticket.mnist_fc.runners import sparse_train  # pylint: disable=g-import-not-at-top
  out = '--output_dir=' + str(tmp_path / 'x')
  lottery_experiment.validate_flags([out, '--iterations=3', '--seed', '2',
                                     '--permute_labels'])
  sparse_train.validate_flags([out, '--method=rigl', '--sparsity=0.9',
                               '--save_freq=10'])
  for argv, message in (([out, '--learning_rate=fast'], 'is not a number'),
                        ([out, '--iterations=-1'], 'must be >= 0'),
                        ([out, '--method=rigl'], 'does not take --method'),
                        (['--seed=1'], 'needs --output_dir')):
    with pytest.raises(ValueError, match=message):
      lottery_experiment.validate_flags(argv)
  with pytest.raises(ValueError, match='needs --sparsity'):
    sparse_train.validate_flags([out, '--method=rigl'])
  assert not (tmp_path / 'x').exists()


def test_analysis_flags_are_typed_like_the_configuration(run_main, capsys,
                                                         tmp_path):
  assert run_main('lottery_ticket.analysis.interpolation', '--start=/x',
                  '--end=/y', '--output_dir=' + str(tmp_path),
                  '--plot=maybe') == 2
  assert "--plot='maybe' is not a boolean" in capsys.readouterr().err

  def command(path, plot=True, points=3, scale=1.0):
    del path, plot, points, scale  # Unused: only the reading is tested.

  runner = command_line.command(command, 'command')
  assert command_line.read_command_line(
      runner, ['--path=p', '--plot', 'false', '--points=7',
               '--scale=0.5']) == {'path': 'p', 'plot': False, 'points': 7,
                                   'scale': 0.5}


_NO_TENSORFLOW = r'''
import sys
from lottery_ticket.mnist_fc.runners import download_data
from lottery_ticket.mnist_fc.runners import lottery_experiment
from lottery_ticket.mnist_fc.runners import reinitialize
from lottery_ticket.mnist_fc.runners import sparse_train
from lottery_ticket.mnist_fc.runners import train
for runner in (lottery_experiment, reinitialize, sparse_train, train):
  runner.RUNNER.help()
  runner.validate_flags(['--output_dir=/nonexistent', '--level=1',
                         '--dataset=digits', '--seed=3'] if runner is
                        reinitialize else ['--output_dir=/nonexistent'])
print(sorted(m for m in sys.modules if m.split('.')[0] == 'tensorflow'))
'''


def test_help_and_flag_checks_import_no_tensorflow():
  # One process for all the runners (this one has TensorFlow already): their
  # --help and validate_flags read declarations only, so they start at once.
  result = subprocess.run([sys.executable, '-c', _NO_TENSORFLOW],
                          capture_output=True, text=True, check=True,
                          timeout=120)
  assert result.stdout.strip() == '[]', result.stdout
