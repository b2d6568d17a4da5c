"""Old import path and ``python -m layerwise.cli``: the command line lives in ``layerwise.app.cli``."""
import sys

from .app.cli import main

if __name__ == "__main__":
    sys.exit(main())
