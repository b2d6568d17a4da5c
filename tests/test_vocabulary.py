"""The vocabulary page of the documentation (generated from the registry when the docs are built,
``docs/_ext/layerwise_docs.vocabulary_page``) names every registered component, and the README
points to it instead of keeping a copy."""
from __future__ import annotations

import re
import sys
from pathlib import Path

import layerwise as lw  # noqa: F401  (registers everything)
from layerwise import registry
from layerwise.training import loggers  # noqa: F401

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT / "docs" / "_ext"))
import layerwise_docs  # noqa: E402

PAGE = layerwise_docs.vocabulary_page()
NAMED = set(re.findall(r"``([A-Za-z0-9_\-<>]+)``", PAGE))


def test_every_registered_name_is_in_the_vocabulary_page():
    built_in = lambda kind, n: getattr(registry.lookup(kind, n), "__module__", "").startswith("layerwise")  # noqa: E731
    missing = {kind: [n for n in registry.names(kind) if built_in(kind, n) and n not in NAMED]
               for kind in ("activation", "loss", "metric", "optimizer", "initializer", "regularizer",
                            "constraint", "schedule", "layer", "callback")}
    assert not any(missing.values()), missing


def test_the_page_names_nothing_unregistered():
    every = {n for kind in registry.KINDS for n in registry.names(kind)}
    assert NAMED <= every, NAMED - every


def test_the_readme_points_to_the_page():
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Vocabulary"):readme.index("## See inside training")]
    assert "docs/guide/vocabulary.rst" in section and "| kind |" not in section
