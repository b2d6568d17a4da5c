"""The README's vocabulary table names every registered component (and nothing that is not)."""
from __future__ import annotations

import re
from pathlib import Path

import layerwise as lw  # noqa: F401  (registers everything)
from layerwise import registry
from layerwise.training import loggers  # noqa: F401

README = (Path(__file__).parents[1] / "README.md").read_text()
SECTION = README[README.index("## Vocabulary"):README.index("## See inside training")]
NAMED = set(re.findall(r"`([A-Za-z0-9_\-<>]+)`", SECTION))


def test_every_registered_name_is_in_the_vocabulary_table():
    built_in = lambda kind, n: getattr(registry.lookup(kind, n), "__module__", "").startswith("layerwise")  # noqa: E731
    missing = {kind: [n for n in registry.names(kind) if built_in(kind, n) and n not in NAMED]
               for kind in ("activation", "loss", "metric", "optimizer", "initializer", "regularizer",
                            "constraint", "schedule", "layer", "callback")}
    assert not any(missing.values()), missing

