"""Several trials of one command, trained together as one pack.

`--trials=N` turns a runner's one run into N trials of the same
configuration that differ only by seed, trained side by side in one graph
(foundations/trainer.py) instead of N processes:

  * trial t, for t = seed, seed + 1, ..., seed + N - 1 (`--seed` names the
    first trial, 0 by default), is exactly the run that the same command
    with `--output_dir={output_dir}/trial{t} --seed=t` makes: the same
    config.json, the same files, bit-identical numbers. So `analysis` reads
    a packed sweep unchanged, and a trial can be resumed, extended or
    re-checked by either command;
  * with `--trials`, directory flags name bases: `--output_dir` holds the
    trial directories, and a flag naming another run (`--mask_from`) names
    the base whose `trial{t}` trial t reads;
  * `--trials` is not part of a run's identity (config.json does not record
    it): it says how runs are trained, not what they are.

The argfile generators' trial directories are the same `{base}/trial{t}`
with seed t (paths.trial), so a packed line writes what its unpacked lines
would.
"""

from lottery_ticket.foundations import hparams
from lottery_ticket.foundations import paths
from lottery_ticket.mnist_fc import config as config_lib
from lottery_ticket.mnist_fc import constants

# The largest pack: its speed peaks at 4-8 networks on 2 cores (README), and
# each network adds its ops to one graph; more trials are several commands
# (--seed names the first trial of each).
MAX_TRIALS = 64
TRIALS = hparams.Setting(
    'trials', 'int', 0, 'train N trials together in one graph: trial t (seed '
    't, from --seed on) into {output_dir}/trial{t}; 0 trains one run into '
    'output_dir (at most ' + str(MAX_TRIALS) + ': run more as several '
    'commands)',
    minimum=0, maximum=MAX_TRIALS, identity=False)


def seeds(first_seed, trials):
  """The seeds of `trials` trials starting at `first_seed`.

  Raises:
    ValueError: if the last seed is beyond the largest seed a run honours
      (constants.MAX_SEED), before any trial is made.
  """
  first_seed = int(first_seed)
  last = first_seed + int(trials) - 1
  if last > constants.MAX_SEED:
    raise ValueError('--seed={} --trials={} reaches seed {}, beyond the '
                     'largest seed {}'.format(first_seed, trials, last,
                                              constants.MAX_SEED))
  return list(range(first_seed, first_seed + int(trials)))


def runs(output_dir, config, trials, dataset, bases=()):
  """Per run of a command, (its directory, its completed Config): output_dir
  and `config` without trials; with them, trial t's {output_dir}/trial{t}
  and `config` with seed t.

  Values derived from the seed (the training order seed, unless given) are
  derived again for each trial, as the unpacked run of that seed derives
  them; each directory flag of `bases` names the base whose trial{t} trial
  t reads.

  Raises:
    ValueError: for settings whose data differ between trials (the pack
      holds one dataset).
  """
  if not trials:
    return [(output_dir, config)]
  check_one_dataset(config)
  out = []
  for seed in seeds(config.training.seed, trials):
    changes = {name: paths.trial(config.values[name], seed) for name in bases}
    out.append((paths.trial(output_dir, seed), config_lib.complete(
        config.replace(seed=seed, **changes), dataset)))
  return out


def results(members, pairs, trials):
  """What a command of `members` returns: its one run's result, or with
  trials a dict seed -> each trial's."""
  if not trials:
    return pairs[0]
  return {member.config.training.seed: pair
          for member, pair in zip(members, pairs)}


def check_one_dataset(config):
  """Refuses a configuration whose data depend on the seed.

  Raises:
    ValueError: for --permute_labels (each trial's labels are drawn from its
      seed, and a pack holds one dataset).
  """
  if config.data.permute_labels:
    raise ValueError('--permute_labels draws each trial\'s labels from its '
                     'seed, and a pack holds one dataset: run the trials '
                     'without --trials')


def span(numbers):
  """'a-b' for several sorted numbers (seeds, levels), 'a' for one."""
  return '{}-{}'.format(numbers[0], numbers[-1]) if len(numbers) > 1 else str(
      numbers[0])


def output_directories(output_dir, trials=0, seed=0, **unused_flags):
  """The run directories a line of a sweep writes (for the argfile runner:
  the raw values of its flags): output_dir, or with --trials each trial's.
  """
  number = TRIALS.parse(trials)
  if not number:
    return [output_dir]
  first = hparams.parse_int('seed', seed)
  return [paths.trial(output_dir, s) for s in seeds(first, number)]
