"""``python -m layerwise ...`` runs the command line (same as the ``layerwise`` command)."""
from .app.cli import entry, main  # noqa: F401

entry()
