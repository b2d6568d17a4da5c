"""Files: atomic writes, and model files (safetensors arrays + JSON metadata, never pickle).

A model file is a safetensors file whose tensors are named ``<layer>/<param>`` (and
``<layer>/state/<name>`` for BatchNorm statistics) and whose metadata entry
``layerwise`` holds JSON: format name and version, layerwise version, the model's
config and (when compiled) the optimizer and loss configs. Loading validates every
part before building anything and raises :class:`ModelFileError` naming the problem.
"""
from __future__ import annotations

import json
import os
import struct
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ConfigError, ModelFileError

FORMAT = "layerwise-model"
FORMAT_VERSION = 1
_DTYPES = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "U8": np.uint8}
MAX_HEADER = 100 * 1024 * 1024


def atomic_write_bytes(path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, fsync it, then rename over ``path``:
    a crash leaves either the old file or the new one, never half of one."""
    from .errors import FileWriteError
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise FileWriteError(exc.errno, f"cannot write {path}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        if isinstance(exc, OSError):
            raise FileWriteError(exc.errno, f"cannot write {path}: {exc.strerror}; the previous "
                                 f"{path.name} is kept unchanged") from None
        raise
    try:  # make the rename itself durable
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass


def atomic_write_text(path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_csv(path, rows: list[dict[str, Any]]) -> None:
    """Rows of dicts as CSV (columns in order of first appearance), written atomically."""
    import csv
    import io as _io
    keys: list[str] = []
    for row in rows:
        keys.extend(k for k in row if k not in keys)
    buf = _io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=keys)
    writer.writeheader()
    writer.writerows(rows)
    atomic_write_text(path, buf.getvalue())


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


# -- models --------------------------------------------------------------------------------------
def model_tensors(model) -> dict[str, np.ndarray]:
    from .backend import to_numpy
    out = {}
    for layer in model.layers:
        for key, arr in layer.params.items():
            out[f"{layer.name}/{key}"] = to_numpy(arr)
        for key, arr in layer.state.items():
            out[f"{layer.name}/state/{key}"] = to_numpy(arr)
    return out


def model_metadata(model) -> dict[str, Any]:
    from . import __version__
    meta: dict[str, Any] = {"format": FORMAT, "format_version": FORMAT_VERSION,
                            "layerwise_version": __version__, "config": model.get_config(),
                            "metadata": dict(getattr(model, "metadata", {}) or {})}
    if model.optimizer is not None and model.loss is not None:
        meta["compile"] = {"optimizer": model.optimizer.get_config(), "loss": model.loss.get_config(),
                           "metrics": list(model.metrics)}
    return meta


def save_model(model, path) -> None:
    if not model.built:
        model.build()  # raises a clear error when the input shape is unknown
    atomic_write_bytes(path, pack(model_tensors(model), model_metadata(model)))


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


def expected_tensors(config: dict[str, Any], source: str) -> dict[str, tuple[int, ...]]:
    """Tensor names and shapes an architecture needs, inferred without allocating anything."""
    from .layers import from_config as layer_from_config
    if not isinstance(config, dict) or not isinstance(config.get("layers"), list) or not config["layers"]:
        raise ModelFileError(f"{source}: metadata has no model config with layers")
    shape = config.get("input_shape")
    if (not isinstance(shape, list) or not shape
            or not all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in shape)):
        raise ModelFileError(f"{source}: invalid input_shape {shape!r}")
    shape = tuple(shape)
    expected: dict[str, tuple[int, ...]] = {}
    names = set()
    for cfg in config["layers"]:
        try:
            layer = layer_from_config(cfg)
            if layer.name is None or layer.name in names:
                raise ConfigError(f"layer names must be present and unique, got {layer.name!r}")
            names.add(layer.name)
            for key, s in layer.param_shapes(shape).items():
                expected[f"{layer.name}/{key}"] = tuple(s)
            for key, s in layer.state_shapes(shape).items():
                expected[f"{layer.name}/state/{key}"] = tuple(s)
            shape = tuple(layer.compute_output_shape(shape))
        except (ConfigError, TypeError, ValueError, KeyError, AttributeError) as exc:
            raise ModelFileError(f"{source}: invalid model config: {exc}") from None
    return expected


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


def model_from_parts(tensors: dict[str, np.ndarray], meta: dict[str, Any], source: str):
    """Build a model from checked file parts: the architecture is checked against the tensors
    (names, shapes, dtypes, finiteness) before any layer is built."""
    from .model import Sequential
    check_meta(meta, source)
    config = meta.get("config")
    expected = expected_tensors(config, source)
    try:
        dtype = np.dtype(config.get("dtype", "float32"))
        if dtype not in (np.float32, np.float64):
            raise TypeError(f"dtype {dtype}")
    except TypeError as exc:
        raise ModelFileError(f"{source}: invalid dtype in config ({exc})") from None
    check_tensors(tensors, expected, dtype, source)
    model = Sequential.from_config(config)
    model.build()
    for layer in model.layers:
        for key in layer.params:
            layer.params[key][...] = model.xp.asarray(tensors[f"{layer.name}/{key}"])
        for key in layer.state:
            layer.state[key][...] = model.xp.asarray(tensors[f"{layer.name}/state/{key}"])
    if isinstance(meta.get("metadata"), dict):
        model.metadata = meta["metadata"]
    comp = meta.get("compile")
    if isinstance(comp, dict):
        try:
            model.compile(optimizer=comp["optimizer"], loss=comp["loss"], metrics=comp.get("metrics"))
        except (ConfigError, KeyError, TypeError):
            pass  # e.g. a custom loss: the weights are fine, compile again by hand
    return model


def load_model(path):
    """Load a model saved with ``model.save``; raises ModelFileError for anything malformed."""
    tensors, meta = unpack(read_bytes(path, "model file"), str(path))
    return model_from_parts(tensors, meta, str(path))
