"""Run configurations (TOML): what to train, how, and for how long — validated, resolved,
saved with every run, and re-runnable exactly.

    seed = 0
    [data]     dataset = "fashion-mnist", validation_size = 10000
    [model]    sizes = [784, 256, 10], activation = "relu", dropout = 0.2, batch_norm = true, l2 = 1e-5
               (or layers = [{type = "Dense", units = 256, activation = "relu"}, ...])
    [compile]  optimizer = "adam", learning_rate = 0.001, schedule = {name = "exponential", ...}
    [fit]      epochs = 20, batch_size = 128, early_stopping = {monitor = "val_accuracy", patience = 5}

Every key is checked before anything runs; an error names the key's path and what was
expected: ``fit.epochs: expected a positive integer, got -3``.
"""
from __future__ import annotations

import copy
import math
import sys
from pathlib import Path
from typing import Any, Callable

from ..errors import ConfigError
if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


# -- value checkers: each returns the (normalised) value or raises with the path -----------------
def _fail(path, expected, value):
    raise ConfigError(f"{path}: expected {expected}, got {value!r}")


def _int(lo=None, expected="an integer"):
    def check(path, v):
        if isinstance(v, bool) or not isinstance(v, int) or (lo is not None and v < lo):
            _fail(path, expected, v)
        return v
    return check


def _num(lo=None, hi=None, lo_open=False, hi_open=False, expected="a number"):
    def check(path, v):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            _fail(path, expected, v)
        if lo is not None and (v <= lo if lo_open else v < lo):
            _fail(path, expected, v)
        if hi is not None and (v >= hi if hi_open else v > hi):
            _fail(path, expected, v)
        return float(v)
    return check


def _bool(path, v):
    if not isinstance(v, bool):
        _fail(path, "true or false", v)
    return v


def _str(choices: tuple[str, ...] | None = None):
    def check(path, v):
        if not isinstance(v, str) or not v:
            _fail(path, "a non-empty string", v)
        if choices and v not in choices:
            _fail(path, f"one of {', '.join(choices)}", v)
        return v
    return check


def _optional_str(path, v):
    """A string, "" meaning off."""
    if not isinstance(v, str):
        _fail(path, 'a string ("" for off)', v)
    return v


def _label_column(path, v):
    """A column name (string) or index (integer, negative from the end)."""
    if isinstance(v, bool) or not isinstance(v, (int, str)) or (isinstance(v, str) and not v):
        _fail(path, "a column name or an integer index", v)
    return v


def _run_name(path, v):
    """A run name becomes part of a directory name: no path separators, no leading dot."""
    if not isinstance(v, str) or not v or any(c in v for c in "/\\\0") or v.startswith("."):
        _fail(path, "a plain name (no '/', no leading '.')", v)
    return v


def _split_size(path, v):
    """A held-out part: a fraction in [0, 1), or a whole number of samples."""
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0 \
            or (v >= 1 and float(v) != int(v)):
        _fail(path, "a fraction in [0, 1) or a whole number of samples", v)
    return int(v) if v >= 1 else float(v)


def _list_of(item: Callable, expected: str, min_len: int = 0):
    def check(path, v):
        if not isinstance(v, list) or len(v) < min_len:
            _fail(path, expected, v)
        return [item(f"{path}[{i}]", x) for i, x in enumerate(v)]
    return check


class _table:
    """A checker for a sub-table; ``spec`` maps its keys to their checkers."""

    def __init__(self, spec: dict[str, Any], required: tuple[str, ...] = ()):
        self.spec, self.required = spec, required

    def __call__(self, path, v):
        return _validate_table(self.spec, v, path, self.required)


def _free_table(path, v):
    """A table passed through to a constructor (its own constructor checks the values)."""
    if not isinstance(v, dict):
        _fail(path, "a table", v)
    return dict(v)


def _name_or_table(path, v):
    """A name ("adam") or a table with a name and arguments ({name = "binary_crossentropy", ...})."""
    if isinstance(v, str) and v:
        return v
    if isinstance(v, dict) and isinstance(v.get("name"), str):
        return dict(v)
    _fail(path, "a name or a table with a name", v)


POS_INT = _int(1, "a positive integer")
NONNEG_INT = _int(0, "an integer >= 0")
POS_NUM = _num(0, lo_open=True, expected="a number > 0")
NONNEG_NUM = _num(0, expected="a number >= 0")
FRACTION = _num(0, 1, hi_open=True, expected="a number in [0, 1)")

