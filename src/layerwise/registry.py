"""One registry behind every name: activations, initializers, losses, metrics, optimizers,
regularizers, constraints, schedules, layers, callbacks and models.

    @lw.register("loss")                 # name from the class's ``name`` (or class name)
    class Hinge(lw.losses.Loss): ...

    lw.register("layer", MyLayer)        # or as a function; MyLayer then saves, loads and
                                         # rebuilds from config like the built-in layers

``resolve(kind, identifier)`` turns a name ("relu"), a config dict ({"name": "l2", "l": 1e-4};
layers use "class_name") or an object into an object. Unknown names and bad keys raise
:class:`ConfigError` naming the key and the valid choices, never a bare TypeError.
"""
from __future__ import annotations

import inspect
from typing import Any

from .errors import ConfigError

KINDS = ("activation", "initializer", "loss", "metric", "optimizer", "regularizer", "constraint",
         "schedule", "layer", "callback", "model")
_LABEL = {"layer": "layer type"}  # how a kind is named in messages
_entries: dict[str, dict[str, Any]] = {k: {} for k in KINDS}
_canonical: dict[str, dict[str, str]] = {k: {} for k in KINDS}  # alias -> canonical name


def _check_kind(kind: str) -> None:
    if kind not in _entries:
        raise ConfigError(f"unknown registry kind {kind!r}; valid: {', '.join(KINDS)}")


def _default_name(kind: str, obj) -> str:
    if kind in ("layer", "callback", "model"):
        return obj.__name__
    return getattr(obj, "name", None) if isinstance(getattr(obj, "name", None), str) else obj.__name__


def _key(kind: str, name: str) -> str:
    # layer and callback names are class names (case matters in configs); the rest are lower-case
    return name if kind in ("layer", "callback", "model") else name.lower()


def register(kind: str, obj=None, *, name: str | None = None, aliases: tuple[str, ...] = ()):
    """Add ``obj`` (a class or factory; for metrics a function) under ``name``.

    Usable as a decorator (``@register("layer")``) or a call (``register("loss", MyLoss)``).
    Re-registering a name replaces the entry (so a notebook cell can be run again).
    """
    _check_kind(kind)

    def add(target):
        key = _key(kind, name or _default_name(kind, target))
        _entries[kind][key] = target
        _canonical[kind][key] = key
        for alias in aliases:
            _canonical[kind][_key(kind, alias)] = key
        return target

    return add if obj is None else add(obj)


def names(kind: str) -> list[str]:
    """Every accepted name of ``kind`` (canonical names and aliases), sorted."""
    _check_kind(kind)
    return sorted(_canonical[kind])


def lookup(kind: str, name: str):
    """The registered class/factory for ``name``; ConfigError listing the valid names if unknown."""
    _check_kind(kind)
    key = _canonical[kind].get(_key(kind, name)) if isinstance(name, str) else None
    if key is None:
        raise ConfigError(f"unknown {_LABEL.get(kind, kind)} {name!r}; valid: {', '.join(names(kind))}")
    return _entries[kind][key]


def _accepted(factory) -> tuple[set[str], bool]:
    """Keyword names a factory accepts, and whether it takes any (an open **kwargs). A class whose
    ``__init__`` passes **kwargs on to its base is followed up the base classes."""
    chain = [c.__init__ for c in factory.__mro__ if "__init__" in vars(c)] if isinstance(factory, type) \
        else [factory]
    accepted: set[str] = set()
    for fn in chain:
        try:
            params = list(inspect.signature(fn).parameters.values())
        except (TypeError, ValueError):
            return accepted, True
        accepted |= {p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
        if not any(p.kind is p.VAR_KEYWORD for p in params):
            return accepted - {"self"}, False
    return accepted - {"self"}, not isinstance(factory, type) or chain[-1] is not object.__init__


def create(kind: str, name: str, kwargs: dict[str, Any]):
    """Call the factory registered as ``name`` with ``kwargs``, naming bad keys in the error."""
    factory = lookup(kind, name)
    accepted, open_ = _accepted(factory)
    bad = sorted(set(kwargs) - accepted)
    if bad and not open_:
        raise ConfigError(f"bad arguments for {_LABEL.get(kind, kind)} {name!r}: "
                          f"unknown key{'s' if len(bad) > 1 else ''} "
                          f"{', '.join(map(repr, bad))}; valid keys: {', '.join(sorted(accepted)) or '(none)'}")
    try:
        return factory(**kwargs)
    except TypeError as exc:
        raise ConfigError(f"bad arguments for {_LABEL.get(kind, kind)} {name!r}: {exc}") from None


def resolve(kind: str, identifier, base: type | None = None, name_key: str = "name", **overrides):
    """An object of ``kind`` from an object (returned as is when it is a ``base``), a name, or a
    config dict ``{name_key: ..., **kwargs}``; ``overrides`` are extra keyword arguments."""
    if base is not None and isinstance(identifier, base):
        return identifier
    if isinstance(identifier, str):
        return create(kind, identifier, dict(overrides))
    if isinstance(identifier, dict):
        cfg = dict(identifier)
        if name_key not in cfg:
            raise ConfigError(f"{_LABEL.get(kind, kind)} config {identifier!r} lacks the key {name_key!r}")
        name = cfg.pop(name_key)
        cfg.update(overrides)
        return create(kind, name, cfg)
    what = f"a name, a config dict{f' or a {base.__name__}' if base is not None else ''}"
    raise ConfigError(f"{_LABEL.get(kind, kind)} must be {what}, got {identifier!r}")
