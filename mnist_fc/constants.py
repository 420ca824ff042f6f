"""LeNet-300-100 on MNIST with the lottery ticket paper's settings.

Gaussian Glorot initialisation, Adam with learning rate 1.2e-3, 50,000
iterations, and per pruning level 20% of each hidden layer and 10% of the
output layer (settings.py's prune_percent defaults). The original code's
SGD with learning rate 0.1 is available as optimizer 'sgd'.
The 5,000 training examples held out for validation are the dataset's
default (`datasets.registry`); the number of trials is the argfile
generators' --trials; the batch of 60 and the evaluation every 100
iterations are the trainer's defaults (foundations/training/train_options.py).
"""

from lottery_ticket.foundations.models import architectures

HYPERPARAMETERS = {'layers': [(units, 'relu') for units in
                              architectures.LENET_300_100] + [(10, None)]}
TRAINING_LEN = ('iterations', 50000)
NUM_LEVELS = 20
EXPERIMENT_NAME = 'same_init'

# Adam at 1.2e-3 (the paper); 'sgd' gives the original code's rate 0.1. Both
# rates are optimizers.DEFAULT_LEARNING_RATES.
OPTIMIZER = 'adam'

# Every random stream of a run is seeded with seed * SEED_STRIDE + stream
# (0 <= stream < SEED_STRIDE: the initialisation, the controls' and the
# sparse methods' streams). TensorFlow takes a graph seed modulo 2**31 - 1,
# so a larger --seed would wrap onto a smaller one's weights (4294967296
# gives those of 2): MAX_SEED is the largest seed whose streams stay apart.
SEED_STRIDE = 1000
MAX_SEED = (2**31 - 1) // SEED_STRIDE - 1
