"""Training state, captured and put back: the one recipe behind checkpoints, RollbackOnNaN and the
learning-rate finder.

A snapshot is ``(tensors, meta)``, the shape a checkpoint file stores:

    tensors  every model array by its model-state name (parameters, BatchNorm statistics, EMA
             averages ``ema/...``) and the optimizer's state by parameter name
             (``optimizer/<slot>/<layer>/<key>``), as host NumPy copies
    meta     ``optimizer_state`` (step count, rate multiplier, the slots held), ``ema`` (the
             averages' update count) and ``rng`` (the generator behind initialisation, shuffling
             and dropout)

A checkpoint adds the fit's position and the callbacks' state to it.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..core import state as model_state
from ..core.backend import to_numpy

NON_MODEL = ("optimizer/", "fit/", "callbacks/")  # tensor names that are not the model's arrays

Snapshot = tuple[dict[str, np.ndarray], dict[str, Any]]  # (tensors, metadata), as capture returns them


def capture(model) -> Snapshot:
    """Copies of everything training changes (see the module docstring)."""
    tensors = {name: np.array(a, copy=True) for name, a in model_state.tensors(model).items()}
    opt = model.optimizer
    named = opt.named_state()
    for slot, arrays in named.items():
        for name, a in arrays.items():
            tensors[f"optimizer/{slot}/{name}"] = np.array(to_numpy(a), copy=True)
    meta = {"optimizer_state": {"iterations": opt.iterations, "lr_multiplier": opt.lr_multiplier,
                                "named_slots": sorted(named)},
            "ema": None if model.ema is None else {"num_updates": model.ema.num_updates},
            "rng": model.rng.bit_generator.state}
    return tensors, meta


def optimizer_slots(model, tensors: dict[str, np.ndarray], opt_meta: dict[str, Any]) -> dict[str, list]:
    """The optimizer's slot buffers laid out for the model's flat parameter buffer: from state by
    parameter name, or from an earlier version's flat buffers (``optimizer/<slot>/0``, same order)."""
    opt, xp = model.optimizer, model.xp
    slots: dict[str, list] = {k: [] for k in opt.slot_names}
    for k in opt_meta.get("named_slots", opt_meta.get("slots", {})):
        if "named_slots" in opt_meta:
            buffer = xp.zeros(model.flat_params[0].shape, dtype=model.dtype)
            for name, view in model_state.split(buffer, opt.layout):
                view[...] = xp.asarray(tensors[f"optimizer/{k}/{name}"])
            slots[k] = [buffer]
        else:
            slots[k] = [xp.asarray(tensors[f"optimizer/{k}/{i}"]) for i in range(len(model.flat_params))]
    return slots


def apply(model, tensors: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
    """Put a snapshot back into the same (built, compiled) model. Snapshots from files are checked
    first by the caller (``checkpoint.restore``)."""
    model.collect_params()
    model_state.load_tensors(model, {k: v for k, v in tensors.items() if not k.startswith(NON_MODEL)})
    opt_meta = meta["optimizer_state"]
    model.optimizer.load_state_dict({"iterations": opt_meta["iterations"],
                                     "lr_multiplier": float(opt_meta["lr_multiplier"]),
                                     "slots": optimizer_slots(model, tensors, opt_meta),
                                     "layout": model.optimizer.layout})
    if model.ema is not None and meta.get("ema") is not None:
        model.ema.num_updates = int(meta["ema"]["num_updates"])
    model.rng.bit_generator.state = meta["rng"]
