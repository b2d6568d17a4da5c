r"""
The book's API: ``Network([784, 30, 10]).SGD(...)``
===================================================

Michael Nielsen's *Neural Networks and Deep Learning* builds a network class, ``network2.py``,
that the notes follow: a list of layer sizes, sigmoid units, the quadratic or cross-entropy cost
as a class with ``fn`` and ``delta``, mini-batch SGD with L2 regularisation, four monitor flags
and the book's JSON file format. :mod:`layerwise.compat.nielsen` is that interface on the
layerwise engine, so a program from the book runs with only its import lines changed::

    import layerwise.compat.mnist_loader as mnist_loader
    import layerwise.compat.nielsen as network2

The regularised update it trains with is the book's

.. math::

    w \leftarrow \Big(1 - \frac{\eta\lambda}{n}\Big) w
    - \frac{\eta}{m} \sum_{x \in \text{batch}} \frac{\partial C_x}{\partial w},

with :math:`n` the size of the training set and :math:`m` the mini-batch size. The data is the
book's list of ``(x, y)`` column pairs; :func:`~layerwise.compat.nielsen.to_book_format` makes it
from arrays. (The full-size program on MNIST or Fashion-MNIST is
``examples/book_network.py``; it needs the 60,000-image data set, so this page uses the digits.)
"""

# %%
# The book's chapter-3 program, on the digits
# -------------------------------------------
import matplotlib.pyplot as plt
import numpy as np

import layerwise as lw
import layerwise.compat.nielsen as network2

ds = lw.datasets.load("digits", validation_size=0.2)
training_data = network2.to_book_format(ds.x_train, ds.y_train)                    # one-hot columns
validation_data = network2.to_book_format(ds.x_val, ds.y_val, one_hot=False)       # integer labels
print(f"{len(training_data)} training pairs; x is {training_data[0][0].shape}, y is {training_data[0][1].shape}")

net = network2.Network([64, 30, 10], cost=network2.CrossEntropyCost, seed=0)
evaluation_cost, evaluation_accuracy, training_cost, training_accuracy = net.SGD(
    training_data, 30, 10, 0.5, lmbda=1.0, evaluation_data=validation_data,
    monitor_evaluation_cost=True, monitor_evaluation_accuracy=True,
    monitor_training_cost=True, monitor_training_accuracy=True)

# %%
# ``SGD`` printed the book's lines above and returned its four lists. The accuracies are counts
# of correct answers, as in the book:
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.5))
epochs = np.arange(1, 31)
ax1.plot(epochs, training_cost, label="training cost")
ax1.plot(epochs, evaluation_cost, label="evaluation cost")
ax2.plot(epochs, np.array(training_accuracy) / len(training_data), label="training accuracy")
ax2.plot(epochs, np.array(evaluation_accuracy) / len(validation_data), label="evaluation accuracy")
ax1.set(xlabel="epoch", title="Cost (cross-entropy + L2 term)")
ax2.set(xlabel="epoch", title="Accuracy (correct / total)")
for ax in (ax1, ax2):
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
fig.tight_layout()

# %%
# The book's two initialisations
# ------------------------------
# ``large_weight_initializer()`` draws every weight from N(0, 1); the default divides by
# :math:`\sqrt{n_\text{in}}`. With sigmoid units the large start saturates the hidden layer and
# learning begins more slowly (the book's figure in chapter 3). The book's per-epoch lines are
# silenced here with ``contextlib.redirect_stdout``.
import contextlib  # noqa: E402
import io  # noqa: E402

fig, ax = plt.subplots(figsize=(7, 3.5))
for label, large in (("default: N(0, 1/n_in)", False), ("large: N(0, 1)", True)):
    net = network2.Network([64, 30, 10], cost=network2.CrossEntropyCost, seed=1)
    if large:
        net.large_weight_initializer()
    with contextlib.redirect_stdout(io.StringIO()):
        _, accuracy, _, _ = net.SGD(training_data, 15, 10, 0.1, lmbda=1.0, evaluation_data=validation_data,
                                    monitor_evaluation_accuracy=True)
    ax.plot(np.arange(1, 16), np.array(accuracy) / len(validation_data), "o-", ms=3, label=label)
ax.set(xlabel="epoch", ylabel="evaluation accuracy", title="η = 0.1, λ = 1, mini-batch 10")
ax.grid(alpha=0.3)
ax.legend()
fig.tight_layout()

# %%
# The book's objects are the engine's
# -----------------------------------
# ``net.weights`` and ``net.biases`` are the book's shapes (``weights[l]`` is (n_out, n_in))
# but they are views of the engine's own arrays; ``feedforward`` takes a column, ``backprop``
# returns the book's ``(nabla_b, nabla_w)``, and ``save``/``load`` use the book's JSON.
print([w.shape for w in net.weights], [b.shape for b in net.biases])
x0, y0 = training_data[0]
print("feedforward(x) has shape", net.feedforward(x0).shape, "and sums to", float(net.feedforward(x0).sum().round(4)))
nabla_b, nabla_w = net.backprop(x0, y0)
print("backprop gives", [g.shape for g in nabla_w])
net.model.summary()

# %%
# Exercises
# ---------
# 1. Train the program with ``cost=network2.QuadraticCost`` and nothing else changed. Compare the
#    first five evaluation accuracies with those above: which cost learns slowly at first, and
#    which factor of its gradient is to blame? (The :ref:`losses chapter
#    <sphx_glr_auto_examples_plot_04_losses.py>`; here the quadratic cost is still below 50% after
#    five epochs, the cross-entropy above 90%.)
# 2. Pass ``early_stopping_n=5`` and 100 epochs to ``SGD``. After how many epochs does it return?
#    (Each list it returns has one entry per epoch.)
# 3. Save the network with ``net.save("net.json")``, read it back with ``network2.load`` and check
#    that ``feedforward`` gives the same column. Which four keys does the book's JSON file hold?
