"""Every ``LAYERWISE_*`` environment switch, declared once: name, default, kind and meaning.

Nothing else in layerwise reads a ``LAYERWISE_*`` variable; code asks :func:`get`, which reads the
environment each time (a test or a user may set a variable after import) and refuses a value it
cannot read with one line naming the variable. The documentation's settings table is generated
from :data:`SETTINGS`.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from .errors import ConfigError

_OFF = ("0", "false", "no", "off")
_ON = ("1", "true", "yes", "on")


@dataclass(frozen=True)
class Setting:
    name: str        # the variable: "LAYERWISE_DATA"
    kind: str        # "flag" (on/off), "int" (a whole number >= 1), "path" or "text"
    default: Any     # the value when the variable is unset or empty
    help: str
    choices: tuple[str, ...] = ()  # a "text" setting's allowed values (none: any text)


SETTINGS: tuple[Setting, ...] = (
    Setting("LAYERWISE_DATA", "path", None, "a folder searched first for MNIST-style IDX files "
            "(then ~/.cache/layerwise/<name>, then /usr/share/datasets/<name>)"),
    Setting("LAYERWISE_CACHE_DIR", "path", None, "where compiled kernels are cached (default: "
            "$XDG_CACHE_HOME/layerwise, else ~/.cache/layerwise)"),
    Setting("LAYERWISE_FUSED", "flag", True, "0 turns off the Numba-compiled optimizer and augmentation "
            "kernels (the NumPy path runs instead, with the same results to rounding)"),
    Setting("LAYERWISE_ENGINE", "text", "auto", "the engine of a fit that names none (fit, the book's SGD, "
            "the CLI): auto, numpy or xla (see fit's engine argument)", choices=("auto", "numpy", "xla")),
    Setting("LAYERWISE_TUNE_HEARTBEAT", "int", 5, "seconds between a tuning worker's heartbeats; a trial "
            "silent for four heartbeats is taken for dead"),
    Setting("LAYERWISE_DEBUG", "flag", False, "1 makes the command line print the traceback of an "
            "unexpected error instead of one line"),
)
BY_NAME = {s.name: s for s in SETTINGS}


def get(name: str) -> Any:
    """The value of the switch ``name`` now: its default when unset or empty, else the parsed text."""
    setting = BY_NAME[name]
    text = os.environ.get(name, "").strip()
    if not text:
        return setting.default
    if setting.kind == "flag":
        if text.lower() in _OFF + _ON:
            return text.lower() in _ON
        raise ConfigError(f"{name}: expected one of 0, 1, true, false, yes, no, on, off, got {text!r}")
    if setting.kind == "int":
        if text.isdigit() and int(text) >= 1:
            return int(text)
        raise ConfigError(f"{name}: expected a positive integer, got {text!r}")
    if setting.choices and text.lower() not in setting.choices:
        raise ConfigError(f"{name}: expected one of {', '.join(setting.choices)}, got {text!r}")
    return text.lower() if setting.choices else text
