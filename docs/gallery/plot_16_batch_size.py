r"""
Batch size: online, mini-batch, full batch
==========================================

The cost is an average over the :math:`n` training examples, :math:`C = \frac1n \sum_x C_x`, so
its gradient is an average too. Computing it exactly means a pass over all the data for a single
step (*full-batch* gradient descent). The :ref:`delta rule <sphx_glr_auto_examples_plot_02_neuron_delta_rule.py>`
went to the other extreme and stepped after every example (*online* learning). In between, a
*mini-batch* of :math:`m` examples drawn at random gives an estimate,

.. math::

    \hat g = \frac1m \sum_{x \in \text{batch}} \nabla C_x, \qquad
    w \leftarrow w - \eta\, \hat g ,

which is right on average, :math:`\mathbb E[\hat g] = \nabla C`, and whose error shrinks like
:math:`1/\sqrt m`: if the per-example gradients scatter with standard deviation :math:`\sigma`
around their mean, :math:`\hat g` scatters with :math:`\sigma/\sqrt m`. So a batch four times
larger gives a gradient twice as accurate, for four times the arithmetic.

That is the whole trade-off. Small batches take many cheap, noisy steps per epoch; large
batches take few, accurate, expensive ones, and the computer does a large batch in much less
than :math:`m` times the time of one example (a matrix product uses the hardware better than
:math:`m` vector products). The noise is not only a cost: it shakes the weights out of poor
regions, and it lets a small batch make progress before a full-batch step has even finished.
In layerwise the choice is one argument, ``fit(x, y, batch_size=m)``; the loss is a mean over
the batch, so :math:`\eta` keeps its meaning across batch sizes.
"""

# %%
# The noise of a mini-batch gradient, measured
# --------------------------------------------
# A 784-128-10 network on 5,000 Fashion-MNIST images. The exact gradient of the first layer's
# weights over all 5,000, then the gradients of 40 random mini-batches of each size, computed by
# the layers' own ``forward`` and ``backward`` (the backpropagation chapter); the relative error
# :math:`\lVert \hat g - \nabla C\rVert / \lVert \nabla C\rVert` against the batch size.
import time

import matplotlib.pyplot as plt
import numpy as np

import layerwise as lw

ds = lw.datasets.load("fashion-mnist", validation_size=5000)
x, y = ds.x_train[:5000], ds.y_train[:5000]
model = lw.Sequential([lw.Dense(128, "relu", kernel_initializer="he_normal"), lw.Dense(10, "softmax")], seed=0)
model.build((784,))
loss = lw.CategoricalCrossentropy()


def first_layer_gradient(xb, yb):
    hidden, output = model.layers
    a = output.forward(hidden.forward(xb, training=True), training=True)
    hidden.backward(output.backward_from_z(loss.grad_z(a, yb)))
    return hidden.grads["kernel"].copy()


full = first_layer_gradient(x, y)
rng = np.random.default_rng(0)
batch_sizes = [1, 4, 16, 64, 256, 1024]
errors = []
for m in batch_sizes:
    e = [np.linalg.norm(first_layer_gradient(x[idx], y[idx]) - full) / np.linalg.norm(full)
         for idx in (rng.choice(len(x), m, replace=False) for _ in range(40))]
    errors.append((np.mean(e), np.std(e)))
errors = np.array(errors)
for m, (e, _) in zip(batch_sizes, errors):
    print(f"batch of {m:5d}: relative error of the gradient {e:.3f}")

fig, ax = plt.subplots(figsize=(6.5, 3.6))
ax.errorbar(batch_sizes, errors[:, 0], yerr=errors[:, 1], fmt="o-", capsize=3, label="measured (40 batches each)")
ref = errors[2, 0] * np.sqrt(batch_sizes[2] / np.array(batch_sizes))
ax.plot(batch_sizes, ref, "k:", label="∝ 1/√m")
ax.set(xscale="log", yscale="log", xlabel="batch size m", ylabel="‖ĝ − ∇C‖ / ‖∇C‖",
       title="How far a mini-batch gradient is from the full one")
ax.set_xticks(batch_sizes, [str(m) for m in batch_sizes])
ax.grid(alpha=0.3, which="both")
ax.legend()
fig.tight_layout()

