"""The model's arrays by name: the one place that says what a model's state is.

    "<layer>/<key>"          a parameter (``layer.params``: trainable, or frozen by ``trainable=False``)
    "<layer>/state/<key>"    non-trainable state (``layer.state``: BatchNorm's moving statistics)
    "ema/<layer>/<key>"      the exponential moving average of a trainable parameter (models
                             compiled with ``ema``; the shadows the optimizer step keeps)

Model files, checkpoints, ``get_weights``/``set_weights``, EarlyStopping's best weights,
RollbackOnNaN, the learning-rate finder, ONNX export and the device transfer all go through
these functions; nothing else collects a model's arrays on its own.

``weights``/``set_weights`` follow Keras: per layer, its parameters then its non-trainable
state, in layer order (EMA averages are not weights; they travel in ``snapshot`` and files).
"""
from __future__ import annotations

from contextlib import nullcontext
from typing import Any

import numpy as np

from ..errors import ConfigError, DataError
from .backend import to_numpy


# -- naming --------------------------------------------------------------------------------------
def _ema_views(model) -> list[tuple[str, Any]]:
    """(name, view) for each averaged parameter: views into the EMA's flat shadow buffer, which
    has the layout of the model's flat parameter buffer (trainable parameters, layer order)."""
    ema = getattr(model, "ema", None)
    if ema is None or not ema.shadows or not model.built:
        return []
    shadow = ema.shadows[0]
    out, offset = [], 0
    for layer, key in model.trainable_refs:
        shape = tuple(layer.params[key].shape)
        n = int(np.prod(shape))
        out.append((f"ema/{layer.name}/{key}", shadow[offset:offset + n].reshape(shape)))
        offset += n
    return out


def named_arrays(model, ema: bool = True) -> list[tuple[str, Any]]:
    """Every array of a built model by name, on its device, in a fixed order: per layer its
    parameters then its state; then the EMA averages (``ema=True`` and the model keeps them).

    Parameters
    ----------
    model : Sequential
        A built model.
    ema : bool, default True
        Include the EMA averages ("ema/<layer>/<key>") when the model keeps them.

    Returns
    -------
    list of (str, array)
        (name, array) pairs: "<layer>/<key>" for a parameter (``dense/kernel`` (n_in, units),
        ``dense/bias`` (units,)), "<layer>/state/<key>" for non-trainable state (BatchNorm's
        moving statistics). The arrays are the model's own, not copies.
    """
    arrays: list[tuple[str, Any]] = []
    for layer in model.layers:
        arrays.extend((f"{layer.name}/{k}", v) for k, v in layer.params.items())
        arrays.extend((f"{layer.name}/state/{k}", v) for k, v in layer.state.items())
    return arrays + (_ema_views(model) if ema else [])


def tensors(model) -> dict[str, np.ndarray]:
    """All named arrays as host NumPy arrays (what model files and checkpoints store)."""
    return {name: to_numpy(a) for name, a in named_arrays(model)}


def load_tensors(model, values: dict[str, np.ndarray]) -> None:
    """Copy named arrays (already checked: names, shapes, dtypes) into a built model. EMA averages
    in ``values`` need ``model.ema`` to be set; their shadows are created when missing."""
    ema_names = [n for n in values if n.startswith("ema/")]
    if ema_names:
        if model.ema is None:
            raise ConfigError("the arrays hold weight averages (ema) but the model keeps none")
        model.collect_params()
        model.ema.start(model.flat_params)
    for name, a in named_arrays(model, ema=bool(ema_names)):
        a[...] = model.xp.asarray(values[name])


# -- the flat buffer of trainable parameters ------------------------------------------------------
def flatten(model) -> None:
    """Put every trainable parameter (and its gradient) into one contiguous buffer.

    Each layer's ``params[key]``/``grads[key]`` become views into the flat arrays P and G, so the
    optimizer and the weight average treat all weights as one array: one update per step instead
    of one per tensor. Sets ``model.flat_params``/``flat_grads`` ([P]/[G]), ``tensor_grads`` (the
    per-tensor views, for per-tensor clipping), ``trainable_refs`` (the (layer, key) of each, in
    order) and ``first_trainable`` (the lowest layer backward must reach: nothing below a frozen
    prefix). A no-op when the trainable layout has not changed.
    """
    refs = [(layer, key) for layer in model.layers if layer.trainable for key in layer.params]
    ids = tuple((id(layer), key, tuple(layer.params[key].shape)) for layer, key in refs)
    if getattr(model, "flat_layout_ids", None) != ids:
        xp = model.xp
        total = sum(int(np.prod(layer.params[key].shape)) for layer, key in refs)
        flat_p, flat_g = xp.empty(total, dtype=model.dtype), xp.zeros(total, dtype=model.dtype)
        offset = 0
        for layer, key in refs:
            p = layer.params[key]
            n = int(np.prod(p.shape))
            flat_p[offset:offset + n] = p.reshape(-1)
            layer.params[key] = flat_p[offset:offset + n].reshape(p.shape)
            layer.grads[key] = flat_g[offset:offset + n].reshape(p.shape)
            offset += n
        model.flat_layout_ids = ids
        model.flat_params, model.flat_grads = [flat_p], [flat_g]
    model.trainable_refs = refs
    model.tensor_grads = [layer.grads[key] for layer, key in refs]
    model.first_trainable = next((i for i, lay in enumerate(model.layers) if lay.trainable and lay.params),
                                 len(model.layers))


