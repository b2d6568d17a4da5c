"""One registry behind every name: activations, initializers, losses, metrics, optimizers,
regularizers, constraints, schedules, layers, callbacks and models.

    @lw.register                         # the kind from the base class (here a Loss); the name
    class Cubic(lw.losses.Loss): ...     # from the class's ``name`` (or the class name)

    lw.register("layer", MyLayer)        # or the kind named, as a call; MyLayer then saves, loads
                                         # and rebuilds from config like the built-in layers

A built-in name is never replaced by accident: registering another object under it (a user class
called ``Dense``, say) is refused unless ``override=True``. A user's own name may be registered
again (a notebook cell run twice).

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
_bases: dict[type, str] = {}  # the base class of each kind (Layer -> "layer"), declared by its module


def declare_base(kind: str, base: type) -> None:
    """Say that subclasses of ``base`` are of ``kind``, so a bare ``@register`` can infer it."""
    _check_kind(kind)
    _bases[base] = kind


def _builtin(obj) -> bool:
    return (getattr(obj, "__module__", None) or "").split(".")[0] == "layerwise"


def _check_kind(kind: str) -> None:
    if kind not in _entries:
        raise ConfigError(f"unknown registry kind {kind!r}; valid: {', '.join(KINDS)}")


def _default_name(kind: str, obj) -> str:
    if kind in ("layer", "callback", "model"):
        return obj.__name__
    name = getattr(obj, "name", None)
    return name if isinstance(name, str) else obj.__name__


def _key(kind: str, name: str) -> str:
    # layer and callback names are class names (case matters in configs); the rest are lower-case
    return name if kind in ("layer", "callback", "model") else name.lower()


def _infer_kind(obj) -> str:
    for cls in getattr(obj, "__mro__", ()):
        if cls in _bases:
            return _bases[cls]
    raise ConfigError(f"register: cannot tell what kind of thing {getattr(obj, '__name__', obj)!r} is; "
                      f"subclass one of {', '.join(sorted(b.__name__ for b in _bases))} or name the kind: "
                      f"register(\"layer\", ...); kinds: {', '.join(KINDS)}")


def register(kind=None, obj=None, *, name: str | None = None, aliases: tuple[str, ...] = (),
             override: bool = False):
    """Add ``obj`` (a class or factory; for metrics a function) under ``name``.

    Usable as a decorator, bare (``@register``: the kind from the base class) or with the kind
    (``@register("layer")``), or as a call (``register("loss", MyLoss)``). A name that a built-in
    holds is refused unless ``override=True``; re-registering a user's own name replaces it.

    Parameters
    ----------
    kind : str, class or None, default None
        What it is: one of "activation", "initializer", "loss", "metric", "optimizer",
        "regularizer", "constraint", "schedule", "layer", "callback", "model". None (or the class
        itself, as a bare decorator): inferred from the base class (a ``Loss`` subclass is a
        "loss").
    obj : class, callable or None, default None
        What to register: a class, or a factory returning the object. None: return a decorator.
    name : str or None, default None
        The name configs and ``get`` use. None: the class's ``name`` attribute (losses,
        activations, ...) or the class name (layers, callbacks, models). Case-insensitive except
        for layers, callbacks and models.
    aliases : tuple of str, default ()
        Other names for the same entry.
    override : bool, default False
        Allow replacing a built-in's name (which breaks loading files that use the built-in).

    Returns
    -------
    class or callable
        ``obj`` itself (so the decorated class keeps its name), or, when ``obj`` is None, a
        decorator that registers and returns its argument. A bad kind, an unknown base class or
        a taken built-in name raises ConfigError.
    """
    if kind is not None and not isinstance(kind, str):  # bare @register on a class
        return register(_infer_kind(kind), kind, name=name, aliases=aliases, override=override)
    if kind is not None:
        _check_kind(kind)

    def add(target):
        k = kind or _infer_kind(target)
        keys = [_key(k, name or _default_name(k, target))] + [_key(k, a) for a in aliases]
        if k in ("layer", "callback", "model") and isinstance(target, type) and target.__name__ not in keys:
            # their configs are saved under the class name: it must lead back to this class
            held = _entries[k].get(_canonical[k].get(target.__name__, target.__name__))
            if held is not None and held is not target:
                raise ConfigError(
                    f"class {target.__name__!r} registered as {keys[0]!r} would be saved as {target.__name__!r} "
                    f"(its class name), which names another {_LABEL.get(k, k)}, so a saved model would load "
                    f"that one instead: rename the class")
            keys.append(target.__name__)
        for key in keys:
            held = _entries[k].get(_canonical[k].get(key, key))
            if held is not None and held is not target and _builtin(held) and not _builtin(target) and not override:
                raise ConfigError(
                    f"{key!r} is a built-in {_LABEL.get(k, k)}: registering {getattr(target, '__name__', target)!r} "
                    f"under it would replace it (and break loading files that use it); give yours another "
                    f"name (name=...) or pass override=True")
        _entries[k][keys[0]] = target
        _canonical[k][keys[0]] = keys[0]
        for alias in keys[1:]:
            _canonical[k][alias] = keys[0]
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
    chain = [vars(c)["__init__"] for c in factory.__mro__ if "__init__" in vars(c)] if isinstance(factory, type) \
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
