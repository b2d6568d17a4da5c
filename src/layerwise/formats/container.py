"""The safetensors container shared by model files and checkpoints: arrays plus one JSON
metadata entry ``layerwise``, parsed with every bound checked before any array is read.

Integrity: a second metadata entry ``layerwise_checksums`` holds CRC-32s of the ``layerwise``
JSON text, of the tensor table (names, dtypes, shapes) and of every tensor's bytes, and the
``layerwise`` JSON says ``"checksummed": true``. Loading recomputes them all, so any single-bit
flip anywhere in the file (CRC-32 detects every error burst up to 32 bits) raises
ModelFileError instead of loading a silently different model. Files written before checksums
existed still load, with a warning.
"""
from __future__ import annotations

import json
import struct
import warnings
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelFileError

FORMAT = "layerwise-model"
FORMAT_VERSION = 1
_DTYPES = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "U8": np.uint8}
MAX_HEADER = 100 * 1024 * 1024


def read_bytes(path, what: str = "model file") -> bytes:
    """A file's bytes, with missing files and folders reported as ModelFileError."""
    path = Path(path)
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ModelFileError(f"{path}: no such {what}") from None
    except IsADirectoryError:
        raise ModelFileError(f"{path}: is a directory, not a {what}") from None


# -- safetensors container --------------------------------------------------------------------
class UnverifiedFileWarning(UserWarning):
    """A model file or checkpoint written before layerwise stored checksums: it loads, but damage
    to it cannot be detected. Saving it again adds the checksums."""


def _crc(data) -> int:
    return zlib.crc32(data) & 0xFFFFFFFF


def _table_crc(header: dict[str, Any]) -> int:
    """CRC of the tensor table: each tensor's name, dtype and shape (offsets are checked by bounds)."""
    table = {name: [info["dtype"], info["shape"]] for name, info in header.items()}
    return _crc(json.dumps(table, sort_keys=True).encode())


def pack(tensors: dict[str, np.ndarray], meta: dict[str, Any]) -> bytes:
    """The file's bytes: safetensors arrays, the ``layerwise`` JSON, and their checksums."""
    from safetensors.numpy import save
    arrays = {k: np.ascontiguousarray(v) for k, v in tensors.items()}
    meta_text = json.dumps({**meta, "checksummed": True}, sort_keys=True)
    sums = {"algorithm": "crc32", "meta": _crc(meta_text.encode()),
            "tensors": {k: _crc(a.data.cast("B")) for k, a in arrays.items()},
            "table": _table_crc({k: {"dtype": _DTYPE_NAMES[a.dtype], "shape": list(a.shape)}
                                 for k, a in arrays.items()})}
    return save(arrays, metadata={"layerwise": meta_text, "layerwise_checksums": json.dumps(sums, sort_keys=True)})


_DTYPE_NAMES = {np.dtype(v): k for k, v in _DTYPES.items()}


def _verify(data: bytes, hlen: int, header: dict, meta_raw: dict, meta: dict, source: str) -> None:
    """Every checksum in the file against its bytes; ModelFileError naming the first mismatch."""
    raw = meta_raw.get("layerwise_checksums")
    if raw is None:
        if meta.get("checksummed"):
            raise ModelFileError(f"{source}: the checksums are missing (damaged file)")
        warnings.warn(f"{source}: written before layerwise stored checksums, so damage to it cannot be "
                      "detected; save it again to add them", UnverifiedFileWarning, stacklevel=3)
        return
    try:
        sums = json.loads(raw)
        ok = (isinstance(sums, dict) and sums.get("algorithm") == "crc32" and isinstance(sums.get("tensors"), dict)
              and isinstance(sums.get("meta"), int) and isinstance(sums.get("table"), int))
    except (TypeError, json.JSONDecodeError):
        ok = False
    if not ok:
        raise ModelFileError(f"{source}: corrupt checksums (damaged file)")
    if not meta.get("checksummed") or _crc(meta_raw["layerwise"].encode()) != sums["meta"]:
        raise ModelFileError(f"{source}: the metadata does not match its checksum (damaged file)")
    if set(sums["tensors"]) != set(header) or _table_crc(header) != sums["table"]:
        raise ModelFileError(f"{source}: the tensor table does not match its checksum (damaged file)")
    view = memoryview(data)[8 + hlen:]
    for name, info in header.items():
        a, b = info["data_offsets"]
        if _crc(view[a:b]) != sums["tensors"][name]:
            raise ModelFileError(f"{source}: tensor {name!r} does not match its checksum (damaged file)")


