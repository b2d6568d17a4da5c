"""The IDX format of MNIST-style files (optionally gzip-compressed).

Header: two zero bytes, a type code, the number of dimensions d, then d big-endian
uint32 sizes; then the data, big-endian, row-major. The reader checks the magic,
the type code, the sizes against the bytes present, and refuses a header that
claims more than ``max_bytes`` before allocating anything.
"""
from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path

import numpy as np

from ..errors import DataError

TYPES: dict[int, np.dtype] = {0x08: np.dtype("u1"), 0x09: np.dtype("i1"), 0x0B: np.dtype(">i2"),
                              0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
CODES = {np.dtype(v).newbyteorder("="): k for k, v in TYPES.items()}
MAX_BYTES = 4 * 1024**3


def _open(path: Path):
    with open(path, "rb") as fh:
        gz = fh.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rb") if gz else open(path, "rb")


def _read_converted(fh, dims, dtype, n_bytes: int, out_dtype):
    """The data converted into ``out_dtype`` block by block (1 MiB at a time), and the bytes read."""
    out = np.empty(int(np.prod(dims, dtype=np.int64)), dtype=out_dtype)
    block = (1 << 20) // dtype.itemsize * dtype.itemsize
    done = 0
    while done < n_bytes:
        chunk = fh.read(min(block, n_bytes - done))
        if not chunk:
            break
        out[done // dtype.itemsize:(done + len(chunk)) // dtype.itemsize] = np.frombuffer(chunk, dtype=dtype)
        done += len(chunk)
    return out, done


def read_idx(path, max_bytes: int = MAX_BYTES, out_dtype=None, scale: float | None = None) -> np.ndarray:
    """Read an IDX (or .gz IDX) file into a native-endian array; DataError names the file on any fault.

    With ``out_dtype`` (and optionally ``scale``) the data is converted block by block into an
    array of that dtype, multiplied by ``scale``: the file's bytes are never held whole beside it.
    """
    path = Path(path)
    try:
        with _open(path) as fh:
            head = fh.read(4)
            if len(head) < 4:
                raise DataError(f"{path}: truncated IDX file (no header)")
            if head[0] != 0 or head[1] != 0:
                raise DataError(f"{path}: not an IDX file (bad magic number {head.hex()})")
            code, ndim = head[2], head[3]
            if code not in TYPES:
                raise DataError(f"{path}: unknown IDX data type code 0x{code:02x}")
            if ndim == 0:
                raise DataError(f"{path}: IDX file with 0 dimensions")
            dims_raw = fh.read(4 * ndim)
            if len(dims_raw) < 4 * ndim:
                raise DataError(f"{path}: truncated IDX header")
            dims = struct.unpack(f">{ndim}I", dims_raw)
            dtype = TYPES[code]
            n_bytes = int(np.prod(dims, dtype=object)) * dtype.itemsize
            if n_bytes > max_bytes:
                raise DataError(f"{path}: header claims shape {dims} ({n_bytes} bytes), more than the "
                                f"{max_bytes}-byte limit; refusing to allocate")
            if out_dtype is not None:
                out, got = _read_converted(fh, dims, dtype, n_bytes, out_dtype)
            else:
                data = fh.read(n_bytes)
                got = len(data)
            if got < n_bytes:
                raise DataError(f"{path}: truncated IDX file: header says {dims} ({n_bytes} bytes of data) "
                                f"but only {got} are present")
            if fh.read(1):
                raise DataError(f"{path}: IDX file has data beyond the {dims} its header declares")
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except (OSError, EOFError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError
        raise DataError(f"{path}: corrupt IDX/gzip file ({exc})") from None
    if out_dtype is not None:
        out = out.reshape(dims)
        if scale is not None:
            out *= np.asarray(scale, dtype=out.dtype)
        return out
    arr = np.frombuffer(data, dtype=dtype).reshape(dims)
    if dtype.itemsize == 1:
        return arr  # bytes: no byte order to fix, no copy (read-only view of the file's data)
    return arr.astype(dtype.newbyteorder("="))


def write_idx(path, array, compress: bool | None = None) -> None:
    """Write an array as IDX (gzip when the name ends in .gz)."""
    from ..formats.atomic import atomic_write_bytes
    arr = np.asarray(array)
    key = arr.dtype.newbyteorder("=")
    if key not in CODES:
        raise DataError(f"IDX cannot store dtype {arr.dtype}")
    code = CODES[key]
    body = struct.pack(">BBBB", 0, 0, code, arr.ndim) + struct.pack(f">{arr.ndim}I", *arr.shape)
    body += arr.astype(TYPES[code], copy=False).tobytes()
    path = Path(path)
    if compress if compress is not None else path.suffix == ".gz":
        body = gzip.compress(body, mtime=0)
    atomic_write_bytes(path, body)
