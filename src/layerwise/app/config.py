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
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from . import options
from .build import auto_initializer, build_callbacks, build_model, build_optimizer  # noqa: F401

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


SPEC: dict[str, Any] = options.spec()
DEFAULTS: dict[str, Any] = options.defaults()
AUGMENT_DEFAULTS = options.AUGMENT_DEFAULTS


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
    checked = options.validate_table(SPEC, raw, "")
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


def apply_overrides(cfg: dict[str, Any], given: dict[str, Any]) -> None:
    """Set each {config path: value} given on the command line (``options.given``), checked like
    the file's own; ``--augment`` turns augmentation on only where the config has no [augment]."""
    for path, value in given.items():
        if path == "augment" and cfg.get("augment"):
            continue
        set_path(cfg, path, value)


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
        if model.get("initializer") == "auto":  # the name in the saved config, so a re-run builds the same
            model["initializer"] = auto_initializer(model["activation"])
    comp = cfg["compile"]
    if not comp["learning_rate"]:
        comp["learning_rate"] = options.default_learning_rates()[comp["optimizer"].lower()]
    if not cfg["name"]:
        cfg["name"] = Path(str(cfg["data"]["dataset"])).stem
    return cfg


def dumps(cfg: dict[str, Any]) -> str:
    import tomli_w
    return tomli_w.dumps(cfg)
