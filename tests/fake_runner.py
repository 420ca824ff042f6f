"""A stand-in runner CLI for testing sweeps without TensorFlow.

  python tests/fake_runner.py --output_dir=DIR [--seed=S] [--level=L]
      [--mode=M] [--sleep=0.1] [--fail] [--hang_first_time=30]
      [--needs=OTHER_DIR]

Writes `result.json` (its flags, the thread-count environment it saw) into
the directory it writes, and counts its invocations in `count.txt` there so a
test can tell which lines ran again. With --fail it exits with a ValueError
after counting. With --hang_first_time it sleeps that long on its first
invocation only, to be killed mid-run. With --needs it fails unless
OTHER_DIR holds a result.json, as a run reading another run's output would.

Like the reinitialize runner, it defines output_directory: given --level and
--mode it writes `{output_dir}/{level}/{mode}`, otherwise `{output_dir}`.
"""

import json
import os
import time

import fire

_THREAD_VARS = ('LOTTERY_TICKET_INTRA_OP_THREADS',
                'LOTTERY_TICKET_INTER_OP_THREADS', 'OMP_NUM_THREADS')


def output_directory(output_dir, level=None, mode=None, **unused_flags):
  """The directory a run with these flags writes."""
  if level is not None and mode is not None:
    return os.path.join(output_dir, str(level), str(mode))
  return output_dir


def run(output_dir, seed=0, level=None, mode=None, sleep=0.1, fail=False,
        hang_first_time=0.0, needs=None):
  """Counts the invocation, sleeps, then fails or writes result.json."""
  if needs and not os.path.exists(os.path.join(needs, 'result.json')):
    raise ValueError('no result.json in {}'.format(needs))
  directory = output_directory(output_dir, level, mode)
  os.makedirs(directory, exist_ok=True)
  count_path = os.path.join(directory, 'count.txt')
  count = 0
  if os.path.exists(count_path):
    with open(count_path) as f:
      count = int(f.read())
  with open(count_path, 'w') as f:
    f.write(str(count + 1))
  print('fake run {} of {}'.format(count + 1, directory))
  if hang_first_time and count == 0:
    time.sleep(hang_first_time)
  time.sleep(sleep)
  if fail:
    raise ValueError('fake failure for seed {}'.format(seed))
  result = {'seed': seed, 'level': level, 'mode': mode,
            'threads': {k: os.environ.get(k) for k in _THREAD_VARS}}
  with open(os.path.join(directory, 'result.json'), 'w') as f:
    json.dump(result, f, sort_keys=True)


if __name__ == '__main__':
  fire.Fire(run)