ACTIVATIONS = ("linear", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "softmax")
OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw", "adamax", "nadam")

SPEC: dict[str, Any] = {
    "name": _run_name,
    "seed": NONNEG_INT,
    "data": _table({
        "dataset": _str(),
        "validation_size": _split_size,
        "label_column": _label_column,   # a header name or an index (your own CSV/.npy files)
        "scale": _num(0, None, True, False, "a positive number"),   # divide the features by it (255 for pixels)
    }),
    "model": _table({
        "sizes": _list_of(POS_INT, "a list of at least two positive integers", 2),
        "activation": _str(ACTIVATIONS),
        "output_activation": _str(ACTIVATIONS),
        "initializer": _str(),
        "dropout": FRACTION,
        "batch_norm": _bool,
        "l1": NONNEG_NUM,
        "l2": NONNEG_NUM,
        "max_norm": NONNEG_NUM,
        "layers": _list_of(_free_table, "a list of layer tables", 1),
    }),
    "compile": _table({
        "optimizer": _str(OPTIMIZERS),
        "learning_rate": POS_NUM,
        "momentum": FRACTION,
        "nesterov": _bool,
        "weight_decay": NONNEG_NUM,
        "clipvalue": NONNEG_NUM,
        "clipnorm": NONNEG_NUM,
        "global_clipnorm": NONNEG_NUM,
        "schedule": _free_table,
        "loss": _name_or_table,
        "metrics": _list_of(_str(), "a list of metric names"),
        "ema": FRACTION,
    }),
    "fit": _table({
        "epochs": POS_INT,
        "batch_size": POS_INT,
        "shuffle": _bool,
        "checkpoint_every": NONNEG_INT,
        "early_stopping": _table({"monitor": _str(), "patience": NONNEG_INT, "min_delta": NONNEG_NUM,
                                  "restore_best_weights": _bool}),
        "reduce_lr_on_plateau": _table({"monitor": _str(), "factor": _num(0, 1, True, True, "a number in (0, 1)"),
                                        "patience": NONNEG_INT, "min_delta": NONNEG_NUM, "min_lr": NONNEG_NUM,
                                        "stop_below": _num(0, 1, True, True, "a number in (0, 1)")}),
    }),
    "run": _table({
        "runs_dir": _str(),
        "plots": _bool,
        "report": _bool,
        "diagnostics": _bool,
        "tensorboard": _optional_str,   # a directory: TensorBoard event files, one subdirectory per run ("" off)
        "mlflow": _optional_str,        # an MLflow tracking URI or local directory ("" off)
    }),
    "augment": _table({   # random per-image warps and lighting in training (see layerwise.Augment)
        "shift": _num(0, 0.5, False, False, "a fraction of the image size in [0, 0.5]"),
        "rotation": _num(0, 180, False, False, "degrees in [0, 180]"),
        "zoom": _num(0, 0.9, False, False, "a number in [0, 0.9]"),
        "brightness": FRACTION,
        "contrast": FRACTION,
        "flip": _bool,
        "image_shape": _list_of(POS_INT, "[height, width]"),
    }),
    "tune": _free_table,
}
AUGMENT_DEFAULTS = {"shift": 0.1, "rotation": 10.0, "zoom": 0.1}  # what --augment turns on

DEFAULTS: dict[str, Any] = {
    "name": "",
    "seed": 0,
    "data": {"dataset": "digits", "validation_size": 0.1},
    "model": {"sizes": [], "activation": "relu", "output_activation": "softmax", "initializer": "auto",
              "dropout": 0.0, "batch_norm": False, "l1": 0.0, "l2": 0.0, "max_norm": 0.0},
    "compile": {"optimizer": "sgd", "learning_rate": 0.0, "momentum": 0.0, "nesterov": False,
                "weight_decay": 0.0, "clipvalue": 0.0, "clipnorm": 0.0, "global_clipnorm": 0.0,
                "loss": "categorical_crossentropy", "metrics": ["accuracy"], "ema": 0.0},
    "fit": {"epochs": 20, "batch_size": 32, "shuffle": True, "checkpoint_every": 0},
    "run": {"runs_dir": "runs", "plots": True, "report": True, "diagnostics": False, "tensorboard": "", "mlflow": ""},
}
DEFAULT_LR = {"sgd": 0.1, "momentum": 0.01, "nesterov": 0.01, "adagrad": 0.01, "adamax": 0.002, "nadam": 0.002}


