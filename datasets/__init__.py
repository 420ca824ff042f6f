"""Concrete datasets as numpy arrays, with download and verification.

Modules:
  registry: one DatasetSpec per dataset (loader, default location and its
    environment variable, installed copies, downloader, validation size);
    `make_dataset(name, ...)`, the one way in for experiment code.
  dataset_mnist, dataset_fashion_mnist: the IDX-format 28x28 image sets.
  dataset_digits: scikit-learn's bundled 8x8 digits (works offline).
  dataset_cifar10: the binary version of CIFAR-10.
  idx, download, archive, images: the file-level pieces they share.
  errors: `DatasetError`, raised for every bad file or argument.
"""
