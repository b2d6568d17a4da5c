"""The MLP recipe: models, optimizers and callbacks built from a run config (one builder, used by
the CLI, tuning and the scikit-learn estimators)."""
from __future__ import annotations

from typing import Any

from ..errors import ConfigError


def auto_initializer(activation) -> str:
    """The activation's ``preferred_initializer``: He for the ReLU family (variance 2/n_in keeps
    their signal), LeCun for SELU (its fixed point needs variance 1/n_in), Glorot for the rest."""
    from ..core import activations
    return activations.get(activation).preferred_initializer


def mlp_layers(units: list[int], activation, output_activation, initializer="auto", regularizer=None,
               constraint=None, batch_norm: bool = False, dropout: float = 0.0) -> list:
    """The MLP: per hidden size a Dense (activation, initializer, kernel regularizer and constraint),
    then BatchNorm and Dropout when asked; the output Dense (regularized, unconstrained) last.
    ``units`` = hidden sizes + [outputs]; ``initializer="auto"`` picks by the activation."""
    from ..core.layers import BatchNorm, Dense, Dropout
    if isinstance(initializer, str) and initializer == "auto":
        initializer = auto_initializer(activation)
    layers: list = []
    for n in units[:-1]:
        layers.append(Dense(n, activation, kernel_initializer=initializer, kernel_regularizer=regularizer,
                            kernel_constraint=constraint))
        if batch_norm:
            layers.append(BatchNorm())
        if dropout:
            layers.append(Dropout(dropout))
    layers.append(Dense(units[-1], output_activation, kernel_regularizer=regularizer))
    return layers


def build_model(cfg: dict[str, Any]):
    from ..core import layers as L
    from ..core.regularizers import L1L2, MaxNorm
    from ..model import Sequential
    m = cfg["model"]
    if m.get("layers"):
        built = []
        for i, spec in enumerate(m["layers"]):
            spec = dict(spec)
            kind = spec.pop("type", None)
            try:
                built.append(L.from_config({"class_name": kind, **spec}))
            except ConfigError as exc:
                raise ConfigError(f"model.layers[{i}]: {exc}") from None
        return Sequential(built, input_shape=(m["sizes"][0],) if m.get("sizes") else None, seed=cfg["seed"])
    sizes = m["sizes"]
    reg = L1L2(m["l1"], m["l2"]) if (m["l1"] or m["l2"]) else None
    layers = mlp_layers(sizes[1:], m["activation"], m["output_activation"], m["initializer"], reg,
                        MaxNorm(m["max_norm"]) if m["max_norm"] else None, m["batch_norm"], m["dropout"])
    if cfg.get("augment"):
        from ..core.augment import Augment
        layers.insert(0, Augment(**cfg["augment"]))
    return Sequential(layers, input_shape=(sizes[0],), seed=cfg["seed"])


def build_optimizer(cfg: dict[str, Any]):
    from ..optim import optimizers, schedules
    c = cfg["compile"]
    lr: Any = c["learning_rate"]
    if c.get("schedule"):
        sched = dict(c["schedule"])
        sched.setdefault("initial_learning_rate", lr)
        if sched.get("name") == "warmup":
            sched.setdefault("after", lr)
            sched.pop("initial_learning_rate")
        try:
            lr = schedules.get(sched)
        except ConfigError as exc:
            raise ConfigError(f"compile.schedule: {exc}") from None
    kwargs: dict[str, Any] = {"learning_rate": lr}
    for key in ("weight_decay", "clipvalue", "clipnorm", "global_clipnorm"):
        if c[key]:
            kwargs[key] = c[key]
    if c["optimizer"] == "sgd" and c["momentum"]:
        kwargs.update(momentum=c["momentum"], nesterov=c["nesterov"])
    try:
        return optimizers.get(c["optimizer"], **kwargs)
    except ConfigError as exc:
        raise ConfigError(f"compile: {exc}") from None


def build_callbacks(cfg: dict[str, Any]) -> list:
    from ..training.callbacks import Callback, EarlyStopping, ReduceLROnPlateau
    f = cfg["fit"]
    out: list[Callback] = []
    if "reduce_lr_on_plateau" in f:
        out.append(ReduceLROnPlateau(**f["reduce_lr_on_plateau"]))
    if "early_stopping" in f:
        out.append(EarlyStopping(**f["early_stopping"]))
    return out
