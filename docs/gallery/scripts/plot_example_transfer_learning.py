"""
``examples/transfer_learning.py``: reusing layers
=================================================

The notes' recipe for a task with few labels: take a network trained on a related task with
many, and reuse its lower layers, which have learned features (strokes, loops) that the new task
needs too. Two ways are compared: freezing the reused layers (only the new layers learn) and
fine-tuning them (they start from the trained values and keep learning); a third feeds the
trained network's hidden features to a scikit-learn SVM.

In layerwise, ``model.copy_layers(upto=k, trainable=False)`` returns copies of the first
``k`` layers, frozen or not, to build a new ``Sequential``; ``model.features(x, upto=k)``
returns the activations of layer ``k`` for any other learner:

.. code-block:: python

    new = lw.Sequential([*model.copy_layers(upto=2, trainable=False), lw.Dense(2, "softmax")])
    features = model.features(x, upto=2)

The whole script, included from ``examples/transfer_learning.py``:

.. literalinclude:: /../examples/transfer_learning.py
   :language: python

Run during the build (the numbers below are this build's):
"""
import runpy
from pathlib import Path

import layerwise

script = Path(layerwise.__file__).resolve().parents[2] / "examples" / "transfer_learning.py"
runpy.run_path(str(script), run_name="__main__")
