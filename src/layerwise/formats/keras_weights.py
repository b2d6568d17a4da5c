"""Keras 3's ``.weights.h5`` files, both ways (h5py: ``pip install "layerwise[keras]"``): what
``ModelCheckpoint(..., save_weights_only=True)`` writes and the Keras namespace's
``model.save_weights``/``load_weights`` read and write.

Layout (as Keras 3 writes it): ``layers/<name>/vars/<i>`` per layer, in the layer's variable
order — Dense: kernel (n_in, units), bias; BatchNormalization: gamma, beta, moving_mean,
moving_variance — and an empty ``layers/<name>/vars`` group for layers without weights. Layer
names follow Keras's automatic naming in a fresh session: the k-th layer of a type is
``dense``, ``dense_1``, ``dense_2``, … (``batch_normalization``, ``dropout``, ``flatten``, …).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..core.backend import to_numpy
from ..core.layers import Activation, BatchNorm, Dense, Dropout, Flatten
from ..errors import ConfigError, MissingDependencyError, ModelFileError
from .atomic import atomic_write_bytes

_KERAS_TYPE = {Dense: "dense", BatchNorm: "batch_normalization", Dropout: "dropout", Flatten: "flatten",
               Activation: "activation"}


def _h5py():
    try:
        import h5py
    except ImportError as exc:
        raise MissingDependencyError('Keras weights files need h5py: pip install "layerwise[keras]"') from exc
    return h5py


def keras_names(model) -> list[str]:
    """Keras's automatic names for the model's layers, in order."""
    seen: dict[str, int] = {}
    names = []
    for layer in model.layers:
        kind = next((v for k, v in _KERAS_TYPE.items() if isinstance(layer, k)), None)
        if kind is None:
            raise ConfigError(f"layer {layer.name!r} ({type(layer).__name__}) has no Keras counterpart in a "
                              "weights file")
        i = seen.get(kind, 0)
        seen[kind] = i + 1
        names.append(kind if i == 0 else f"{kind}_{i}")
    return names


def _variables(layer) -> list:
    if isinstance(layer, Dense):
        return [layer.params["kernel"]] + ([layer.params["bias"]] if layer.use_bias else [])
    if isinstance(layer, BatchNorm):
        out = ([layer.params["gamma"]] if layer.scale else []) + ([layer.params["beta"]] if layer.center else [])
        return out + [layer.state["moving_mean"], layer.state["moving_variance"]]
    return []


def check_path(path) -> Path:
    path = Path(path)
    if not path.name.endswith(".weights.h5"):
        raise ConfigError(f"{path}: Keras weights files end in .weights.h5")
    return path


def save_weights(model, path) -> None:
    """Write the model's weights in Keras 3's layout (atomically)."""
    h5py = _h5py()
    path = check_path(path)
    if not model.built:
        raise ConfigError("save_weights needs a built model (fit it or build it first)")
    import io
    buf = io.BytesIO()
    with h5py.File(buf, "w") as f:
        layers = f.create_group("layers")
        for name, layer in zip(keras_names(model), model.layers):
            group = layers.create_group(name).create_group("vars")
            group.attrs["name"] = name
            for i, v in enumerate(_variables(layer)):
                group.create_dataset(str(i), data=to_numpy(v).astype(np.float32))
        f.create_group("vars").attrs["name"] = model.name
    atomic_write_bytes(path, buf.getvalue())


def load_weights(model, path) -> None:
    """Read a Keras 3 ``.weights.h5`` file into the model (built first when it is not)."""
    h5py = _h5py()
    path = check_path(path)
    if not path.is_file():
        raise ModelFileError(f"{path}: no such weights file")
    if not model.built:
        model.build()
    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise ModelFileError(f"{path}: not an HDF5 weights file ({exc})") from None
    with f:
        if "layers" not in f:
            raise ModelFileError(f"{path}: no 'layers' group; not a Keras 3 weights file")
        stored = f["layers"]
        for name, layer in zip(keras_names(model), model.layers):
            targets = _variables(layer)
            if not targets:
                continue
            if name not in stored or "vars" not in stored[name]:
                raise ModelFileError(f"{path}: no weights for layer {name!r}; the file has {', '.join(stored)}")
            group = stored[name]["vars"]
            if len(group) != len(targets):
                raise ModelFileError(f"{path}: layer {name!r} has {len(group)} variables, expected {len(targets)}")
            for i, target in enumerate(targets):
                value = np.asarray(group[str(i)])
                if value.shape != tuple(target.shape):
                    raise ModelFileError(f"{path}: layer {name!r} variable {i} has shape {value.shape}, "
                                         f"expected {tuple(target.shape)}")
                target[...] = model.xp.asarray(value, dtype=target.dtype)
