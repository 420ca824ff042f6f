"""Where a pack's time goes: its ops traced, summed by op type.

  python -m lottery_ticket.bench.packed_profile [--networks=8]
      [--iterations=1000] [--evaluate=True]

Trains a pack of N LeNet-300-100 networks (Adam, batch 60, the benchmark's
MNIST-shaped data, bench/packed_speed.py) with every session.run traced
(TensorFlow's RunOptions FULL_TRACE, the data behind its timeline view) and
prints, per op type, how many ops of that type run per training step and
the share of the summed op time they take, then:

  * matrix products: the share of op time spent in MatMul (the work the
    pack cannot avoid; everything else is element-wise work, bookkeeping
    and control flow);
  * busy: the summed op time over (wall time x the session's inter-op
    threads), i.e. how much of the cores the ops keep busy; the rest is
    the executor scheduling ops and Python between session.runs.

Tracing slows every op by a constant amount, so the absolute times are
inflated and the small ops' share is overstated, and it serialises the
background evaluation with training (TensorFlow traces one run at a time);
the op counts are exact.
Used to say what bounds packed training on a given machine (README, "Many
networks in one graph").
"""

import collections
import contextlib
import threading
import time


from lottery_ticket import command_line
from lottery_ticket.bench import packed_speed
from lottery_ticket.bench import train_speed
from lottery_ticket.foundations.training import train_options
from lottery_ticket.mnist_fc import constants

# Op types holding these names are the step's matrix products (plain, fused
# with bias and activation, or oneDNN's variants).
PRODUCTS = ('MatMul', 'Conv2D')


@contextlib.contextmanager
def _traced():
  """Traces every tf.Session.run while active; yields two Counters, op type
  -> summed op time (microseconds) and op type -> ops run."""
  import tensorflow.compat.v1 as tf  # pylint: disable=g-import-not-at-top
  micros, counts = collections.Counter(), collections.Counter()
  lock = threading.Lock()
  original = tf.Session.run

  def traced(session, fetches, feed_dict=None, options=None,
             run_metadata=None):
    options = options or tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE)
    metadata = run_metadata or tf.RunMetadata()
    with lock:  # one traced run at a time (TensorFlow's rule)
      result = original(session, fetches, feed_dict, options, metadata)
      for device in metadata.step_stats.dev_stats:
        for node in device.node_stats:
          kind = _op_type(session.graph, node)
          counts[kind] += 1
          micros[kind] += node.op_end_rel_micros - node.op_start_rel_micros
    return result

  tf.Session.run = traced
  try:
    yield micros, counts
  finally:
    tf.Session.run = original


def _op_type(graph, node):
  """The type of op a traced node ran.

  The timeline label ('name = Type(inputs)') names what ran: Grappler fuses
  a product with its bias and activation into one _FusedMatMul that keeps
  the activation's node name, so the graph's op type would say 'Relu'.
  """
  label = node.timeline_label
  if ' = ' in label:
    return label.split(' = ', 1)[1].split('(', 1)[0]
  name = node.node_name.split(':')[0]
  try:
    return graph.get_operation_by_name(name).type
  except (KeyError, ValueError):
    return name  # _SOURCE and other executor entries


def main(networks=8, iterations=1000, evaluate=True, top=15):
  """Prints the op-type profile of a pack of `networks` networks.

  Args:
    networks: the pack size N.
    iterations: training steps traced.
    evaluate: evaluate validation and test every 100 iterations (the
      paper's protocol), as the benchmark's first table does.
    top: how many op types to list.
  """
  from lottery_ticket.foundations.training import session as session_lib  # pylint: disable=g-import-not-at-top
  dataset = train_speed.random_dataset()
  interval = train_options.TEST_INTERVAL if evaluate else None
  with _traced() as (micros, counts):
    start = time.time()
    packed_speed.train_pack(dataset, int(networks), int(iterations),
                            constants.OPTIMIZER, interval)
    wall = time.time() - start
  total = sum(micros.values())
  threads = session_lib.session_config().inter_op_parallelism_threads
  print('pack of {} LeNet-300-100 networks, {} steps{}, every session.run '
        'traced'.format(networks, iterations,
                        ', evaluation every {}'.format(interval)
                        if interval else ''))
  print('{:<28} {:>14} {:>9}'.format('op type', 'ops per step', '% time'))
  for kind, spent in micros.most_common(int(top)):
    print('{:<28} {:>14.1f} {:>8.1f}%'.format(
        kind, counts[kind] / float(iterations), 100.0 * spent / total))
  products = sum(spent for kind, spent in micros.items()
                 if any(p in kind for p in PRODUCTS))
  print('ops per step, all types: {:.0f} ({:.0f} per network)'.format(
      sum(counts.values()) / float(iterations),
      sum(counts.values()) / float(iterations) / int(networks)))
  print('matrix products: {:.0f}% of op time'.format(100.0 * products / total))
  print('busy: op time is {:.0f}% of wall time x {} inter-op threads'.format(
      100.0 * total / 1e6 / (wall * threads), threads))


RUNNER = command_line.command(main, 'bench.packed_profile')


if __name__ == '__main__':
  command_line.run(RUNNER)