# %%
# (The measured error falls a little faster than :math:`1/\sqrt m` for the largest batches,
# because they are drawn without replacement from only 5,000 examples: a batch of 5,000 would
# have no error at all.)
#
# Online, mini-batch and full batch, trained
# ------------------------------------------
# Now training: the same network, 5 epochs on 2,000 of the images, plain SGD, batch sizes from 1
# (online) to 2,000 (full batch). Each batch size gets its own learning rate, the best of the
# grid 0.01, 0.03, 0.1, 0.3, 1 by validation accuracy, because the best rate depends on the
# batch size; then the time one epoch of training takes on this machine.
x, y = x[:2000], y[:2000]
grid = [0.01, 0.03, 0.1, 0.3, 1.0]
sizes = [1, 10, 100, 500, 2000]
EPOCHS = 5
best = {}
for m in sizes:
    scores = []
    for eta in grid:
        net = lw.Sequential([lw.Dense(128, "relu", kernel_initializer="he_normal"), lw.Dense(10, "softmax")], seed=0)
        net.compile(lw.SGD(eta), "categorical_crossentropy", metrics=["accuracy"])
        h = net.fit(x, y, batch_size=m, epochs=EPOCHS, verbose=0, validation_data=(ds.x_val, ds.y_val)).history
        scores.append((h["val_accuracy"][-1], eta, None, h["val_accuracy"]))
    best[m] = max(scores, key=lambda s: s[0])
    net = lw.Sequential([lw.Dense(128, "relu", kernel_initializer="he_normal"), lw.Dense(10, "softmax")], seed=0)
    net.compile(lw.SGD(best[m][1]), "categorical_crossentropy")
    t0 = time.perf_counter()
    net.fit(x, y, batch_size=m, epochs=2, verbose=0)           # training only, no validation
    best[m] = (*best[m][:2], (time.perf_counter() - t0) / 2, best[m][3])
    print(f"batch {m:5d}: best η {best[m][1]:<6g} validation accuracy {best[m][0]:.4f} after {EPOCHS} epochs "
          f"({EPOCHS * int(np.ceil(len(x) / m)):6d} updates), {best[m][2]:.2f} s per epoch")

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.6))
for m in sizes:
    ax1.plot(np.arange(1, EPOCHS + 1), best[m][3], "o-", ms=3, label=f"m = {m}, η = {best[m][1]:g}")
ax1.set(xlabel="epoch", ylabel="validation accuracy", title="Each batch size at its best η")
ax1.legend(fontsize=8)
ax2.plot(sizes, [best[m][2] for m in sizes], "o-")
ax2.set(xscale="log", yscale="log", xlabel="batch size m", ylabel="seconds per epoch",
        title="Cost of one pass over the data")
ax2.set_xticks(sizes, [str(m) for m in sizes])
for ax in (ax1, ax2):
    ax.grid(alpha=0.3, which="both")
fig.tight_layout()

# %%
# Read the two panels together. Online learning takes 2,000 steps per epoch and learns the most
# per epoch, but each step does too little arithmetic to use the machine well, so its epochs are
# the slowest. Full-batch descent has the opposite problem: its epoch is one step, and five steps
# are not enough to learn much, whatever the rate. Small mini-batches get nearly all of online
# learning's progress per epoch at a fraction of its cost; beyond that, on a network and data set
# this small, a larger batch is hardly cheaper per epoch and learns less in it. Notice too
# that the best :math:`\eta` grows from online learning to mini-batches of hundreds: a more
# accurate gradient can be followed further (for the full batch, five steps are too few for the
# rate to matter much).
#
# How to choose
# -------------
# Nielsen's advice holds: the batch size mostly affects *speed*, not the accuracy you can
# finally reach, and it is nearly independent of the other hyperparameters. So
#
# 1. fix the other hyperparameters at reasonable values;
# 2. try a few batch sizes (powers of two from 16 to 512), re-tuning :math:`\eta` for each (a
#    first guess: scale :math:`\eta` with the batch size, then search around it);
# 3. plot validation accuracy against *wall-clock time*, not epochs, and keep the size that
#    gets there fastest;
# 4. then tune the rest at that size.
#
# Exercises
# ---------
# 1. Show that :math:`\mathbb E[\hat g] = \nabla C` when the batch is drawn uniformly at random, and
#    that its variance is :math:`\sigma^2/m` for draws with replacement.
# 2. Redraw the training comparison against wall-clock seconds instead of epochs. Which batch
#    size wins now?
# 3. Give the full-batch run 200 epochs. How close does it get to the mini-batch result, and in
#    how many seconds?
# 4. Is the best η for m = 1000 about ten times the best for m = 100? Refine the grid to check.
