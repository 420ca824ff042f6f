"""The one-page report of a sweep: figures, tables, configuration."""

import os
import subprocess
import sys

import pytest

from lottery_ticket.analysis import report as report_lib
from lottery_ticket.foundations import paths
from lottery_ticket.foundations.storage import integrity
from lottery_ticket.mnist_fc import sparse_train

import analysis_support as support

TINY = dict(dataset='digits', layers=(16,), training_len='60it',
            test_interval=20, checkpoint_interval=0, save_summaries=False)


@pytest.mark.slow
def test_lottery_report_has_the_papers_figures(tmp_path):
  root = support.lottery_tree()
  path = report_lib.report(root, str(tmp_path / 'report'), quiet=True)
  text = open(path).read()
  assert '![Early stopping against weights remaining](early_stopping.png)' in text
  assert '(accuracy_curves.png)' in text
  assert '| lottery | same_init | 1 |' in text and '| lottery | reinit | 1 |' in text
  assert '| dataset | digits |' in text
  for name in ('early_stopping.png', 'accuracy_curves.png', 'summary.csv'):
    assert os.path.getsize(str(tmp_path / 'report' / name)) > 0


@pytest.mark.slow
def test_sparse_report_interpolates_lottery_and_scratch_to_prune(tmp_path):
  root = str(tmp_path / 'sweep')
  prune = paths.trial(paths.sparse_configuration(root, 'prune', '0.5'), 0)
  sparse_train.sparse_train(prune, method='prune', sparsity=0.5,
                            prune_begin_step=10, prune_end_step=40,
                            prune_frequency=10, **TINY)
  for method in ('lottery', 'scratch'):
    sparse_train.sparse_train(
        paths.trial(paths.sparse_configuration(root, method, '0.5'), 0),
        method=method, sparsity=0.5, mask_from=prune, **TINY)
  path = report_lib.report(root, quiet=True)
  assert path == os.path.join(root, 'report', 'report.md')
  text = open(path).read()
  assert 'Sparsity 0.5, trial 0: lottery and scratch to prune (train split)' in text
  curves = integrity.read_json(os.path.join(
      root, 'report', 'interpolation', 'sparsity0.5-trial0-to-prune.json'))
  assert [c['label'] for c in curves] == ['lottery->prune', 'scratch->prune']
  assert all(c['split'] == 'train' for c in curves)
  assert '(sparse_training.png)' in text
  # Settings that tell the groups apart are listed; shared ones once.
  assert '| layers | 16 |' in text
  # A second report reuses the paths already computed.
  before = os.path.getmtime(os.path.join(
      root, 'report', 'interpolation', 'sparsity0.5-trial0-to-prune.json'))
  report_lib.report(root, quiet=True)
  assert os.path.getmtime(os.path.join(
      root, 'report', 'interpolation',
      'sparsity0.5-trial0-to-prune.json')) == before


def test_report_help_imports_no_tensorflow():
  # The interpolation paths and the instability files are read through
  # modules that load TensorFlow; --help loads neither.
  code = ('import sys\n'
          'from lottery_ticket import cli_main\n'
          'status = cli_main.main(["report", "--help"])\n'
          'assert "tensorflow" not in sys.modules, sorted(\n'
          '    m for m in sys.modules if m.startswith("lottery_ticket"))\n'
          'sys.exit(status)\n')
  result = subprocess.run([sys.executable, '-c', code], capture_output=True,
                          text=True, timeout=120)
  assert result.returncode == 0, result.stderr
  assert '--experiment_dir' in result.stdout + result.stderr
