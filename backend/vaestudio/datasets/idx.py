"""MNIST-style IDX files (LeCun's format), plain or gzip-compressed, read without trusting the header.

Layout: two zero bytes, a type byte, a dimension count d; then d big-endian uint32 sizes; then the
values, big-endian, C order. Every size claim is checked against the bytes actually there.
"""

from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path

import numpy as np

from vaestudio.datasets.base import DataError

IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
MAX_BYTES = 4 << 30  # refuse headers that promise more than 4 GiB: a corrupt or hostile size field
GZIP_MAGIC = b"\x1f\x8b"


def is_gzip(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(2) == GZIP_MAGIC


def read_idx(path: Path, shown: str | None = None) -> np.ndarray:
    """The array an IDX file holds, native byte order: e.g. (60000, 28, 28) uint8 or (60000,) uint8.

    `shown` is how the file is named in errors (the path the user gave)."""
    shown = shown or str(path)
    gz = is_gzip(path)
    try:
        with (gzip.open(path, "rb") if gz else open(path, "rb")) as f:
            head = f.read(4)
            if len(head) < 4:
                raise DataError(f"{shown} is truncated: it has {len(head)} bytes, fewer than the 4-byte IDX header.")
            if head[0] != 0 or head[1] != 0 or head[2] not in IDX_TYPES or not 1 <= head[3] <= 4:
                raise DataError(f"{shown} is not an IDX file: it starts with bytes {head.hex(' ')}, but IDX files "
                                "start with 00 00, a type byte (08 ubyte, 09 byte, 0b short, 0c int, 0d float, "
                                "0e double) and a dimension count from 1 to 4.")
            dtype, ndim = np.dtype(IDX_TYPES[head[2]]), head[3]
            raw_dims = f.read(4 * ndim)
            if len(raw_dims) < 4 * ndim:
                raise DataError(f"{shown} is truncated: its header declares {ndim} dimensions but the file ends "
                                "before their sizes.")
            dims = struct.unpack(f">{ndim}I", raw_dims)
            nbytes = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
            if nbytes > MAX_BYTES:
                raise DataError(f"{shown} declares dimensions {list(dims)} ({nbytes} bytes), more than the "
                                f"{MAX_BYTES >> 30} GiB accepted; the header is likely corrupt.")
            data = f.read(nbytes + 1)  # one byte more than promised tells us about trailing junk
    except (EOFError, gzip.BadGzipFile, zlib.error) as e:
        raise DataError(f"{shown} is a damaged gzip file ({e}); re-download or re-compress it.") from None
    if len(data) < nbytes:
        raise DataError(f"{shown} is truncated: its header declares dimensions {list(dims)} ({nbytes} data bytes) "
                        f"but only {len(data)} follow{' after decompression' if gz else ''}.")
    if len(data) > nbytes:
        raise DataError(f"{shown} has more bytes than its header's dimensions {list(dims)} account for; "
                        "the header or the file is damaged.")
    return np.frombuffer(data, dtype=dtype).reshape(dims).astype(dtype.newbyteorder("="))
