"""
``examples/fashion_mlp.py``: a Keras-style MLP on Fashion-MNIST
===============================================================

Two hidden ReLU layers of 256 and 128 units with He initialisation, L2 penalties, batch norm and
dropout; Adam; a plateau schedule and early stopping on 10,000 held-out images. Every piece has
its chapter in the user guide; this is them together. ``python examples/fashion_mlp.py`` trains up
to 20 epochs.

.. literalinclude:: /../examples/fashion_mlp.py
   :language: python

During the build it runs as the command above does, up to 20 epochs on the full training set
(the last 10,000 images held out for validation), and prints its test accuracy at the end:
"""
import runpy
from pathlib import Path

import layerwise as lw

script = Path(lw.__file__).resolve().parents[2] / "examples" / "fashion_mlp.py"
result = runpy.run_path(str(script))["main"]()
