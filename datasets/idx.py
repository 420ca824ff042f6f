"""Reading IDX files, the array format of MNIST and Fashion-MNIST.

An IDX file is a header followed by the raw array, all big-endian:

  bytes 0-1  zero
  byte 2     element type (0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
             0x0D float32, 0x0E float64)
  byte 3     number of dimensions, d
  then d unsigned 32-bit sizes, then the elements in row-major order.

So the magic number of an MNIST image file (uint8, 3 dimensions) is
0x00000803 and that of a label file (uint8, 1 dimension) is 0x00000801.
Files whose name ends in `.gz` are gzip-compressed.
"""

import gzip
import struct
import zlib

import numpy as np

from lottery_ticket.datasets.errors import DatasetError

IMAGES_MAGIC = 0x00000803
LABELS_MAGIC = 0x00000801

# Element type code -> big-endian numpy dtype.
_TYPE_CODES = {
    0x08: np.dtype('u1'),
    0x09: np.dtype('i1'),
    0x0B: np.dtype('>i2'),
    0x0C: np.dtype('>i4'),
    0x0D: np.dtype('>f4'),
    0x0E: np.dtype('>f8'),
}


def read_bytes(path):
  """The decompressed contents of an IDX file (gzipped if named .gz).

  Raises:
    DatasetError: if the file is missing or is a damaged or truncated gzip.
  """
  try:
    opener = gzip.open if str(path).endswith('.gz') else open
    with opener(path, 'rb') as f:
      return f.read()
  except FileNotFoundError:
    raise DatasetError('{}: no such file'.format(path)) from None
  except EOFError:
    raise DatasetError('{}: truncated gzip'.format(path)) from None
  except (gzip.BadGzipFile, zlib.error) as e:
    raise DatasetError('{}: damaged gzip ({})'.format(path, e)) from None


def read_idx(path, expected_magic=None):
  """Reads an IDX file (gzipped if its name ends in .gz) into an array.

  Args:
    path: the file.
    expected_magic: if given, the magic number the file must have (for
      example IMAGES_MAGIC or LABELS_MAGIC), which fixes its element type and
      number of dimensions.

  Returns:
    A new, writable numpy array in native byte order with the file's shape.

  Raises:
    DatasetError: if the file is missing, is not IDX, has an unexpected magic
      number, is a damaged or truncated gzip, or holds more or fewer data
      bytes than its header promises.
  """
  return parse_idx(read_bytes(path), path, expected_magic)


def parse_idx(data, path, expected_magic=None):
  """The array held by the (decompressed) IDX bytes `data` read from `path`.

  Args:
    data: the bytes (see read_bytes).
    path: where they come from, for messages.
    expected_magic: as for read_idx.

  Raises:
    DatasetError: as for read_idx.
  """
  if len(data) < 4:
    raise DatasetError('{}: not an IDX file ({} bytes, too short for a '
                       'header)'.format(path, len(data)))
  magic = int.from_bytes(data[:4], 'big')
  code, ndim = data[2], data[3]
  if data[0] != 0 or data[1] != 0 or code not in _TYPE_CODES or ndim == 0:
    raise DatasetError('{}: not an IDX file (magic 0x{:08x})'.format(
        path, magic))
  header_length = 4 + 4 * ndim
  if len(data) < header_length:
    raise DatasetError('{}: truncated IDX header ({} bytes, expected {} for '
                       '{} dimensions)'.format(path, len(data), header_length,
                                               ndim))
  dims = struct.unpack('>{}I'.format(ndim), data[4:header_length])
  dtype = _TYPE_CODES[code]
  if expected_magic is not None and magic != expected_magic:
    raise DatasetError('{}: IDX magic 0x{:08x}, expected 0x{:08x}'.format(
        path, magic, expected_magic))
  count = int(np.prod(dims, dtype=np.int64))
  expected_bytes = count * dtype.itemsize
  found_bytes = len(data) - header_length
  if found_bytes < expected_bytes:
    raise DatasetError('{}: truncated: {} data bytes, expected {} for shape '
                       '{}'.format(path, found_bytes, expected_bytes, dims))
  if found_bytes > expected_bytes:
    raise DatasetError('{}: {} bytes more than the {} data bytes of shape '
                       '{}'.format(path, found_bytes - expected_bytes,
                                   expected_bytes, dims))
  array = np.frombuffer(data, dtype=dtype, count=count, offset=header_length)
  return array.reshape(dims).astype(dtype.newbyteorder('='))
