"""docs/extending.md works: its snippets, run from outside the package.

Each snippet marked `<!-- extending: NAME -->` is executed here as a user's
module would be (nothing is edited into the package): a toy network family
and a toy pruning method are registered, then trained through the real
runners in this process on digits for a few iterations, and what they
wrote is checked (the network's layer shapes, the method's mask). The
registries are restored after each test.
"""

import contextlib
import io
import os
import re

import numpy as np
import pytest

from lottery_ticket import command_line
from lottery_ticket.foundations import hparams
from lottery_ticket.foundations import save_restore
from lottery_ticket.foundations.models import architectures
from lottery_ticket.foundations.sparse import sparse_methods
from lottery_ticket.mnist_fc import config as config_lib
from lottery_ticket.mnist_fc.runners import lottery_experiment
from lottery_ticket.mnist_fc.runners import sparse_train

from conftest import REPO

PAGE = os.path.join(REPO, 'docs', 'extending.md')
SNIPPET = re.compile(r'<!-- extending: ([\w ]+) -->\n```python\n(.*?)```',
                     re.S)
FAST = ['--dataset=digits', '--training_len=20it', '--test_interval=10',
        '--save_summaries=false']


def _snippets():
  with open(PAGE) as page:
    return dict(SNIPPET.findall(page.read()))


@pytest.fixture
def registries(monkeypatch):
  """Every registry a snippet adds to, restored afterwards."""
  for module, names in ((architectures, ('FAMILIES', 'NETWORKS')),
                        (sparse_methods, ('NAMES', 'METHODS')),
                        (config_lib, ('CROSS_RULES',))):
    for name in names:
      value = getattr(module, name)
      monkeypatch.setattr(module, name,
                          dict(value) if isinstance(value, dict) else value)


def _run(names):
  """Executes the named snippets in one namespace, as a module of a user's
  would run (`__name__` is not '__main__')."""
  namespace = {'__name__': 'my_extensions'}
  snippets = _snippets()
  for name in names:
    code = compile(snippets[name], '{}: {}'.format(PAGE, name), 'exec')
    exec(code, namespace)  # pylint: disable=exec-used
  return namespace


def _command(runner, argv):
  """A runner's command line in this process: (exit status, stderr)."""
  err = io.StringIO()
  with contextlib.redirect_stderr(err):
    try:
      command_line.run(runner, argv)
    except SystemExit as stop:
      return stop.code or 0, err.getvalue()
  return 0, err.getvalue()


def test_the_page_has_a_snippet_for_each_kind_of_extension():
  assert set(_snippets()) == {'network', 'pruning method', 'setting',
                              'cross rule', 'command'}


def test_a_network_registered_from_outside_trains_through_the_lottery_runner(
    registries, tmp_path):
  del registries
  _run(['network'])
  network = command_line.settings(sparse_train.RUNNER)['network']
  assert 'tiny8' in network.allowed()
  status, err = _command(lottery_experiment.RUNNER, [
      '--output_dir={}'.format(tmp_path), '--network=tiny8',
      '--iterations=1', '--prune_percent=0.5',
      '--prune_percent_output=0.25'] + FAST)
  assert status == 0, err
  level0, level1 = (str(tmp_path / str(level) / 'same_init')
                    for level in (0, 1))
  weights = save_restore.restore_network(os.path.join(level0, 'final'))
  assert {n: w.shape for n, w in weights.items()} == {
      'hidden': (64, 8), 'hidden_bias': (8,), 'out': (8, 10),
      'out_bias': (10,)}
  masks = save_restore.restore_network(os.path.join(level1, 'masks'))
  assert masks['hidden'].mean() == 0.5 and masks['out'].mean() == 0.75
  # Level 1 rewinds to level 0's initial weights, masked.
  initial = [save_restore.restore_network(os.path.join(d, 'initial'))
             for d in (level0, level1)]
  for name, mask in masks.items():
    assert np.array_equal(initial[1][name], initial[0][name] * mask)


def test_a_pruning_method_registered_from_outside_keeps_its_mask(
    registries, tmp_path):
  del registries
  _run(['network', 'pruning method'])
  status, err = _command(sparse_train.RUNNER, [
      '--output_dir={}'.format(tmp_path), '--network=tiny16',
      '--method=keep_first', '--sparsity=0.75'] + FAST)
  assert status == 0, err
  masks = save_restore.restore_network(str(tmp_path / 'masks'))
  initial = save_restore.restore_network(str(tmp_path / 'initial_masks'))
  for name, shape in (('hidden', (64, 16)), ('out', (16, 10))):
    mask = masks[name]
    assert mask.shape == shape
    kept = int(mask.sum())
    assert kept == round(mask.size * 0.25)
    # keep_first keeps each layer's first weights in row-major order.
    assert np.array_equal(mask.ravel(), np.arange(mask.size) < kept)
    assert np.array_equal(initial[name], mask)  # pruned once, kept


def test_a_setting_is_a_flag_with_its_checks_and_help():
  setting = _run(['setting'])['label_smoothing']
  runner = command_line.Runner(
      name='smooth', function=lambda **values: print(values),
      summary='A command taking the setting.', arguments=(),
      concerns=(hparams.Concern('extra', (setting,)),))
  assert '--label_smoothing: mix this fraction' in runner.help()
  assert command_line.read_command_line(
      runner, ['--label_smoothing=0.1']) == {'label_smoothing': 0.1}
  with pytest.raises(ValueError, match='label_smoothing'):
    command_line.read_command_line(runner, ['--label_smoothing=1'])


def test_a_cross_rule_refuses_before_anything_is_written(registries,
                                                         tmp_path):
  del registries
  _run(['network', 'cross rule'])
  status, err = _command(sparse_train.RUNNER, [
      '--output_dir={}'.format(tmp_path / 'out'), '--network=tiny8',
      '--dataset=mnist', '--training_len=20it'])
  assert status == 2
  assert err == ('sparse_train: error: --network=tiny8 is for '
                 '--dataset=digits\n')
  assert not os.path.exists(str(tmp_path / 'out'))


def test_a_command_runs_with_its_help_and_one_line_errors(registries,
                                                          capsys):
  del registries
  layers = _run(['network', 'command'])['RUNNER']
  assert _command(layers, ['--network=tiny8']) == (0, '')
  assert capsys.readouterr().out == 'hidden hidden\nout output\n'
  status, err = _command(layers, ['--network=tiny8', '--classes=ten'])
  assert status == 2 and err.count('\n') == 1 and '--classes' in err
  assert _command(layers, ['--help'])[0] == 0
  assert '--network: a --network name' in capsys.readouterr().out
