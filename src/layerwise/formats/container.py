"""The safetensors container shared by model files and checkpoints: arrays plus one JSON
metadata entry ``layerwise``, parsed with every bound checked before any array is read."""
from __future__ import annotations

import json
import struct
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
def pack(tensors: dict[str, np.ndarray], meta: dict[str, Any]) -> bytes:
    from safetensors.numpy import save
    arrays = {k: np.ascontiguousarray(v) for k, v in tensors.items()}
    return save(arrays, metadata={"layerwise": json.dumps(meta, sort_keys=True)})


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
