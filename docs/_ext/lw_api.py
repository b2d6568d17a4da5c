"""The API reference's rules (``api/index.rst`` lists the public names; the templates in
``_templates/autosummary`` give each one a page).

- **Only the public surface.** A page shows the class's documented methods, less the engine's own
  plumbing listed in :data:`INTERNAL` (methods the training loop, the model files or the fused
  kernels call, which a user neither calls nor overrides), less attributes that merely hold a
  built-in (a dataclass field whose default is ``str`` would show ``str``'s docstring).
  Underscore names never show (autodoc's rule). A name in :data:`INTERNAL` that its class no
  longer has is a build warning, so the list cannot go stale silently.
- **"Examples using X".** sphinx-gallery records each name an example uses under the shortest
  module path that holds it (``layerwise.core.activations.ReLU`` for ``lw.activations.get("relu")``);
  :func:`documented_module` gives it the module the API reference documents it under instead
  (``layerwise.activations``), so the mini-gallery on ``layerwise.activations.ReLU``'s page finds
  it. ``conf.py`` installs it.
"""
from __future__ import annotations

import importlib
import inspect
import re
import sys
from pathlib import Path


def _logger():
    """Sphinx's logger, imported when used (the tests import this module without Sphinx)."""
    from sphinx.util import logging
    return logging.getLogger(__name__)


API = Path(__file__).resolve().parents[1] / "api" / "index.rst"

# class (by its defining module and name) -> methods of it and its subclasses that are the
# engine's, not the user's. Each says who calls it.
INTERNAL: dict[str, tuple[str, ...]] = {
    # model files check shapes before building; the model builds, binds and regularises layers
    "layerwise.core.layers.Layer": ("param_shapes", "state_shapes", "load_initial_weights", "set_grad",
                                    "set_param", "regularization_terms", "regularization_loss"),
    "layerwise.core.layers.Dropout": ("draw_seed",),                 # the step draws the mask's seed
    "layerwise.core.augment.Augment": ("draw", "params_of", "apply"),  # the step draws, then applies
    "layerwise.model.Sequential": ("collect_params", "prepare"),     # fit/evaluate's set-up
    "layerwise.optim.optimizers.Optimizer": ("bind", "claim"),       # compile lays out the state
    "layerwise.optim.ema.ExponentialMovingAverage": ("bind", "advance"),  # the fused kernel
    "layerwise.core.regularizers.Regularizer": ("added",),           # the step's dispatch
}


def _resolve(path: str):
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def _defining_class(obj):
    """The class a method, property or classmethod was defined in, or None."""
    func = getattr(obj, "fget", None) or getattr(obj, "__func__", None) or obj
    qualname = getattr(func, "__qualname__", "")
    module = sys.modules.get(getattr(func, "__module__", None) or "")
    if module is None or "." not in qualname or "<locals>" in qualname:
        return None
    owner = module
    for part in qualname.split(".")[:-1]:
        owner = getattr(owner, part, None)
    return owner if isinstance(owner, type) else None


def _internal(name: str, obj) -> bool:
    owner = _defining_class(obj)
    if owner is None:
        return False
    for path, names in INTERNAL.items():
        if name in names and issubclass(owner, _resolve(path)):
            return True
    return False


def skip_member(app, what, name, obj, skip, options):
    if what != "class":
        return None
    if _internal(name, obj):
        return True
    if inspect.isbuiltin(obj) or (isinstance(obj, type) and obj.__module__ == "builtins"):
        return True  # an attribute holding a built-in (``Option.parse = str``), not a method
    return None


def check_internal(app) -> None:
    for path, names in INTERNAL.items():
        cls = _resolve(path)
        for name in names:
            if not hasattr(cls, name):
                _logger().warning(f"lw_api.INTERNAL lists {path}.{name}, which no longer exists: "
                               "remove it from docs/_ext/lw_api.py")


# -- the documented name of each object, for sphinx-gallery's backreferences ------------------------
_homes: dict[int, tuple[object, str]] | None = None


def api_names(text: str | None = None) -> list[str]:
    """The names api/index.rst's autosummary tables list, relative to ``layerwise``."""
    text = API.read_text(encoding="utf-8") if text is None else text
    names = []
    for block in re.findall(r"^\.\. autosummary::\n((?:[ \t]+\S.*\n|[ \t]*\n)+)", text, re.M):
        names += [line.strip() for line in block.splitlines() if line.strip() and not line.strip().startswith(":")]
    return names


def _object(dotted: str):
    """``layerwise.<dotted>``, by attribute; a sub-module is imported only where no attribute has
    the name (importing ``layerwise.gradcheck``, an old module path, would replace the function
    ``layerwise.gradcheck`` with the module)."""
    obj = importlib.import_module("layerwise")
    parts = dotted.split(".")
    for i, part in enumerate(parts):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            obj = importlib.import_module(".".join(["layerwise", *parts[:i + 1]]))
    return obj


def homes() -> dict[int, tuple[object, str]]:
    """id(object) -> (object, the module its API page names it under)."""
    global _homes
    if _homes is None:
        _homes = {}
        for name in api_names():
            try:
                obj = _object(name)
            except Exception:  # noqa: BLE001  (an optional part that is not installed)
                continue
            _homes.setdefault(id(obj), (obj, f"layerwise.{name}".rpartition(".")[0]))
    return _homes


def documented_module(module_name: str, obj_name: str) -> str | None:
    """The module under which the API reference documents ``module_name.obj_name`` (``obj_name``
    may be ``Class.method``), or None when it documents no such object."""
    if not module_name.split(".")[0] == "layerwise":
        return None
    head, _, attr = obj_name.partition(".")
    try:
        obj = getattr(sys.modules[module_name], head)
        if attr:
            getattr(obj, attr)
    except Exception:  # noqa: BLE001  (sphinx-gallery probes names that are not there)
        return None
    entry = homes().get(id(obj))
    return entry[1] if entry is not None and entry[0] is obj else None


def setup(app):
    app.connect("autodoc-skip-member", skip_member)
    app.connect("builder-inited", check_internal)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