def unpack(data: bytes, source: str = "file") -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Parse and check a safetensors byte string: header bounds, dtypes, offsets; then arrays."""
    if len(data) < 8:
        raise ModelFileError(f"{source}: too short to be a model file ({len(data)} bytes)")
    (hlen,) = struct.unpack("<Q", data[:8])
    if hlen > MAX_HEADER or 8 + hlen > len(data):
        raise ModelFileError(f"{source}: header claims {hlen} bytes but the file has {len(data)} "
                             "(truncated or not a layerwise model file)")
    try:
        header = json.loads(data[8:8 + hlen].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{source}: corrupt header ({exc})") from None
    if not isinstance(header, dict):
        raise ModelFileError(f"{source}: corrupt header (not a JSON object)")
    meta_raw = header.pop("__metadata__", None)
    if not isinstance(meta_raw, dict) or "layerwise" not in meta_raw:
        raise ModelFileError(f"{source}: no layerwise metadata (not a layerwise model file)")
    try:
        meta = json.loads(meta_raw["layerwise"])
    except (TypeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{source}: corrupt layerwise metadata ({exc})") from None
    body = len(data) - 8 - hlen
    for name, info in header.items():
        if not isinstance(info, dict) or info.get("dtype") not in _DTYPES:
            raise ModelFileError(f"{source}: tensor {name!r} has unsupported dtype "
                                 f"{info.get('dtype') if isinstance(info, dict) else info!r}")
        shape, offs = info.get("shape"), info.get("data_offsets")
        if (not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape)
                or not isinstance(offs, list) or len(offs) != 2
                or not all(isinstance(o, int) for o in offs)):
            raise ModelFileError(f"{source}: tensor {name!r} has a malformed shape or offsets")
        size = int(np.prod(shape, dtype=np.int64)) * np.dtype(_DTYPES[info["dtype"]]).itemsize
        if not 0 <= offs[0] <= offs[1] <= body or offs[1] - offs[0] != size:
            raise ModelFileError(f"{source}: tensor {name!r} lies outside the file or has the wrong "
                                 "size (truncated or corrupt)")
    if not isinstance(meta, dict):
        raise ModelFileError(f"{source}: corrupt layerwise metadata (not a JSON object)")
    _verify(data, hlen, header, meta_raw, meta, source)
    try:
        from safetensors.numpy import load
        tensors = load(bytes(data))
    except Exception as exc:
        raise ModelFileError(f"{source}: corrupt tensor data ({exc})") from None
    return tensors, meta


def check_meta(meta: dict[str, Any], source: str, expected_format: str = FORMAT) -> None:
    if not isinstance(meta, dict) or meta.get("format") != expected_format:
        raise ModelFileError(f"{source}: not a {expected_format} file (format "
                             f"{meta.get('format') if isinstance(meta, dict) else None!r})")
    version = meta.get("format_version")
    if not isinstance(version, int) or version < 1:
        raise ModelFileError(f"{source}: invalid format_version {version!r}")
    if version > FORMAT_VERSION:
        raise ModelFileError(f"{source}: format version {version} is newer than this layerwise "
                             f"understands ({FORMAT_VERSION}); upgrade layerwise to read it")


def check_tensors(tensors: dict[str, np.ndarray], expected: dict[str, tuple[int, ...]], dtype,
                  source: str) -> None:
    missing = sorted(set(expected) - set(tensors))
    extra = sorted(set(tensors) - set(expected))
    if missing:
        raise ModelFileError(f"{source}: missing tensors {missing}")
    if extra:
        raise ModelFileError(f"{source}: unexpected tensors {extra}")
    for name, shape in expected.items():
        arr = tensors[name]
        if arr.shape != shape:
            raise ModelFileError(f"{source}: tensor {name!r} has shape {arr.shape}, the architecture needs {shape}")
        if arr.dtype != dtype:
            raise ModelFileError(f"{source}: tensor {name!r} has dtype {arr.dtype}, expected {np.dtype(dtype)}")
        if not np.isfinite(arr).all():
            raise ModelFileError(f"{source}: tensor {name!r} holds NaN or inf")
