"""Old import path and ``python -m layerwise.cli``: the command line lives in ``layerwise.app.cli``."""
from .app.cli import entry, main  # noqa: F401

if __name__ == "__main__":
    entry()
