"""Old import paths. Before the package was split into sub-packages, every module sat at the
top (``layerwise.optimizers``, ``layerwise.callbacks``, ``layerwise.io`` ...). Those paths keep
working: each name below is the very same module object as its new home (so monkeypatching either
path patches both). ``layerwise.io``, which was split in three, has a module of its own.
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys

OLD_PATHS = {
    "activations": "core.activations",
    "backend": "core.backend",
    "initializers": "core.initializers",
    "layers": "core.layers",
    "losses": "core.losses",
    "regularizers": "core.regularizers",
    "metrics": "core.metrics",
    "optimizers": "optim.optimizers",
    "schedules": "optim.schedules",
    "averaging": "optim.ema",
    "callbacks": "training.callbacks",
    "checkpoint": "training.checkpoint",
    "validation": "data.inputs",
    "diagnostics": "inspect.diagnostics",
    "gradcheck": "inspect.gradcheck",
    "export": "formats.onnx",
    "config": "app.config",
    "runs": "app.runs",
    "tune": "app.tune",
    "predict": "app.predict",
    "datasets": "data.datasets",
}


class _AliasFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports ``layerwise.<old>`` as the module at its new path."""

    def find_spec(self, fullname, path=None, target=None):
        prefix, _, old = fullname.partition(".")
        if prefix == "layerwise" and old in OLD_PATHS:
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        module = importlib.import_module("layerwise." + OLD_PATHS[spec.name.partition(".")[2]])
        self._home = (module.__spec__, module.__loader__)
        return module

    def exec_module(self, module):
        # the import machinery stamped the old name's spec on the module: give it back its own
        module.__spec__, module.__loader__ = self._home


def install() -> None:
    if not any(isinstance(f, _AliasFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _AliasFinder())
