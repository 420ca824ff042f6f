"""MNIST: 60,000 training and 10,000 test images of handwritten digits."""

from lottery_ticket.datasets import idx_image_dataset

# The md5 sums published with the dataset.
MNIST = idx_image_dataset.IdxImageSpec(
    name='mnist',
    md5s={
        idx_image_dataset.TRAIN_IMAGES: 'f68b3c2dcbeaaa9fbdd348bbdeb94873',
        idx_image_dataset.TRAIN_LABELS: 'd53e105ee54ea40749a09fcbcd1e9432',
        idx_image_dataset.TEST_IMAGES: '9fb629c4189551a2d022fa330f9573f3',
        idx_image_dataset.TEST_LABELS: 'ec29112dd5afa0611ce80d1b7f02629c',
    },
    mirrors=(
        'https://storage.googleapis.com/cvdf-datasets/mnist/',
        'https://ossci-datasets.s3.amazonaws.com/mnist/',
    ))


class DatasetMnist(idx_image_dataset.IdxImageDataset):
  """MNIST as 28x28 float32 images in [0, 1]; see IdxImageDataset."""

  SPEC = MNIST
