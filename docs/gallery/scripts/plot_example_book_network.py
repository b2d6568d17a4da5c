"""
``examples/book_network.py``: the book's network on 60,000 images
==================================================================

``Network([784, 30, 10])`` with the cross-entropy cost and L2 regularisation, trained through
the book's API (:mod:`layerwise.compat.nielsen`) on the full training set, with the book's four
monitors on the 10,000 test images. ``python examples/book_network.py`` trains 30 epochs; the
:ref:`book's API chapter <sphx_glr_auto_examples_plot_14_book_api.py>` explains the interface.

.. literalinclude:: /../examples/book_network.py
   :language: python

During the build, one epoch, when Fashion-MNIST is installed:
"""
import runpy
from pathlib import Path

import layerwise as lw

script = Path(lw.__file__).resolve().parents[2] / "examples" / "book_network.py"
if lw.datasets.locate("fashion-mnist") is None:
    print("Fashion-MNIST is not installed on this build machine; the script was not run.")
else:
    runpy.run_path(str(script))["main"]("fashion-mnist", epochs=1)
