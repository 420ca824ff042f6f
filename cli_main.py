"""`lottery-ticket COMMAND [flags]`: every command line of the library.

  lottery-ticket lottery_experiment --output_dir=results/lt --dataset=digits
  lottery-ticket sparse_train --method=rigl --sparsity=0.9 --output_dir=rigl
  lottery-ticket results --experiment_dir=results/lt
  lottery-ticket COMMAND --help

A command runs its module exactly as `python -m MODULE` does (the module's
own `__main__` block: its help, one-line errors and exit codes), so the two
forms never drift apart. Nothing here imports TensorFlow: listing the
commands is instant, and TensorFlow starts only inside a command that uses
it.
"""

import collections
import runpy
import sys

from lottery_ticket import _interrupts

PROGRAM = 'lottery-ticket'

# A command: the module `python -m` runs, what it does (one line of
# `lottery-ticket --help` and of the README's table) and its page in docs/.
Command = collections.namedtuple('Command', 'module summary manual')

COMMANDS = collections.OrderedDict(
    (name, Command('lottery_ticket.' + module, summary, manual))
    for name, module, summary, manual in (
        ('lottery_experiment', 'mnist_fc.runners.lottery_experiment',
         'the lottery ticket experiment: train, prune, rewind, repeat',
         'lottery.md'),
        ('train', 'mnist_fc.runners.train',
         'train once, with optional masks and presets', 'lottery.md'),
        ('reinitialize', 'mnist_fc.runners.reinitialize',
         'the controls of a lottery level: reinit, reuse, reuse_sign',
         'lottery.md'),
        ('sparse_train', 'mnist_fc.runners.sparse_train',
         'one sparse-training run (dense, prune, lottery, SET, RigL, SNIP, '
         '...)',
         'sparse.md'),
        ('download_data', 'mnist_fc.runners.download_data',
         'download and verify a dataset (mnist, fashion_mnist, cifar10)',
         'lottery.md#data'),
        ('results', 'analysis.results',
         'tables and figures of an experiment tree', 'analysis.md'),
        ('report', 'analysis.report',
         'one page per sweep with its figures and tables', 'analysis.md'),
        ('hessian_spectrum', 'analysis.hessian_spectrum',
         'exact or Lanczos eigenvalues of the loss Hessian of a saved network',
         'analysis.md'),
        ('interpolation', 'analysis.interpolation',
         'loss and accuracy along the line between two networks',
         'analysis.md'),
        ('instability', 'analysis.instability',
         'linear mode connectivity of copies trained from iteration k',
         'analysis.md'),
        ('lmc_report', 'analysis.lmc_report',
         'the page of the lmc recipe: accuracy and instability per k',
         'papers.md'),
        ('sweep', 'argfiles.runner',
         'run a runner once per flag line: a resumable sweep', 'sweeps.md'),
        ('lottery_experiment_argfile', 'argfiles.lottery_experiment_argfile',
         'print the flag lines of lottery ticket trials', 'sweeps.md'),
        ('reinitialize_argfile', 'argfiles.reinitialize_argfile',
         'print the flag lines of the reinitialisation controls', 'sweeps.md'),
        ('instability_argfile', 'argfiles.instability_argfile',
         'print the flag lines of the instability analyses of lottery trees',
         'sweeps.md'),
        ('sparse_train_argfile', 'argfiles.sparse_train_argfile',
         'print the flag lines of the sparse-training comparison', 'sweeps.md'),
        ('bench_train_speed', 'bench.train_speed',
         'benchmark: the trainer against a feed_dict loop', 'packing.md'),
        ('bench_sparse_speed', 'bench.sparse_speed',
         'benchmark: SET and RigL against dense training', 'sparse.md'),
        ('bench_sweep_speed', 'bench.sweep_speed',
         'benchmark: a small sweep, sequential against parallel', 'sweeps.md'),
        ('bench_packed_speed', 'bench.packed_speed',
         'benchmark: packs of N networks against one network and the roofline',
         'packing.md'),
        ('bench_packed_profile', 'bench.packed_profile',
         "profile: a pack's traced ops by type", 'packing.md'),
        ('bench_cifar_speed', 'bench.cifar_speed',
         'benchmark: milliseconds per step of the CIFAR ResNets and VGGs',
         'papers.md'),
    ))


def usage():
  """The list of commands, one line each."""
  width = max(len(name) for name in COMMANDS)
  lines = ['Usage: {} COMMAND [--flag=value ...]'.format(PROGRAM), '',
           'Commands (`{} COMMAND --help` lists a command\'s flags):'.format(
               PROGRAM)]
  for name, command in COMMANDS.items():
    lines.append('  {}  {}'.format(name.ljust(width), command.summary))
  return '\n'.join(lines) + '\n'


def markdown_table():
  """The README's table of the commands, one row each (docs/flags.py writes
  it between the README's `<!-- flags: commands cli_main -->` markers)."""
  lines = ['| command | what | manual |', '|---|---|---|']
  for name, command in COMMANDS.items():
    page = command.manual.split('#')[0]
    lines.append('| `{}` | {} | [{}](docs/{}) |'.format(
        name, command.summary, page[:-len('.md')], command.manual))
  return lines


def main(argv=None):
  """Runs the command named by argv[0] with the remaining arguments.

  Args:
    argv: the arguments after the program name (default: sys.argv[1:]).

  Returns:
    the exit status: 0 for the list of commands, 2 for a missing or
    unknown command; otherwise the command's own (it may also exit).
  """
  argv = list(sys.argv[1:] if argv is None else argv)
  if argv and argv[0] in ('-h', '--help', 'help'):
    sys.stdout.write(usage())
    return 0
  if not argv:
    sys.stderr.write(usage())
    return 2
  name = argv[0].replace('-', '_')
  if name not in COMMANDS:
    print('{}: error: No such command: {!r} (choose from: {})'.format(
        PROGRAM, argv[0], ', '.join(COMMANDS)), file=sys.stderr)
    return 2
  _interrupts.install_for_runner_module(COMMANDS[name].module)
  saved = sys.argv
  sys.argv = ['{} {}'.format(PROGRAM, name)] + argv[1:]
  try:
    runpy.run_module(COMMANDS[name].module, run_name='__main__',
                     alter_sys=True)
  finally:
    sys.argv = saved
  return 0


if __name__ == '__main__':
  sys.exit(main())
