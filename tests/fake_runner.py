"""A stand-in runner CLI for testing sweeps without TensorFlow.

  python tests/fake_runner.py --output_dir=DIR [--seed=S] [--level=L]
      [--mode=M] [--setting=X] [--sleep=0.1] [--fail] [--hang_first_time=30]
      [--needs=OTHER_DIR] [--dataset=D] [--data_location=P] [--overwrite]
      [--trials=N]

Writes `result.json` (its flags, the thread-count environment it saw) into
the directory it writes, and counts its invocations in `count.txt` there so a
test can tell which lines ran again. With --fail it exits with a ValueError
after counting. With --hang_first_time it sleeps that long on its first
invocation only, to be killed mid-run. With --needs it fails unless
OTHER_DIR holds a result.json, as a run reading another run's output would.

Like the real runners, its run directory is its configuration (here --seed
and --setting): it records them in `config.json` first, and refuses a
directory recording others in one line, exit 2, unless --overwrite, which
removes the earlier result (keeping count.txt, so tests can still count).
Like them, it defines validate_flags(argv), which refuses unknown flags and a
seed that is not an integer, and output_directories: given --level and
--mode it writes `{output_dir}/{level}/{mode}`, otherwise `{output_dir}`.
With --trials=N it is a packed line (mnist_fc/trials.py): trial t (seeds
--seed..--seed+N-1) is the run of `--output_dir={output_dir}/trial{t}
--seed=t`, and --needs names a base whose trial{t} trial t needs.
"""

import inspect
import json
import os
import sys
import time

import fire

from lottery_ticket.mnist_fc import trials as trials_lib

_THREAD_VARS = ('LOTTERY_TICKET_INTRA_OP_THREADS',
                'LOTTERY_TICKET_INTER_OP_THREADS', 'OMP_NUM_THREADS')
_NAME = 'fake_runner'


def _run_directory(output_dir, level=None, mode=None):
  """The directory one trial with these flags writes."""
  if level is not None and mode is not None:
    return os.path.join(output_dir, str(level), str(mode))
  return output_dir


def output_directories(output_dir, level=None, mode=None, trials=0, seed=0,
                       **unused_flags):
  """The directories a run with these flags writes, one per trial."""
  return [_run_directory(trial_dir, level, mode) for trial_dir in
          trials_lib.output_directories(output_dir, trials, seed)]


def validate_flags(argv):
  """Refuses an unknown flag or a seed that is not an integer (ValueError)."""
  known = set(inspect.signature(run).parameters)
  for arg in argv:
    name, _, value = arg[2:].partition('=')
    if not arg.startswith('--') or name not in known:
      raise ValueError('unknown flag {} (known: {})'.format(
          arg.split('=')[0], ', '.join(sorted(known))))
    if name == 'seed' and not value.lstrip('-').isdigit():
      raise ValueError('--seed must be an integer, got {!r}'.format(value))


def _claim(directory, config, overwrite):
  """Records the configuration, or refuses a directory holding another."""
  path = os.path.join(directory, 'config.json')
  if os.path.exists(path):
    with open(path) as f:
      recorded = json.load(f)
    if recorded != config and not overwrite:
      differing = ', '.join(
          '{} {!r} (recorded) vs {!r} (given)'.format(k, recorded.get(k),
                                                      config.get(k))
          for k in sorted(config) if recorded.get(k) != config.get(k))
      sys.stderr.write('{}: error: {} holds a run of another configuration: '
                       '{}; give --overwrite to start over\n'.format(
                           _NAME, directory, differing))
      sys.exit(2)
    if recorded != config:
      for name in ('config.json', 'result.json'):
        if os.path.exists(os.path.join(directory, name)):
          os.remove(os.path.join(directory, name))
  with open(path, 'w') as f:
    json.dump(config, f, sort_keys=True)


def run(output_dir, seed=0, level=None, mode=None, setting=None, sleep=0.1,
        fail=False, hang_first_time=0.0, needs=None, dataset=None,
        data_location=None, overwrite=False, trials=0):
  """Runs one trial, or with --trials each trial in turn."""
  del dataset, data_location  # Checked by the sweep before it starts.
  trial_dirs = trials_lib.output_directories(output_dir, trials, seed)
  needed = (trials_lib.output_directories(needs, trials, seed) if needs
            else [None] * len(trial_dirs))
  for number, (trial_dir, need) in enumerate(zip(trial_dirs, needed)):
    _run_one(trial_dir, int(seed) + number, level, mode, setting, sleep, fail,
             hang_first_time, need, overwrite)


def _run_one(output_dir, seed, level, mode, setting, sleep, fail,
             hang_first_time, needs, overwrite):
  """Counts the invocation, sleeps, then fails or writes result.json."""
  if needs and not os.path.exists(os.path.join(needs, 'result.json')):
    raise ValueError('no result.json in {}'.format(needs))
  directory = _run_directory(output_dir, level, mode)
  os.makedirs(directory, exist_ok=True)
  _claim(directory, {'seed': seed, 'setting': setting}, overwrite)
  count_path = os.path.join(directory, 'count.txt')
  count = 0
  if os.path.exists(count_path):
    with open(count_path) as f:
      count = int(f.read())
  # Replaced whole, never truncated: a reader (or a run after a kill) sees
  # the old count or the new one, not an empty file.
  with open(count_path + '.tmp', 'w') as f:
    f.write(str(count + 1))
  os.replace(count_path + '.tmp', count_path)
  print('fake run {} of {}'.format(count + 1, directory), flush=True)
  if hang_first_time and count == 0:
    time.sleep(hang_first_time)
  time.sleep(sleep)
  if fail:
    raise ValueError('fake failure for seed {}'.format(seed))
  result = {'seed': seed, 'level': level, 'mode': mode, 'setting': setting,
            'overwrite': overwrite,
            'threads': {k: os.environ.get(k) for k in _THREAD_VARS}}
  with open(os.path.join(directory, 'result.json'), 'w') as f:
    json.dump(result, f, sort_keys=True)


if __name__ == '__main__':
  fire.Fire(run)
