"""Training checkpoints that resume exactly.

A checkpoint is a safetensors file (like a model file, format ``layerwise-checkpoint``)
holding everything ``fit`` needs to continue as if it had never stopped:

- the model's parameters and BatchNorm statistics (tensors ``<layer>/<param>``);
- the optimizer's slots (``optimizer/<slot>/<i>``), step count and rate multiplier
  (so schedules continue from the right step);
- EMA shadows (``ema/<i>``) and their update count;
- the generator's state (initialisation, shuffling and dropout all draw from it);
- the position in training: epoch, step within the epoch, that epoch's shuffled order
  (``fit/order``) and the running sums behind the epoch's reported loss and accuracy;
- each callback's state (History, early-stopping counters and best weights, plateau
  counters, CSV rows, ...): JSON for scalars, tensors ``callbacks/<i>/<key>[/<j>]`` for arrays.

Files are written atomically, so a crash during a write leaves the previous checkpoint.
Exact (bit-identical) resumption holds on the CPU backend.
"""
from __future__ import annotations

import json
from typing import Any

import numpy as np

from ..formats import container, model_file
from ..formats.atomic import atomic_write_bytes
from ..core.backend import to_numpy
from ..errors import ConfigError, ModelFileError
FORMAT = "layerwise-checkpoint"


def _split_state(prefix: str, state: dict[str, Any], tensors: dict[str, np.ndarray]) -> dict[str, Any]:
    """JSON-able part of a callback state; arrays (and lists of arrays) go to ``tensors``."""
    out: dict[str, Any] = {}
    for key, value in state.items():
        if isinstance(value, np.ndarray):
            tensors[f"{prefix}/{key}"] = value
            out[key] = {"__tensor__": True}
        elif isinstance(value, list) and value and all(isinstance(v, np.ndarray) for v in value):
            for j, v in enumerate(value):
                tensors[f"{prefix}/{key}/{j}"] = v
            out[key] = {"__tensor_list__": len(value)}
        else:
            out[key] = value
    return out


