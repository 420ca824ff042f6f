"""Fashion-MNIST: MNIST's format and sizes, with images of clothing.

Zalando's drop-in replacement for MNIST: 60,000 training and 10,000 test
28x28 grey images in ten classes (T-shirt/top, trouser, pullover, dress,
coat, sandal, shirt, sneaker, bag, ankle boot), in the same four IDX files.

Debian's package dataset-fashion-mnist installs the four files under
DEBIAN_LOCATION, re-compressed: their .gz md5s differ from the published
ones while the decompressed IDX bytes are the published data. Those bytes'
md5s (CONTENT_MD5S) were computed from the package's files after checking
them against what the dataset's README publishes: the IDX magic numbers,
60,000 and 10,000 examples of 28x28 (47,040,016 / 7,840,016 bytes of images,
60,008 / 10,008 of labels) and 6,000 / 1,000 examples of every class.
"""

from lottery_ticket.datasets import idx_image_dataset

DEBIAN_LOCATION = '/usr/share/datasets/fashion-mnist'

# md5s of the decompressed published files (see the module docstring).
CONTENT_MD5S = {
    idx_image_dataset.TRAIN_IMAGES: 'f4a8712d7a061bf5bd6d2ca38dc4d50a',
    idx_image_dataset.TRAIN_LABELS: '9018921c3c673c538a1fc5bad174d6f9',
    idx_image_dataset.TEST_IMAGES: '8181f5470baa50b63fa0f6fddb340f0a',
    idx_image_dataset.TEST_LABELS: '15d484375f8d13e6eb1aabb0c3f46965',
}

# The md5 sums published in the Fashion-MNIST README.
FASHION_MNIST = idx_image_dataset.IdxImageSpec(
    name='fashion_mnist',
    md5s={
        idx_image_dataset.TRAIN_IMAGES: '8d4fb7e6c68d591d4c3dfef9ec88bf0d',
        idx_image_dataset.TRAIN_LABELS: '25c81989df183df01b3e8a0aad5dffbe',
        idx_image_dataset.TEST_IMAGES: 'bef4ecab320f06d8554ea6380940ec79',
        idx_image_dataset.TEST_LABELS: 'bb300cfdad3c16e7a12a480ee83cd310',
    },
    mirrors=('http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/',),
    content_md5s=CONTENT_MD5S)


class DatasetFashionMnist(idx_image_dataset.IdxImageDataset):
  """Fashion-MNIST as 28x28 float32 images in [0, 1]; see IdxImageDataset."""

  SPEC = FASHION_MNIST
