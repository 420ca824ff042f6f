"""The papers' recipes from the generators, run end to end on digits (scaled
down), and the report written from them."""

import os

import pytest

import argfiles_testlib

from lottery_ticket.analysis import report as report_lib
from lottery_ticket.argfiles import lines as lines_lib
from lottery_ticket.argfiles import lottery_experiment_argfile
from lottery_ticket.argfiles import paper_recipes
from lottery_ticket.argfiles import reinitialize_argfile
from lottery_ticket.argfiles import sparse_train_argfile
from lottery_ticket.foundations.sparse import sparse_methods
from lottery_ticket.mnist_fc import lottery_experiment
from lottery_ticket.mnist_fc import reinitialize
from lottery_ticket.mnist_fc import sparse_train
from lottery_ticket.mnist_fc.runners import sparse_train as sparse_runner


def _run(function, line):
  """Runs one generated line through the runner's library function."""
  flags = argfiles_testlib.parse_argv(lines_lib.split_line(line))
  function(**flags)


def test_scale_shortens_every_step_count_and_nothing_else():
  assert paper_recipes.lottery_flags(0.02) == {
      'training_len': '1000it', 'test_interval': 2, 'checkpoint_interval': 100}
  assert paper_recipes.lottery_flags(1.0) == {}
  flags = paper_recipes.evci_flags('lenet5', 'prune', 0.1)
  assert flags == {'training_len': '1172it', 'test_interval': 20,
                   'checkpoint_interval': 50, 'prune_begin_step': 300,
                   'prune_end_step': 700, 'prune_frequency': 10}
  with pytest.raises(ValueError, match='must be in'):
    paper_recipes.check_scale(0)


def test_lenet5_recipe_lines_are_valid_flags(tmp_path):
  lines = sparse_train_argfile.make_lines(str(tmp_path), trials=2,
                                          paper='lenet5')
  assert len(lines) == 2 * len(paper_recipes.EVCI_METHODS)
  methods = [argfiles_testlib.parse_argv(lines_lib.split_line(l))['method'] for l in lines]
  first_reader = min(i for i, m in enumerate(methods)
                     if paper_recipes.reads_prune_mask(m))
  assert max(i for i, m in enumerate(methods) if m == 'prune') < first_reader
  for line in lines:
    assert '--preset=lenet5' in line
    sparse_runner.validate_flags(lines_lib.split_line(line))
  assert any('--method=rigl_inverted' in l for l in lines)


# The two papers' recipes are independent: two tests, so that two workers
# can run them side by side.


@pytest.mark.slow
def test_frankle_carbin_recipe_runs_and_reports(tmp_path):
  lottery_root = str(tmp_path / 'lottery')
  for line in lottery_experiment_argfile.make_lines(
      lottery_root, trials=1, iterations=2, dataset='digits', paper=True,
      scale=0.002):
    _run(lottery_experiment.lottery_experiment, line)
  for line in reinitialize_argfile.make_lines(lottery_root, trials=1,
                                              iterations=2, paper=True):
    _run(reinitialize.reinitialize, line)
  path = report_lib.report(lottery_root, quiet=True)
  text = open(path).read()
  for name in ('same_init', 'reinit', 'random_pruning'):
    assert '| lottery | {} | 2 |'.format(name) in text, text
  assert '(early_stopping.png)' in text


# Evci et al.'s recipe in three tests (each runs its lines and writes their
# report), so that workers share it: the methods that do not read the prune
# run's mask; prune with lottery and scratch (the report interpolates from
# them to prune); prune with the drop-and-grow methods starting from its mask.
_READERS = [m for m in paper_recipes.EVCI_METHODS
            if paper_recipes.reads_prune_mask(m)]
EVCI_PARTS = {
    'the-others': tuple(m for m in paper_recipes.EVCI_METHODS
                        if m != 'prune' and m not in _READERS),
    'prune-lottery-scratch': ('prune',) + tuple(
        m for m in _READERS if not sparse_methods.get(m).growth),
    'prune-drop-and-grow': ('prune',) + tuple(
        m for m in _READERS if sparse_methods.get(m).growth),
}


