"""``python -m layerwise ...`` runs the command line (same as the ``layerwise`` command)."""
import sys

from .app.cli import main

sys.exit(main())