def _join_state(prefix: str, state: dict[str, Any], tensors: dict[str, np.ndarray], source: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in state.items():
        try:
            if isinstance(value, dict) and value.get("__tensor__"):
                out[key] = tensors[f"{prefix}/{key}"]
            elif isinstance(value, dict) and "__tensor_list__" in value:
                out[key] = [tensors[f"{prefix}/{key}/{j}"] for j in range(int(value["__tensor_list__"]))]
            else:
                out[key] = value
        except KeyError as exc:
            raise ModelFileError(f"{source}: checkpoint lacks tensor {exc}") from None
    return out


def stateful(callbacks: list) -> list:
    """The callbacks whose state is checkpointed (display-only ones are left out)."""
    from .callbacks import ProgressBar
    return [cb for cb in callbacks if not isinstance(cb, ProgressBar)]


def save_checkpoint(path, model, callbacks: list, fit_state: dict[str, Any], order=None) -> None:
    tensors = model_file.model_tensors(model)
    opt = model.optimizer
    for slot, arrays in opt.slots.items():
        for i, a in enumerate(arrays):
            tensors[f"optimizer/{slot}/{i}"] = to_numpy(a)
    if model.ema is not None:
        for i, s in enumerate(model.ema.shadows):
            tensors[f"ema/{i}"] = to_numpy(s)
    if order is not None:
        tensors["fit/order"] = np.asarray(order, dtype=np.int64)
    cb_meta = []
    for i, cb in enumerate(stateful(callbacks)):
        cb_meta.append({"class": type(cb).__name__,
                        "state": _split_state(f"callbacks/{i}", cb.state_dict(), tensors)})
    meta = model_file.model_metadata(model)
    meta["format"] = FORMAT
    meta["optimizer_state"] = {"iterations": opt.iterations, "lr_multiplier": opt.lr_multiplier,
                               "slots": {k: len(v) for k, v in opt.slots.items()}}
    meta["ema"] = None if model.ema is None else {"num_updates": model.ema.num_updates,
                                                  "n": len(model.ema.shadows)}
    meta["rng"] = model.rng.bit_generator.state
    meta["fit"] = fit_state
    meta["callbacks"] = cb_meta
    atomic_write_bytes(path, container.pack(tensors, meta))


def load_checkpoint(path) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    tensors, meta = container.unpack(container.read_bytes(path, "checkpoint"), str(path))
    container.check_meta(meta, str(path), expected_format=FORMAT)
    for key in ("optimizer_state", "rng", "fit", "callbacks", "config"):
        if key not in meta:
            raise ModelFileError(f"{path}: checkpoint metadata lacks {key!r}")
    return tensors, meta


def _check_fit_state(fit: Any, order, source: str) -> dict[str, Any]:
    ints = ("epoch", "step", "n_train", "batch_size", "correct", "seen")
    if not isinstance(fit, dict) or any(not isinstance(fit.get(k), int) or fit.get(k) < 0 for k in ints) \
            or not isinstance(fit.get("loss_sum"), (int, float)):
        raise ModelFileError(f"{source}: corrupt training position {fit!r}")
    if order is not None:
        n = fit["n_train"]
        if order.shape != (n,) or not np.array_equal(np.sort(order), np.arange(n)):
            raise ModelFileError(f"{source}: the saved sample order is not a permutation of {n} samples")
    return dict(fit)


def restore(model, callbacks: list, tensors: dict[str, np.ndarray], meta: dict[str, Any],
            source: str) -> dict[str, Any]:
    """Put a checkpoint's state into a built, compiled model and its callbacks; returns the fit state.

    Everything is checked before anything is changed, so a bad file never leaves a half-loaded model.
    """
    if json.dumps(meta["config"].get("layers"), sort_keys=True) != \
            json.dumps(model.get_config()["layers"], sort_keys=True):
        raise ConfigError(f"{source}: the checkpoint is of a different architecture than this model")
    expected = model_file.expected_tensors(meta["config"], source)
    opt_meta = meta["optimizer_state"]
    if not isinstance(opt_meta, dict) or \
            opt_meta.get("slots") != {k: len(model._params) for k in model.optimizer.slot_names}:
        raise ConfigError(f"{source}: the checkpoint's optimizer state "
                          f"({opt_meta.get('slots') if isinstance(opt_meta, dict) else opt_meta}) does not fit "
                          f"this model's optimizer {model.optimizer.name!r}")
    if not isinstance(opt_meta.get("iterations"), int) or opt_meta["iterations"] < 0 or \
            not isinstance(opt_meta.get("lr_multiplier"), (int, float)) or not opt_meta["lr_multiplier"] > 0:
        raise ModelFileError(f"{source}: corrupt optimizer step count or rate multiplier")
    for slot in model.optimizer.slot_names:
        for i, p in enumerate(model._params):
            expected[f"optimizer/{slot}/{i}"] = tuple(p.shape)
    ema = meta.get("ema")
    if (ema is None) != (model.ema is None):
        raise ConfigError(f"{source}: the checkpoint {'has' if ema else 'has no'} weight averages (ema) "
                          f"but this model {'has none' if model.ema is None else 'has'}")
    if ema is not None:
        if not isinstance(ema, dict) or ema.get("n") != len(model._params) or \
                not isinstance(ema.get("num_updates"), int):
            raise ModelFileError(f"{source}: corrupt weight-average state {ema!r}")
        for i, p in enumerate(model._params):
            expected[f"ema/{i}"] = tuple(p.shape)
    container.check_tensors({k: v for k, v in tensors.items() if k in expected}, expected, model.dtype, source)
    probe = np.random.default_rng()
    try:
        probe.bit_generator.state = meta["rng"]
    except (TypeError, ValueError, KeyError) as exc:
        raise ModelFileError(f"{source}: corrupt random-generator state ({exc})") from None
    fit = _check_fit_state(meta["fit"], tensors.get("fit/order"), source)
    cbs = stateful(callbacks)
    cb_meta = meta["callbacks"]
    names = [c.get("class") if isinstance(c, dict) else None for c in cb_meta] if isinstance(cb_meta, list) else None
    if names != [type(cb).__name__ for cb in cbs]:
        raise ConfigError(f"{source}: the checkpoint was made with callbacks {names}, this fit has "
                          f"{[type(cb).__name__ for cb in cbs]}; resume with the same callbacks")
    for i, (cb, cmeta) in enumerate(zip(cbs, cb_meta)):
        try:
            cb.load_state_dict(_join_state(f"callbacks/{i}", cmeta["state"], tensors, source))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ModelFileError(f"{source}: corrupt state for callback {type(cb).__name__} ({exc})") from None

    # everything checked: apply
    xp = model.xp
    for layer in model.layers:
        for key in layer.params:
            layer.params[key][...] = xp.asarray(tensors[f"{layer.name}/{key}"])
        for key in layer.state:
            layer.state[key][...] = xp.asarray(tensors[f"{layer.name}/state/{key}"])
    slots = {k: [xp.asarray(tensors[f"optimizer/{k}/{i}"]) for i in range(len(model._params))]
             for k in model.optimizer.slot_names}
    model.optimizer.load_state_dict({"iterations": opt_meta["iterations"],
                                     "lr_multiplier": float(opt_meta["lr_multiplier"]), "slots": slots})
    if ema is not None:
        model.ema.load_state_dict({"num_updates": ema["num_updates"],
                                   "shadows": [xp.asarray(tensors[f"ema/{i}"]) for i in range(ema["n"])]})
    model.rng.bit_generator.state = meta["rng"]
    fit["order"] = tensors.get("fit/order")
    return fit