def _validate_table(spec: dict[str, Any], value: Any, path: str, required=()) -> dict[str, Any]:
    if not isinstance(value, dict):
        _fail(path or "config", "a table", value)
    out = {}
    for key, v in value.items():
        full = f"{path}.{key}" if path else key
        if key not in spec:
            raise ConfigError(f"{full}: unknown key; valid keys{' in ' + path if path else ''}: "
                              f"{', '.join(sorted(spec))}")
        out[key] = spec[key](full, v)
    for key in required:
        if key not in out:
            raise ConfigError(f"{path}.{key}: required")
    return out


def _merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict) and k not in ("schedule",):
            out[k] = _merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def validate(raw: dict[str, Any]) -> dict[str, Any]:
    """Check every key of a config (as read from TOML) and fill in the defaults."""
    checked = _validate_table(SPEC, raw, "")
    cfg = _merge(DEFAULTS, checked)
    if cfg["model"].get("layers") and cfg["model"].get("sizes"):
        raise ConfigError("model: give either sizes or layers, not both")
    return cfg


def load(path) -> dict[str, Any]:
    """Read and validate a TOML config file."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a directory, not a config file") from None
    except PermissionError:
        raise ConfigError(f"{path}: cannot read the config file (permission denied)") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    try:
        return validate(raw)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None


def set_path(cfg: dict[str, Any], dotted: str, value: Any) -> None:
    """Override one key, validating it like the file's own: ``set_path(cfg, "fit.epochs", 5)``."""
    keys = dotted.split(".")
    section = cfg
    for k in keys[:-1]:
        section = section.setdefault(k, {})
    checker = _lookup_checker(keys)
    section[keys[-1]] = checker(dotted, value)


def _lookup_checker(keys: list[str]) -> Callable:
    spec: Any = SPEC
    for k in keys[:-1]:
        spec = spec[k].spec
    return spec[keys[-1]]


def resolve(cfg: dict[str, Any], n_features: int, n_classes: int) -> dict[str, Any]:
    """Fill what depends on the data: layer sizes and the learning rate's default."""
    cfg = copy.deepcopy(cfg)
    model = cfg["model"]
    if not model.get("layers"):
        sizes = model.get("sizes") or [n_features, 100, n_classes]
        if sizes[0] != n_features:
            raise ConfigError(f"model.sizes starts with {sizes[0]} inputs but the data has {n_features} features")
        if sizes[-1] != n_classes and model["output_activation"] == "softmax":
            raise ConfigError(f"model.sizes ends with {sizes[-1]} outputs but the data has {n_classes} classes")
        model["sizes"] = sizes
    comp = cfg["compile"]
    if not comp["learning_rate"]:
        comp["learning_rate"] = DEFAULT_LR.get(comp["optimizer"], 1e-3)
    if not cfg["name"]:
        cfg["name"] = Path(str(cfg["data"]["dataset"])).stem
    return cfg


def dumps(cfg: dict[str, Any]) -> str:
    import tomli_w
    return tomli_w.dumps(cfg)


# -- building what the config describes ----------------------------------------------------------------
def build_model(cfg: dict[str, Any]):
    from ..core import layers as L
    from ..model import Sequential
    from ..core.regularizers import L1L2, MaxNorm
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
    relu_like = m["activation"] in ("relu", "leaky_relu", "elu")
    init = m["initializer"] if m["initializer"] != "auto" else ("he_normal" if relu_like else "glorot_uniform")
    reg = L1L2(m["l1"], m["l2"]) if (m["l1"] or m["l2"]) else None
    con = MaxNorm(m["max_norm"]) if m["max_norm"] else None
    layers = []
    for units in sizes[1:-1]:
        layers.append(L.Dense(units, m["activation"], kernel_initializer=init, kernel_regularizer=reg,
                              kernel_constraint=con))
        if m["batch_norm"]:
            layers.append(L.BatchNorm())
        if m["dropout"]:
            layers.append(L.Dropout(m["dropout"]))
    layers.append(L.Dense(sizes[-1], m["output_activation"], kernel_regularizer=reg))
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
    from ..training.callbacks import EarlyStopping, ReduceLROnPlateau
    f = cfg["fit"]
    out = []
    if "reduce_lr_on_plateau" in f:
        out.append(ReduceLROnPlateau(**f["reduce_lr_on_plateau"]))
    if "early_stopping" in f:
        out.append(EarlyStopping(**f["early_stopping"]))
    return out