def test_the_evci_parts_hold_every_method_of_the_recipe():
  assert set().union(*EVCI_PARTS.values()) == set(paper_recipes.EVCI_METHODS)
  assert {'lottery', 'scratch'} <= set(EVCI_PARTS['prune-lottery-scratch'])


@pytest.mark.slow
@pytest.mark.parametrize('part', sorted(EVCI_PARTS))
def test_evci_recipe_runs_and_reports(tmp_path, part):
  sparse_root = str(tmp_path / 'sparse')
  lines = sparse_train_argfile.make_lines(sparse_root, trials=1, paper='mlp',
                                          dataset='digits', scale=0.01)
  methods = set()
  for line in lines:
    method = argfiles_testlib.parse_argv(lines_lib.split_line(line))['method']
    if method in EVCI_PARTS[part]:
      methods.add(method)
      _run(sparse_train.sparse_train, line)
  assert methods == set(EVCI_PARTS[part])
  path = report_lib.report(sparse_root, quiet=True)
  text = open(path).read()
  for method in methods:
    assert '| sparse | {} |'.format(method) in text, method
  if 'lottery' in methods:
    assert 'lottery and scratch to prune' in text
  for name in ('sparse_training.png', 'summary.csv'):
    assert os.path.getsize(os.path.join(sparse_root, 'report', name)) > 0


def test_pai_recipe_lines_are_valid_flags(tmp_path):
  lines = sparse_train_argfile.make_lines(str(tmp_path), trials=1,
                                          paper='pai', scale=0.1)
  per_preset = sum(len(paper_recipes.pai_ablations(m))
                   for m in paper_recipes.PAI_METHODS)
  assert len(lines) == (len(paper_recipes.PAI_PRESETS) * per_preset *
                        len(paper_recipes.PAI_SPARSITIES))
  parsed = [argfiles_testlib.parse_argv(lines_lib.split_line(l)) for l in lines]
  assert {(f['preset'], f['method'], f.get('ablation', 'none'))
          for f in parsed} >= {('mlp', 'snip', 'invert'),
                               ('lenet5', 'synflow', 'reinit'),
                               ('mlp', 'magnitude_init', 'shuffle'),
                               ('lenet5', 'random_init', 'none')}
  assert not any(f['method'] == 'random_init' and 'ablation' in f
                 for f in parsed)
  assert {float(f['sparsity']) for f in parsed} == set(
      paper_recipes.PAI_SPARSITIES)
  assert all(f['training_len'] == '1172it' for f in parsed)
  # Every method ranks over all layers, SNIP and GraSP included.
  assert all(f['prune_scope'] == 'global' for f in parsed)
  assert len({f['output_dir'] for f in parsed}) == len(lines)
  assert any(f['output_dir'].endswith(
      os.path.join('lenet5', 'force_invert', 'sparsity0.998', 'trial0'))
             for f in parsed)
  for line in lines[::37]:
    sparse_runner.validate_flags(lines_lib.split_line(line))


def test_pai_recipe_takes_a_given_scope_and_packs(tmp_path):
  lines = sparse_train_argfile.make_lines(
      str(tmp_path), trials=2, pack=True, paper='pai', methods='grasp',
      sparsities='0.9', prune_scope='layer')
  parsed = [argfiles_testlib.parse_argv(lines_lib.split_line(l)) for l in lines]
  assert len(parsed) == 8
  assert all(f['prune_scope'] == 'layer' and str(f['trials']) == '2'
             for f in parsed)
  for line in lines:
    sparse_runner.validate_flags(lines_lib.split_line(line))


@pytest.mark.slow
def test_pai_recipe_runs(tmp_path):
  lines = sparse_train_argfile.make_lines(
      str(tmp_path), trials=1, paper='pai', methods='snip', sparsities='0.9',
      dataset='digits', scale=0.01)
  mlp = [l for l in lines if '--preset=mlp' in l]
  assert len(mlp) == 4
  for line in mlp:
    _run(sparse_train.sparse_train, line)
