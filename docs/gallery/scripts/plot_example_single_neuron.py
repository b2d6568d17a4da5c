"""
``examples/single_neuron_delta_rule.py``
========================================

The notes' first program: one sigmoid neuron trained by the delta rule by hand, and the same
neuron in layerwise, online and batch; the script asserts that both give the same weights.
The theory is in :ref:`the delta rule chapter <sphx_glr_auto_examples_plot_02_neuron_delta_rule.py>`.

.. literalinclude:: /../examples/single_neuron_delta_rule.py
   :language: python
   :lines: 9-

Run during the build:
"""
import runpy
from pathlib import Path

import layerwise

script = Path(layerwise.__file__).resolve().parents[2] / "examples" / "single_neuron_delta_rule.py"
runpy.run_path(str(script), run_name="__main__")
