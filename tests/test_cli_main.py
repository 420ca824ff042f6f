"""The `lottery-ticket` console command and the package metadata."""

import importlib.util
import os
import runpy
import subprocess
import sys

import setuptools

from conftest import REPO


def _lottery_ticket(*args):
  env = dict(os.environ, LOTTERY_TICKET_INTRA_OP_THREADS='1',
             LOTTERY_TICKET_INTER_OP_THREADS='1')
  return subprocess.run([sys.executable, '-m', 'lottery_ticket.cli_main'] +
                        list(args), capture_output=True, text=True, env=env,
                        timeout=600)


def test_the_command_lists_its_subcommands_without_tensorflow():
  code = ('import sys\n'
          'from lottery_ticket import cli_main\n'
          'status = cli_main.main(["--help"])\n'
          'assert "tensorflow" not in sys.modules, "TensorFlow was imported"\n'
          'sys.exit(status)\n')
  result = subprocess.run([sys.executable, '-c', code], capture_output=True,
                          text=True, timeout=120)
  assert result.returncode == 0, result.stderr
  listed = [line.split()[0] for line in result.stdout.splitlines()
            if line.startswith('  ')]
  from lottery_ticket import cli_main
  assert listed == list(cli_main.COMMANDS)
  for name in ('lottery_experiment', 'train', 'reinitialize', 'sparse_train',
               'download_data', 'results', 'hessian_spectrum',
               'interpolation', 'instability', 'sweep'):
    assert name in listed


def test_every_subcommand_names_a_module_with_a_main_block():
  from lottery_ticket import cli_main
  for name, command in cli_main.COMMANDS.items():
    spec = importlib.util.find_spec(command.module)
    assert spec is not None, name
    with open(spec.origin) as f:
      assert "if __name__ == '__main__':" in f.read(), name


def test_a_subcommand_runs_its_module_help_on_stdout():
  result = _lottery_ticket('train', '--help')
  assert result.returncode == 0, result.stderr
  assert '--output_dir' in result.stdout and '--learning_rate' in result.stdout


def test_an_unknown_subcommand_is_one_line_and_exit_2(capsys):
  from lottery_ticket import cli_main  # pylint: disable=g-import-not-at-top
  assert cli_main.main(['prune_everything']) == 2
  err = capsys.readouterr().err
  assert err.startswith(
      "lottery-ticket: error: No such command: 'prune_everything' (choose from: "
      'lottery_experiment, train,')
  assert len(err.strip().splitlines()) == 1


def _setup_arguments(monkeypatch, gpu=None):
  captured = {}
  monkeypatch.setattr(setuptools, 'setup', lambda **kw: captured.update(kw))
  if gpu is None:
    monkeypatch.delenv('LOTTERY_TICKET_GPU', raising=False)
  else:
    monkeypatch.setenv('LOTTERY_TICKET_GPU', gpu)
  runpy.run_path(os.path.join(REPO, 'setup.py'))
  return captured


def test_setup_installs_the_command_tensorboard_and_a_gpu_extra(monkeypatch):
  arguments = _setup_arguments(monkeypatch)
  assert arguments['entry_points']['console_scripts'] == [
      'lottery-ticket = lottery_ticket.cli_main:main']
  extras = arguments['extras_require']
  assert any(r.startswith('tensorboard') for r in extras['all'])
  assert extras['gpu'][0].startswith('tensorflow[and-cuda]')
  assert 'platform_machine=="x86_64"' in extras['gpu'][0]
  assert arguments['install_requires'][0].startswith('tensorflow-cpu')
  gpu = _setup_arguments(monkeypatch, gpu='1')
  assert not [r for r in gpu['install_requires'] if 'tensorflow-cpu' in r]
  assert gpu['install_requires'][0] == 'tensorflow>=2.15'