def layout(model) -> tuple:
    """((name, shape), ...) of the trainable parameters in the flat buffer, in order."""
    return tuple((f"{layer.name}/{key}", tuple(layer.params[key].shape)) for layer, key in model.trainable_refs)


# -- flat buffers laid out by name ----------------------------------------------------------------
def split(flat, layout) -> list[tuple[str, Any]]:
    """(name, view) of each array in a flat buffer holding ``layout`` = ((name, shape), ...) in order."""
    out, offset = [], 0
    for name, shape in layout:
        n = int(np.prod(shape))
        out.append((name, flat[offset:offset + n].reshape(shape)))
        offset += n
    return out


def relayout(flat, old_layout, new_layout, fresh):
    """``fresh`` (a flat buffer for ``new_layout``) with every array that ``flat`` holds under the
    same name and shape in ``old_layout`` copied in: state kept by name when a layout changes."""
    held = {name: (tuple(view.shape), view) for name, view in split(flat, old_layout)}
    for name, view in split(fresh, new_layout):
        shape, old = held.get(name, (None, None))
        if shape == tuple(view.shape):
            view[...] = old
    return fresh


# -- architecture -> expected tensors (no allocation) ---------------------------------------------
def expected_shapes(config: dict[str, Any], ema: bool = False) -> dict[str, tuple[int, ...]]:
    """Names and shapes of the arrays an architecture (``model.get_config()``) has, inferred
    without allocating anything; ``ema`` adds the averages of the trainable parameters.
    Raises ConfigError (or TypeError/ValueError/KeyError) on a malformed config."""
    from .layers import from_config as layer_from_config
    if not isinstance(config, dict) or not isinstance(config.get("layers"), list) or not config["layers"]:
        raise ConfigError("no model config with layers")
    shape = config.get("input_shape")
    if (not isinstance(shape, list) or not shape
            or not all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in shape)):
        raise ConfigError(f"invalid input_shape {shape!r}")
    shape = tuple(shape)
    expected: dict[str, tuple[int, ...]] = {}
    averaged: dict[str, tuple[int, ...]] = {}
    names = set()
    for cfg in config["layers"]:
        layer = layer_from_config(cfg)
        if layer.name is None or layer.name in names:
            raise ConfigError(f"layer names must be present and unique, got {layer.name!r}")
        names.add(layer.name)
        for key, s in layer.param_shapes(shape).items():
            expected[f"{layer.name}/{key}"] = tuple(s)
            if layer.trainable:
                averaged[f"ema/{layer.name}/{key}"] = tuple(s)
        for key, s in layer.state_shapes(shape).items():
            expected[f"{layer.name}/state/{key}"] = tuple(s)
        shape = tuple(layer.compute_output_shape(shape))
    return {**expected, **averaged} if ema else expected


# -- weights (Keras's convention) -------------------------------------------------------------------
def weights(model) -> list[np.ndarray]:
    """Per layer: parameters, then non-trainable state (BatchNorm's moving mean and variance)."""
    return [to_numpy(a).copy() for _, a in named_arrays(model, ema=False)]


def set_weights(model, arrays: list) -> None:
    """The inverse of :func:`weights`: same count, order and shapes."""
    targets = named_arrays(model, ema=False)
    if len(arrays) != len(targets):
        raise ConfigError(f"set_weights got {len(arrays)} arrays, the model has {len(targets)} "
                          "(per layer: its parameters, then its non-trainable state)")
    for (name, a), w in zip(targets, arrays):
        if tuple(np.shape(w)) != tuple(a.shape):
            raise ConfigError(f"{name}: expected shape {tuple(a.shape)}, got {tuple(np.shape(w))}")
        host = to_numpy(w)
        if host.dtype.kind not in "biuf":
            raise DataError(f"set_weights: {name} has dtype {host.dtype}; expected numbers")
        with np.errstate(over="ignore"):
            cast = host.astype(a.dtype, copy=False)
        if not np.isfinite(cast).all():
            idx = tuple(int(i) for i in np.argwhere(~np.isfinite(cast))[0])
            raise DataError(f"set_weights: {name} holds {host[idx]} at index {idx} (in {np.dtype(a.dtype)}); "
                            "weights must be finite")
    for (_, a), w in zip(targets, arrays):
        a[...] = model.xp.asarray(w, dtype=a.dtype)


def first_nonfinite(model) -> str | None:
    """The name of the first array (parameters, state, EMA averages) holding NaN or inf, or None."""
    xp = model.xp
    for name, a in named_arrays(model):
        if not bool(xp.isfinite(a).all()):
            return name
    return None


# -- snapshots: everything, to put back later -------------------------------------------------------
def snapshot(model) -> list[np.ndarray]:
    """Copies of every array, EMA averages included (EarlyStopping's best weights, rollbacks)."""
    return [to_numpy(a).copy() for _, a in named_arrays(model)]


def restore(model, arrays: list) -> None:
    """Put back a :func:`snapshot` of the same model."""
    targets = named_arrays(model)
    if len(arrays) != len(targets):
        raise ConfigError(f"a snapshot of {len(arrays)} arrays does not fit a model with {len(targets)}")
    for (_, a), v in zip(targets, arrays):
        a[...] = model.xp.asarray(v)


# -- inference weights ------------------------------------------------------------------------------
def averaged(model):
    """A context in which the parameters hold their EMA averages (a no-op without EMA): the weights
    the model predicts with (evaluate, predict, features, exporters)."""
    if getattr(model, "ema", None) is not None and model.built:
        model.collect_params()
        return model.ema.swapped_in(model.flat_params)
    return nullcontext()
