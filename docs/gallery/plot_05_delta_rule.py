r"""
The delta rule of a single neuron
=================================

The notes' first program trains one sigmoid neuron, :math:`\hat y = \sigma(h)` with
:math:`h = \sum_i w_i x_i + b`, on the error :math:`E = \tfrac12 (y - \hat y)^2`.
Gradient descent on :math:`E` is the *delta rule*:

.. math::

    \text{error term} = (y - \hat y)\,\sigma'(h), \qquad
    \Delta w_i = \eta \cdot \text{error term} \cdot x_i, \qquad \Delta b = \eta \cdot \text{error term}.

Applied after every sample it is online (stochastic) learning; summed over the data and applied
once per pass, batch learning. It is BP1 and BP4 of the backpropagation chapter for a network
with no hidden layer, so a one-unit :class:`~layerwise.Dense` layer with the quadratic cost and
plain SGD computes exactly the same updates (``examples/single_neuron_delta_rule.py``, in the
:ref:`scripts gallery <sphx_glr_auto_examples_scripts_plot_example_single_neuron.py>`, checks this to six
decimals).
"""

# %%
# The rule, by hand
# -----------------
import matplotlib.pyplot as plt
import numpy as np

import layerwise as lw

rng = np.random.default_rng(1)
x = np.vstack([rng.normal([-1, -1], 0.7, (40, 2)), rng.normal([1.2, 1.0], 0.7, (40, 2))])
y = np.repeat([0.0, 1.0], 40)


def sigmoid(h):
    return 1 / (1 + np.exp(-h))


def delta_rule_epoch(x, y, w, b, eta):
    """One pass of online updates: after every sample, w += η·(y − ŷ)·σ'(h)·x."""
    for xi, yi in zip(x, y):
        y_hat = sigmoid(xi @ w + b)
        error_term = (yi - y_hat) * y_hat * (1 - y_hat)
        w = w + eta * error_term * xi
        b = b + eta * error_term
    return w, b


w, b, eta = np.array([0.5, -0.8]), 0.0, 0.5
snapshots = {0: (w, b)}
for epoch in range(1, 31):
    w, b = delta_rule_epoch(x, y, w, b, eta)
    if epoch in (1, 3, 30):
        snapshots[epoch] = (w, b)

# %%
# The same neuron in layerwise
# ----------------------------
# ``Dense(1, "sigmoid")`` with the quadratic cost :math:`\tfrac12\lVert \hat y - y\rVert^2`,
# plain SGD, one sample per batch and no shuffling: the same arithmetic, step for step.
model = lw.Sequential([lw.Dense(1, "sigmoid")], input_shape=(2,), dtype="float64", seed=0)
model.compile(lw.SGD(eta), "quadratic")
model.set_weights([np.array([[0.5], [-0.8]]), np.array([0.0])])
model.fit(x, y, batch_size=1, epochs=30, shuffle=False, verbose=0)
kernel, bias = model.get_weights()
print("by hand:   w =", np.round(w, 8), " b =", round(b, 8))
print("layerwise: w =", np.round(kernel.ravel(), 8), " b =", round(bias[0], 8))
print("largest difference:", np.abs(np.r_[w - kernel.ravel(), b - bias[0]]).max())

# %%
# What the neuron learns
# ----------------------
# The neuron's decision boundary is the line :math:`w \cdot x + b = 0`, where
# :math:`\hat y = 0.5`. The delta rule turns and shifts it until it separates the classes.
fig, ax = plt.subplots(figsize=(6, 5))
ax.scatter(*x[y == 0].T, marker="o", c="tab:blue", label="class 0")
ax.scatter(*x[y == 1].T, marker="s", c="tab:orange", label="class 1")
xs = np.linspace(-3, 3, 2)
for (epoch, (we, be)), shade in zip(snapshots.items(), (0.25, 0.45, 0.7, 1.0)):
    ax.plot(xs, -(we[0] * xs + be) / we[1], color="black", alpha=shade, label=f"after {epoch} epochs")
ax.set(xlim=(-3, 3), ylim=(-3, 3), xlabel="x₁", ylabel="x₂", title="Decision boundary under the delta rule")
ax.legend(fontsize=8, loc="lower right")
fig.tight_layout()
