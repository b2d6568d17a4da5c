"""Model files: safetensors arrays + JSON metadata, never pickle.

A model file is a safetensors file whose tensors are named ``<layer>/<param>`` (and
``<layer>/state/<name>`` for BatchNorm statistics) and whose metadata entry
``layerwise`` holds JSON: format name and version, layerwise version, the model's
config and (when compiled) the optimizer and loss configs. Loading validates every
part before building anything and raises :class:`ModelFileError` naming the problem.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ConfigError, ModelFileError
from .container import FORMAT, FORMAT_VERSION, check_meta, check_tensors, pack, read_bytes, unpack
from .atomic import atomic_write_bytes
def model_tensors(model) -> dict[str, np.ndarray]:
    from ..core.backend import to_numpy
    out = {}
    for layer in model.layers:
        for key, arr in layer.params.items():
            out[f"{layer.name}/{key}"] = to_numpy(arr)
        for key, arr in layer.state.items():
            out[f"{layer.name}/state/{key}"] = to_numpy(arr)
    return out


def model_metadata(model) -> dict[str, Any]:
    from .._version import __version__
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


def expected_tensors(config: dict[str, Any], source: str) -> dict[str, tuple[int, ...]]:
    """Tensor names and shapes an architecture needs, inferred without allocating anything."""
    from ..core.layers import from_config as layer_from_config
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


def model_from_parts(tensors: dict[str, np.ndarray], meta: dict[str, Any], source: str):
    """Build a model from checked file parts: the architecture is checked against the tensors
    (names, shapes, dtypes, finiteness) before any layer is built."""
    from ..model import Sequential
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
