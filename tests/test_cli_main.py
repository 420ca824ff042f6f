"""The `lottery-ticket` console command and the package metadata."""

import os
import runpy
import subprocess
import sys
import warnings

import setuptools

from conftest import REPO


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


def _dispatch(monkeypatch, capsys, *argv):
  """cli_main.main(argv) in this process: (status, stdout + stderr, the
  modules whose Ctrl-C handling it installed)."""
  from lottery_ticket import cli_main  # pylint: disable=g-import-not-at-top
  installed = []
  # The real handler would make Ctrl-C end the test process at once.
  monkeypatch.setattr(cli_main._interrupts, 'install_for_runner_module',  # pylint: disable=protected-access
                      installed.append)
  argv_before = list(sys.argv)
  with warnings.catch_warnings():  # runpy: the module was imported already
    warnings.simplefilter('ignore', RuntimeWarning)
    try:
      status = cli_main.main(list(argv))
    except SystemExit as stop:
      status = 0 if stop.code is None else stop.code
  assert sys.argv == argv_before
  out = capsys.readouterr()
  return status, out.out + out.err, installed


def test_every_subcommand_runs_its_own_modules_main_block(monkeypatch,
                                                          capsys):
  from lottery_ticket import cli_main  # pylint: disable=g-import-not-at-top
  helps = {}
  for name, command in cli_main.COMMANDS.items():
    status, text, installed = _dispatch(monkeypatch, capsys, name, '--help')
    assert status == 0, (name, text)
    assert installed == [command.module], name
    # Help comes only from the module's __main__ block, which names it.
    assert command.module.rsplit('.', 1)[1] in text, (name, text[:200])
    helps[name] = text
  assert len(set(helps.values())) == len(helps)  # one module each
  assert '--output_dir' in helps['train'] and '--learning_rate' in helps['train']


def test_a_dashed_subcommand_is_the_underscored_one(monkeypatch, capsys):
  dashed = _dispatch(monkeypatch, capsys, 'sparse-train', '--help')
  underscored = _dispatch(monkeypatch, capsys, 'sparse_train', '--help')
  assert dashed == underscored and dashed[0] == 0


def test_no_command_prints_the_list_on_stderr_and_exit_2(capsys):
  from lottery_ticket import cli_main  # pylint: disable=g-import-not-at-top
  assert cli_main.main([]) == 2
  out = capsys.readouterr()
  assert out.out == '' and out.err == cli_main.usage()


def test_the_module_form_is_the_command(run_main, capsys):
  assert run_main('lottery_ticket.cli_main', 'prune_everything') == 2
  assert "No such command: 'prune_everything'" in capsys.readouterr().err


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


_HELP_WITHOUT_TENSORFLOW = r'''
import contextlib, io, sys, warnings
class Refuse(object):  # TensorFlow's import fails, so any --help needing it
  def find_spec(self, name, path=None, target=None):
    if name.split('.')[0] == 'tensorflow':
      raise ImportError('--help imported TensorFlow')
sys.meta_path.insert(0, Refuse())
from lottery_ticket import cli_main
warnings.simplefilter('ignore', RuntimeWarning)
for name in cli_main.COMMANDS:
  out = io.StringIO()
  with contextlib.redirect_stdout(out):
    try:
      status = cli_main.main([name, '--help'])
    except SystemExit as stop:
      status = stop.code
  print(name, status, len(out.getvalue().splitlines()))
'''


def test_every_commands_help_starts_without_tensorflow():
  # One process, TensorFlow refused: every registered command's module and
  # its --help import none (a runner imports its library inside the
  # function it runs, an analysis or bench its TensorFlow modules likewise).
  result = subprocess.run([sys.executable, '-c', _HELP_WITHOUT_TENSORFLOW],
                          capture_output=True, text=True, timeout=300)
  assert result.returncode == 0, result.stderr[-2000:]
  from lottery_ticket import cli_main  # pylint: disable=g-import-not-at-top
  shown = [line.split() for line in result.stdout.splitlines()]
  assert [row[0] for row in shown] == list(cli_main.COMMANDS)
  for name, status, lines in shown:
    assert status == '0' and int(lines) > 3, (name, status, lines)


def test_the_readmes_command_table_is_generated_from_the_registry():
  from lottery_ticket import cli_main  # pylint: disable=g-import-not-at-top
  with open(os.path.join(REPO, 'README.md')) as readme:
    text = readme.read()
  table = text.split('<!-- flags: commands cli_main -->\n')[1].split(
      '<!-- /flags -->')[0]
  assert table.strip().splitlines() == cli_main.markdown_table(), (
      'the README disagrees with cli_main.COMMANDS: run python docs/flags.py')
  named = [row.split('`')[1] for row in table.strip().splitlines()[2:]]
  assert named == list(cli_main.COMMANDS)
  for command in cli_main.COMMANDS.values():
    assert os.path.exists(os.path.join(REPO, 'docs',
                                       command.manual.split('#')[0]))
