"""Installs the repository root as the package `lottery_ticket`."""

import setuptools

SUBPACKAGES = [
    'foundations',
    'datasets',
    'analysis',
    'mnist_fc',
    'mnist_fc.runners',
    'argfiles',
    'bench',
]

setuptools.setup(
    name='lottery_ticket',
    version='0.1.0',
    description=('The lottery ticket experiment and the sparse-training '
                 'methods of "Gradient Flow in Sparse Neural Networks", '
                 'in TensorFlow graph mode.'),
    python_requires='>=3.9',
    package_dir={'lottery_ticket': '.'},
    packages=['lottery_ticket'] + ['lottery_ticket.' + p for p in SUBPACKAGES],
    install_requires=[
        'tensorflow-cpu>=2.15; platform_machine=="x86_64"',
        'tensorflow>=2.15; platform_machine!="x86_64"',
        'fire>=0.5',
        'numpy>=1.23',
        'absl-py>=1.0',
        # The offline `digits` dataset ships inside scikit-learn.
        'scikit-learn>=1.0',
    ],
    extras_require={
        'analysis': ['matplotlib>=3.5', 'scipy>=1.8'],
        'ray': ['ray>=2.9'],
        'test': ['pytest>=7', 'matplotlib>=3.5', 'scipy>=1.8'],
        'all': ['matplotlib>=3.5', 'scipy>=1.8', 'ray>=2.9', 'pytest>=7'],
    },
)
