"""
``examples/book_network.py``: the book's network on 60,000 images
==================================================================

``Network([784, 30, 10])`` with the cross-entropy cost and L2 regularisation, trained through
the book's API (:mod:`layerwise.compat.nielsen`) on the full training set, with the book's four
monitors on the 10,000 test images. ``python examples/book_network.py`` trains 30 epochs; the
:ref:`book's API chapter <sphx_glr_auto_examples_plot_20_book_api.py>` explains the interface.

.. literalinclude:: /../examples/book_network.py
   :language: python

During the build it runs in full on Fashion-MNIST: 30 epochs of mini-batches of 10 with
:math:`\lambda = 5`, as in the book. Only the learning rate differs: the book's
:math:`\eta = 0.5` was chosen for MNIST's digits, and on Fashion-MNIST it sits near the threshold
the :ref:`hyperparameter chapter <sphx_glr_auto_examples_plot_18_hyperparameters.py>` looks for,
so the build passes :math:`\eta = 0.1` (``--eta 0.1``). Even so the evaluation accuracy moves by
a point or so from one epoch to the next: steps on mini-batches of 10 are noisy, and this small
network (30 hidden units) has no schedule to calm them (the
:ref:`last chapter <sphx_glr_auto_examples_plot_19_fashion_mnist.py>` has one). The book's own
lines, epoch by epoch:
"""
import runpy
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import layerwise as lw

script = Path(lw.__file__).resolve().parents[2] / "examples" / "book_network.py"
(evaluation_cost, evaluation_accuracy, training_cost, training_accuracy), seconds = \
    runpy.run_path(str(script))["main"]("fashion-mnist", epochs=30, eta=0.1, lmbda=5.0)

# %%
# The four monitors the book's ``SGD`` returns, drawn as the book draws them in chapter 3:
epochs = np.arange(1, 31)
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.4))
ax1.plot(epochs, training_cost, label="training data")
ax1.plot(epochs, evaluation_cost, "--", label="evaluation (test) data")
ax2.plot(epochs, np.array(training_accuracy) / 60000, label="training data")
ax2.plot(epochs, np.array(evaluation_accuracy) / 10000, "--", label="evaluation (test) data")
ax1.set(xlabel="epoch", title="Cost (cross-entropy + L2 term)")
ax2.set(xlabel="epoch", title="Accuracy")
for ax in (ax1, ax2):
    ax.grid(alpha=0.3)
    ax.legend(fontsize=9)
fig.tight_layout()
print(f"final evaluation accuracy {evaluation_accuracy[-1] / 10000:.4f}, best {max(evaluation_accuracy) / 10000:.4f}")
