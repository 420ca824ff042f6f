"""Where data and results live: a signpost, with no code.

The original library kept MNIST_LOCATION and EXPERIMENT_PATH here, to be
edited before a first run. Nothing needs editing now:

Datasets: each entry of `lottery_ticket.datasets.registry` holds its own
default location, found in this order (`registry.default_location(name)`):
  1. its environment variable, when set:
       LOTTERY_TICKET_MNIST          MNIST's four IDX files (or an .npz)
       LOTTERY_TICKET_FASHION_MNIST  Fashion-MNIST's four IDX files
       LOTTERY_TICKET_CIFAR10        the directory holding cifar-10-batches-bin/
  2. ~/lottery_ticket/datasets/<name>, when it holds something;
  3. an installed system copy (Debian's dataset-fashion-mnist);
  4. ~/lottery_ticket/datasets/<name>, where
     `python -m lottery_ticket.mnist_fc.runners.download_data` puts it.
digits ships with scikit-learn and has no location. A run can name another
place with --data_location.

Results: every command writes where its --output_dir says; there is no
default root. The argfile generators take their base directory the same
way, and the sweep runner writes where its lines' --output_dir say.
"""
