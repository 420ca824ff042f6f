"""Fashion-MNIST: MNIST's format and sizes, with images of clothing.

Zalando's drop-in replacement for MNIST: 60,000 training and 10,000 test
28x28 grey images in ten classes (T-shirt/top, trouser, pullover, dress,
coat, sandal, shirt, sneaker, bag, ankle boot), in the same four IDX files.
"""

from lottery_ticket.datasets import idx_image_dataset

# The md5 sums published in the Fashion-MNIST README.
FASHION_MNIST = idx_image_dataset.IdxImageSpec(
    name='fashion_mnist',
    md5s={
        idx_image_dataset.TRAIN_IMAGES: '8d4fb7e6c68d591d4c3dfef9ec88bf0d',
        idx_image_dataset.TRAIN_LABELS: '25c81989df183df01b3e8a0aad5dffbe',
        idx_image_dataset.TEST_IMAGES: 'bef4ecab320f06d8554ea6380940ec79',
        idx_image_dataset.TEST_LABELS: 'bb300cfdad3c16e7a12a480ee83cd310',
    },
    mirrors=('http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/',))


class DatasetFashionMnist(idx_image_dataset.IdxImageDataset):
  """Fashion-MNIST as 28x28 float32 images in [0, 1]; see IdxImageDataset."""

  SPEC = FASHION_MNIST


def download_fashion_mnist(directory, timeout=60):
  """Downloads the four Fashion-MNIST files into `directory`, verified.

  Args:
    directory: where to put the files (created if needed).
    timeout: seconds to wait on a stalled connection.

  Returns:
    `directory`.

  Raises:
    DatasetError: if a file cannot be fetched intact.
  """
  return idx_image_dataset.download_idx_images(directory, FASHION_MNIST,
                                               timeout)
