"""Installs the repository root as the package `lottery_ticket`.

TensorFlow: on x86-64 the CPU build (`tensorflow-cpu`, no CUDA libraries) is
pinned by default. For a GPU, install the `gpu` extra with the pin dropped:

  LOTTERY_TICKET_GPU=1 pip install -e ".[gpu]"

(in an environment that already holds tensorflow-cpu, `pip uninstall
tensorflow-cpu` first: the two builds share one package directory).

One console command, `lottery-ticket`, runs every command line of the
library as a subcommand (lottery_ticket/cli_main.py).
"""

import os

import setuptools

# Set to 1 to drop the CPU-build pin (with the `gpu` extra).
GPU_ENV = 'LOTTERY_TICKET_GPU'

if os.environ.get(GPU_ENV, '').strip().lower() in ('1', 'true', 'yes'):
  TENSORFLOW = ['tensorflow>=2.15']
else:
  TENSORFLOW = ['tensorflow-cpu>=2.15; platform_machine=="x86_64"',
                'tensorflow>=2.15; platform_machine!="x86_64"']
ANALYSIS = ['matplotlib>=3.5', 'scipy>=1.8']
# The suite runs on two workers (pytest -n 2).
TEST = ['pytest>=7', 'pytest-xdist>=3']
# TensorFlow 2.16+ no longer brings TensorBoard, which the summaries need.
TENSORBOARD = ['tensorboard>=2.15']
# Every package under the repository root but the tests' and the docs'.
SUBPACKAGES = setuptools.find_packages(
    os.path.dirname(os.path.abspath(__file__)), exclude=['tests*', 'docs*'])

setuptools.setup(
    name='lottery_ticket',
    version='0.1.0',
    description=('The lottery ticket experiment and the sparse-training '
                 'methods of "Gradient Flow in Sparse Neural Networks", '
                 'in TensorFlow graph mode.'),
    python_requires='>=3.9',
    package_dir={'lottery_ticket': '.'},
    packages=['lottery_ticket'] + ['lottery_ticket.' + p for p in SUBPACKAGES],
    # The papers' published figures, read by analysis/published.py.
    package_data={'lottery_ticket.analysis': ['published_papers.json',
                                              'published_figures.tsv']},
    install_requires=TENSORFLOW + [
        'fire>=0.5',
        'numpy>=1.23',
        # Part of the library's declared stack: TensorFlow logs through it.
        'absl-py>=1.0',
        # The offline `digits` dataset ships inside scikit-learn.
        'scikit-learn>=1.0',
    ],
    extras_require={
        'analysis': ANALYSIS,
        'tensorboard': TENSORBOARD,
        'ray': ['ray>=2.9'],
        'test': TEST + ANALYSIS,
        'all': ANALYSIS + TENSORBOARD + ['ray>=2.9'] + TEST,
        # The CUDA build with its NVIDIA libraries (Linux x86-64 only).
        'gpu': ['tensorflow[and-cuda]>=2.15; sys_platform=="linux" and '
                'platform_machine=="x86_64"'],
    },
    entry_points={
        'console_scripts': ['lottery-ticket = lottery_ticket.cli_main:main'],
    },
)
