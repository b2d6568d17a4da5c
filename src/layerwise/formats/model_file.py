"""Model files: safetensors arrays + JSON metadata, never pickle.

A model file is a safetensors file whose tensors are named ``<layer>/<param>`` (and
``<layer>/state/<name>`` for BatchNorm statistics) and whose metadata entry
``layerwise`` holds JSON: format name and version, layerwise version, the model's
config and (when compiled) the optimizer and loss configs. Loading validates every
part before building anything and raises :class:`ModelFileError` naming the problem.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import registry
from ..core import state as model_state
from ..errors import ConfigError, ModelFileError, TrainingError
from ..optim.ema import ExponentialMovingAverage
from .atomic import atomic_write_bytes
from .container import FORMAT, FORMAT_VERSION, check_meta, check_tensors, pack, read_bytes, unpack


def model_tensors(model) -> dict[str, np.ndarray]:
    """Every array of the model by name (see core/state.py), EMA averages included."""
    return model_state.tensors(model)


def model_metadata(model) -> dict[str, Any]:
    from .._version import __version__
    meta: dict[str, Any] = {"format": FORMAT, "format_version": FORMAT_VERSION,
                            "layerwise_version": __version__, "config": model.get_config(),
                            "metadata": dict(getattr(model, "metadata", {}) or {})}
    if model.optimizer is not None and model.loss is not None:
        meta["compile"] = {"optimizer": model.optimizer.get_config(), "loss": model.loss.get_config(),
                           "metrics": list(model.metrics)}
    if model.ema is not None and model.ema.shadows:
        meta["ema"] = {**model.ema.get_config(), "num_updates": model.ema.num_updates}
    return meta


def nonfinite_message(model, tensor: str) -> str:
    """Why a model holding NaN/inf in ``tensor`` is not written, where its training diverged (the
    step ``model.nonfinite_report`` names, the epoch whose loss in the history is first non-finite)
    and what to do instead."""
    where = []
    history = getattr(model, "history", None)
    losses = list(getattr(history, "history", {}).get("loss", [])) if history is not None else []
    epochs = list(getattr(history, "epoch", [])) if history is not None else []
    first = next((i for i, v in enumerate(losses) if not math.isfinite(v)), None)
    if first is not None and first < len(epochs):
        where.append(f"epoch {epochs[first] + 1}")
    report = getattr(model, "nonfinite_report", None)
    if report:
        where.append(report)
    text = f"tensor {tensor!r} holds NaN or inf"
    if where:
        text += f": training diverged ({', '.join(where)})"
    return (text + "; a file of such weights could not be loaded. Train again with a lower learning rate or "
            "with callbacks=[RollbackOnNaN()] (or TerminateOnNaN()), or go back to the last good checkpoint")


def save_model(model, path) -> None:
    """Architecture, weights, BatchNorm statistics and EMA averages, written atomically; the loaded
    model predicts exactly like this one (with the averaged weights where EMA is on). A model
    holding NaN/inf (training diverged) is refused with TrainingError: its file could not be loaded."""
    if not model.built:
        model.build()  # raises a clear error when the input shape is unknown
    bad = model_state.first_nonfinite(model)
    if bad is not None:
        raise TrainingError(f"cannot save the model to {path}: {nonfinite_message(model, bad)}")
    atomic_write_bytes(path, pack(model_tensors(model), model_metadata(model)))


def _ema_of(meta: dict[str, Any], source: str) -> ExponentialMovingAverage | None:
    ema = meta.get("ema")
    if ema is None:
        return None
    if not isinstance(ema, dict) or isinstance(ema.get("num_updates"), bool) or \
            not isinstance(ema.get("num_updates"), int) or ema["num_updates"] < 0:
        raise ModelFileError(f"{source}: corrupt weight-average metadata {ema!r}")
    decay: Any = ema.get("decay")  # unchecked: the constructor refuses what is not a decay
    try:
        average = ExponentialMovingAverage(decay)
    except (ConfigError, TypeError, ValueError) as exc:
        raise ModelFileError(f"{source}: corrupt weight-average metadata ({exc})") from None
    average.num_updates = ema["num_updates"]
    return average


def expected_tensors(config: dict[str, Any], source: str, ema: bool = False) -> dict[str, tuple[int, ...]]:
    """Tensor names and shapes an architecture needs, inferred without allocating anything."""
    if not isinstance(config, dict) or not isinstance(config.get("layers"), list) or not config["layers"]:
        raise ModelFileError(f"{source}: metadata has no model config with layers")
    try:
        return model_state.expected_shapes(config, ema=ema)
    except (ConfigError, TypeError, ValueError, KeyError, AttributeError) as exc:
        raise ModelFileError(f"{source}: invalid model config: {exc}") from None


def model_from_parts(tensors: dict[str, np.ndarray], meta: dict[str, Any], source: str):
    """Build a model from checked file parts: the architecture is checked against the tensors
    (names, shapes, dtypes, finiteness) before any layer is built."""
    check_meta(meta, source)
    config: Any = meta.get("config")  # checked by expected_tensors
    ema = _ema_of(meta, source)
    expected = expected_tensors(config, source, ema=ema is not None)
    try:
        dtype = np.dtype(config.get("dtype", "float32"))
        if dtype not in (np.float32, np.float64):
            raise TypeError(f"dtype {dtype}")
    except TypeError as exc:
        raise ModelFileError(f"{source}: invalid dtype in config ({exc})") from None
    check_tensors(tensors, expected, dtype, source)
    model = registry.lookup("model", "Sequential").from_config(config)
    model.build()
    model.ema = ema
    model_state.load_tensors(model, tensors)
    if isinstance(meta.get("metadata"), dict):
        names = meta["metadata"].get("feature_names")
        if names is not None and (not isinstance(names, list) or not all(isinstance(n, str) for n in names)
                                  or (model.input_shape is not None and len(names) != model.input_shape[0])):
            raise ModelFileError(f"{source}: corrupt feature names {names!r:.200}")
        model.metadata = meta["metadata"]
    comp = meta.get("compile")
    if isinstance(comp, dict):
        try:
            model.compile(optimizer=comp["optimizer"], loss=comp["loss"], metrics=comp.get("metrics"), ema=ema)
        except (ConfigError, KeyError, TypeError):
            pass  # e.g. a custom loss: the weights are fine, compile again by hand
    return model


def load_model(path):
    """Load a model saved with ``model.save``; raises ModelFileError for anything malformed.

    ``layerwise.load`` is this function. The file is checked (metadata, tensor names, shapes,
    dtypes, finite values) before any layer is built; nothing in it is executed (no pickle).

    Parameters
    ----------
    path : str or pathlib.Path
        A model file (``.lwm``: safetensors arrays and JSON metadata), as ``Sequential.save``
        writes it.

    Returns
    -------
    Sequential
        The built model with its weights (and its EMA averages, if it kept them), compiled again
        with its optimizer, loss and metrics when it was saved compiled (a custom loss must be
        registered first, else the model comes back uncompiled).
    """
    tensors, meta = unpack(read_bytes(path, "model file"), str(path))
    return model_from_parts(tensors, meta, str(path))
