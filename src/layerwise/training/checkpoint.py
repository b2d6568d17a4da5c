"""Training checkpoints that resume exactly.

A checkpoint is a safetensors file (like a model file, format ``layerwise-checkpoint``)
holding everything ``fit`` needs to continue as if it had never stopped:

- every array of the model by its name in the model state (``core/state.py``): parameters,
  BatchNorm statistics and EMA averages (``ema/<layer>/<key>``), plus the averages' update count;
- the optimizer's state by parameter name (``optimizer/<slot>/<layer>/<key>``), step count and
  rate multiplier (so schedules continue from the right step); checkpoints of earlier versions,
  which held each slot as one flat buffer (``optimizer/<slot>/0``), still resume;
- the generator's state (initialisation, shuffling and dropout all draw from it);
- the :class:`~layerwise.training.state.FitState`: epoch, step within the epoch, that epoch's
  shuffled order (``fit/order``) and the running sums behind the epoch's loss and metrics;
- each callback's state (History, early-stopping counters and best weights, plateau
  counters, CSV rows, ...): JSON for scalars, tensors ``callbacks/<i>/<key>[/<j>]`` for arrays.

Files are written atomically, so a crash during a write leaves the previous checkpoint.
Exact (bit-identical) resumption holds on the CPU backend.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from ..core import state as model_state
from ..errors import ConfigError, ModelFileError
from ..formats import container, model_file
from ..formats.atomic import atomic_write_bytes
from . import snapshot
from .state import FitState

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
    return [cb for cb in callbacks if not getattr(cb, "display_only", False)]


def save_checkpoint(path, model, callbacks: list, state: FitState) -> None:
    """Write the model, optimizer, generator, fit state and callbacks to ``path`` (atomically)."""
    tensors, meta = snapshot.capture(model)
    if state.order is not None:
        tensors["fit/order"] = np.asarray(state.order, dtype=np.int64)
    cb_meta = []
    for i, cb in enumerate(stateful(callbacks)):
        cb_meta.append({"class": type(cb).__name__,
                        "state": _split_state(f"callbacks/{i}", cb.state_dict(), tensors)})
    meta = {**model_file.model_metadata(model), **meta, "format": FORMAT}
    meta["fit"] = state.to_meta()
    meta["callbacks"] = cb_meta
    atomic_write_bytes(path, container.pack(tensors, meta))


def load_checkpoint(path) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    tensors, meta = container.unpack(container.read_bytes(path, "checkpoint"), str(path))
    container.check_meta(meta, str(path), expected_format=FORMAT)
    for key in ("optimizer_state", "rng", "fit", "callbacks", "config"):
        if key not in meta:
            raise ModelFileError(f"{path}: checkpoint metadata lacks {key!r}")
    return tensors, meta


def _expected(model, meta, source: str) -> dict[str, tuple[int, ...]]:
    """Every tensor the checkpoint must hold for this model, checked against its metadata."""
    if json.dumps(meta["config"].get("layers"), sort_keys=True) != \
            json.dumps(model.get_config()["layers"], sort_keys=True):
        raise ConfigError(f"{source}: the checkpoint is of a different architecture than this model")
    ema = meta.get("ema")
    if (ema is None) != (model.ema is None):
        raise ConfigError(f"{source}: the checkpoint {'has' if ema else 'has no'} weight averages (ema) "
                          f"but this model {'has none' if model.ema is None else 'has'}")
    if ema is not None and (not isinstance(ema, dict) or isinstance(ema.get("num_updates"), bool)
                            or not isinstance(ema.get("num_updates"), int) or ema["num_updates"] < 0):
        raise ModelFileError(f"{source}: corrupt weight-average state {ema!r}")
    try:
        expected = model_state.expected_shapes(meta["config"], ema=ema is not None)
    except (ConfigError, TypeError, ValueError, KeyError, AttributeError) as exc:
        raise ModelFileError(f"{source}: invalid model config: {exc}") from None
    opt_meta = meta["optimizer_state"]
    flat = model.flat_params
    slot_names = sorted(model.optimizer.slot_names)
    held = opt_meta.get("named_slots", opt_meta.get("slots")) if isinstance(opt_meta, dict) else None
    legacy = isinstance(opt_meta, dict) and "named_slots" not in opt_meta
    if held not in ((slot_names, []) if not legacy else ({k: len(flat) for k in slot_names},)):
        raise ConfigError(f"{source}: the checkpoint's optimizer state ({held}) does not fit "
                          f"this model's optimizer {model.optimizer.name!r}")
    if isinstance(opt_meta.get("iterations"), bool) or not isinstance(opt_meta.get("iterations"), int) or \
            opt_meta["iterations"] < 0 or not isinstance(opt_meta.get("lr_multiplier"), (int, float)) or \
            not opt_meta["lr_multiplier"] > 0:
        raise ModelFileError(f"{source}: corrupt optimizer step count or rate multiplier")
    for slot in held:
        names = [(str(i), tuple(p.shape)) for i, p in enumerate(flat)] if legacy else model.optimizer.layout
        for name, shape in names:
            expected[f"optimizer/{slot}/{name}"] = tuple(shape)
    return expected


def restore(model, callbacks: list, tensors: dict[str, np.ndarray], meta: dict[str, Any], source: str) -> FitState:
    """Put a checkpoint's state into a built, compiled model and its callbacks; returns the fit state.

    Everything is checked before anything is changed, so a bad file never leaves a half-loaded model.
    """
    expected = _expected(model, meta, source)
    unexpected = sorted(k for k in tensors if k not in expected and k != "fit/order"
                        and not k.startswith("callbacks/"))
    if unexpected:
        raise ModelFileError(f"{source}: unexpected tensors {unexpected}")
    container.check_tensors({k: v for k, v in tensors.items() if k in expected}, expected, model.dtype, source)
    probe = np.random.default_rng()
    try:
        probe.bit_generator.state = meta["rng"]
    except (TypeError, ValueError, KeyError) as exc:
        raise ModelFileError(f"{source}: corrupt random-generator state ({exc})") from None
    fit = FitState.from_meta(meta["fit"], tensors.get("fit/order"), source)
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

    snapshot.apply(model, tensors, meta)  # everything checked: apply
    return fit


class CheckpointSaver:
    """When the loop writes checkpoints: after every ``every`` optimizer steps, when Ctrl-C was
    pressed (then it raises KeyboardInterrupt naming the file), and at every epoch's end."""

    def __init__(self, path, model, callbacks: list, every: int | None = None):
        self.path = None if path is None else Path(path)
        self.model, self.callbacks, self.every = model, callbacks, every

    def _note(self) -> str:
        return f"; checkpoint saved to {self.path}" if self.path is not None else ""

    def _save(self, state: FitState) -> None:
        state.stopped = bool(self.model.stop_training)
        save_checkpoint(self.path, self.model, self.callbacks, state)

    def steps_to_due(self) -> int | None:
        """Steps until the next checkpoint inside an epoch is due, or None when none will be (no
        ``every``, or no file): how far the XLA engine may run before :meth:`after_step`."""
        if not self.every or self.path is None:
            return None
        return self.every - self.model.optimizer.iterations % self.every

    def after_step(self, state: FitState, sums, interrupted: bool) -> None:
        """Inside an epoch (not after its last step)."""
        due = self.every and self.model.optimizer.iterations % self.every == 0
        if self.path is not None and (interrupted or due):
            sums.save_into(state)
            self._save(state)
        if interrupted:
            raise KeyboardInterrupt(f"stopped after step {self.model.optimizer.iterations}{self._note()}")

    def after_epoch(self, state: FitState, interrupted: bool) -> None:
        if self.path is not None:
            self._save(state)
        if interrupted:
            raise KeyboardInterrupt(f"stopped after epoch {state.epoch}{self._note()}")


def resume(path, model, callbacks: list, n_train: int, batch_size: int) -> FitState | None:
    """The fit state saved at ``path`` (None when there is no file yet: a fresh start), restored
    into the model and callbacks after checking it fits this fit's data and batch size."""
    if not Path(path).exists():
        return None
    tensors, meta = load_checkpoint(path)
    state = restore(model, callbacks, tensors, meta, str(path))
    if state.n_train != n_train or state.batch_size != batch_size:
        raise ConfigError(f"{path}: made with {state.n_train} samples in batches of {state.batch_size}; "
                          f"this fit has {n_train} in batches of {batch_size}")
    return state
