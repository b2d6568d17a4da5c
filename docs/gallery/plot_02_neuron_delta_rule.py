r"""
One neuron and the delta rule
=============================

Everything in this guide is built from one small piece. A *neuron* takes numbers
:math:`x_1, \dots, x_n`, weighs each one, adds a *bias* and passes the sum through an
*activation function* :math:`f`:

.. math::

    h = \sum_i w_i x_i + b, \qquad \hat y = f(h).

The weights :math:`w_i` say how much each input counts, and the bias :math:`b` shifts the point at
which the neuron "fires". Training means finding the weights and bias that make :math:`\hat y`
close to the right answer :math:`y` on examples whose answers we know. This chapter trains a
single neuron by hand, in ten lines of NumPy, and then checks that layerwise does exactly the
same arithmetic.

Gradient descent
----------------
Measure how wrong the neuron is on one example with the squared error
:math:`E = \tfrac12 (y - \hat y)^2`. :math:`E` is a function of the weights, and the gradient
:math:`\partial E/\partial w_i` says how :math:`E` changes when :math:`w_i` is nudged. Stepping
every weight a little way *against* its gradient lowers :math:`E`:

.. math::

    w_i \leftarrow w_i - \eta\, \frac{\partial E}{\partial w_i},

where the *learning rate* :math:`\eta` sets the size of the step. For a sigmoid neuron,
:math:`\hat y = \sigma(h)` with :math:`\sigma(h) = 1/(1 + e^{-h})`, the chain rule gives the
gradient in three factors, one per link from :math:`w_i` to :math:`E`:

.. math::

    \frac{\partial E}{\partial w_i}
    = \underbrace{\frac{\partial E}{\partial \hat y}}_{-(y - \hat y)}\;
      \underbrace{\frac{\partial \hat y}{\partial h}}_{\sigma'(h)}\;
      \underbrace{\frac{\partial h}{\partial w_i}}_{x_i}
    = -(y - \hat y)\,\sigma'(h)\,x_i,
    \qquad \sigma'(h) = \sigma(h)\,\big(1 - \sigma(h)\big).

Name the first two factors the neuron's *error term*, :math:`\delta = (y - \hat y)\,\sigma'(h)`,
and the update becomes the **delta rule**:

.. math::

    \Delta w_i = \eta\, \delta\, x_i, \qquad \Delta b = \eta\, \delta .

Each weight moves in proportion to the error and to its own input: an input that was zero
had no part in the mistake and is left alone.
"""

# %%
# The rule, by hand
# -----------------
# Eighty points in the plane, two classes. One neuron with two inputs (and so three numbers to
# learn: :math:`w_1, w_2, b`) is trained by the delta rule, one example at a time: this is
# *online* (or *stochastic*) learning.
import matplotlib.pyplot as plt
import numpy as np

import layerwise as lw

rng = np.random.default_rng(1)
x = np.vstack([rng.normal([-1, -1], 0.7, (40, 2)), rng.normal([1.2, 1.0], 0.7, (40, 2))])
y = np.repeat([0.0, 1.0], 40)


def sigmoid(h):
    return 1 / (1 + np.exp(-h))


def online_epoch(x, y, w, b, eta):
    """One pass over the data, updating after every example: w += η·δ·x."""
    for xi, yi in zip(x, y):
        y_hat = sigmoid(xi @ w + b)
        delta = (yi - y_hat) * y_hat * (1 - y_hat)      # the error term
        w = w + eta * delta * xi
        b = b + eta * delta
    return w, b


def batch_epoch(x, y, w, b, eta):
    """One pass over the data, summing the changes and applying their mean once."""
    y_hat = sigmoid(x @ w + b)
    delta = (y - y_hat) * y_hat * (1 - y_hat)
    return w + eta * (delta @ x) / len(x), b + eta * delta.mean()


def error(w, b):
    return np.mean(0.5 * (y - sigmoid(x @ w + b)) ** 2)


w0, b0, eta = np.array([0.5, -0.8]), 0.0, 0.5
w, b = w0, b0
snapshots = {0: (w, b)}
online_errors = [error(w, b)]
for epoch in range(1, 31):
    w, b = online_epoch(x, y, w, b, eta)
    online_errors.append(error(w, b))
    if epoch in (1, 3, 30):
        snapshots[epoch] = (w, b)
print(f"after 30 epochs: w = {np.round(w, 4)}, b = {b:.4f}, mean squared error {online_errors[-1]:.4f}")

# %%
# What the neuron learns
# ----------------------
# The neuron answers :math:`\hat y > 0.5` exactly when :math:`h = w \cdot x + b > 0`, so its
# *decision boundary* is the straight line :math:`w_1 x_1 + w_2 x_2 + b = 0`. The delta rule turns
# and shifts that line until it separates the classes. One neuron can only ever draw a straight
# line; the next chapters stack neurons to draw more.
fig, ax = plt.subplots(figsize=(6, 5))
ax.scatter(*x[y == 0].T, marker="o", c="tab:blue", label="class 0")
ax.scatter(*x[y == 1].T, marker="s", c="tab:orange", label="class 1")
xs = np.linspace(-3, 3, 2)
for (epoch, (we, be)), shade in zip(snapshots.items(), (0.25, 0.45, 0.7, 1.0)):
    ax.plot(xs, -(we[0] * xs + be) / we[1], color="black", alpha=shade, label=f"after {epoch} epochs")
ax.set(xlim=(-3, 3), ylim=(-3, 3), xlabel="x₁", ylabel="x₂", title="Decision boundary under the delta rule")
ax.legend(fontsize=9, loc="lower right")
fig.tight_layout()

# %%
# The same neuron in layerwise
# ----------------------------
# In layerwise a neuron is a :class:`~layerwise.Dense` layer with one unit. With the quadratic
# cost :math:`\tfrac12\lVert \hat y - y\rVert^2`, plain :class:`~layerwise.SGD`, one example per
# batch and no shuffling, :meth:`~layerwise.Sequential.fit` does the arithmetic above, step for
# step, in float64:
model = lw.Sequential([lw.Dense(1, "sigmoid")], input_shape=(2,), dtype="float64", seed=0)
model.compile(lw.SGD(eta), "quadratic")
model.set_weights([w0.reshape(2, 1), np.array([b0])])
model.fit(x, y, batch_size=1, epochs=30, shuffle=False, verbose=0)
kernel, bias = model.get_weights()
print("by hand:   w =", np.round(w, 8), " b =", round(b, 8))
print("layerwise: w =", np.round(kernel.ravel(), 8), " b =", round(bias[0], 8))
print("largest difference:", np.abs(np.r_[w - kernel.ravel(), b - bias[0]]).max())

# %%
# Online or batch
# ---------------
# The notes give two ways to use the data. *Online*: update after every example, as above.
# *Batch*: compute :math:`\delta x` for every example with the weights held fixed, add them up
# and make one step with their mean, once per pass. Batch learning follows the exact gradient of
# the mean error, but takes one step per epoch where online learning takes eighty. In layerwise
# the difference is only ``batch_size``: the loss is a mean over the batch, so a batch of all 80
# examples is the batch rule.
w, b = w0, b0
batch_errors = [error(w, b)]
for _ in range(30):
    w, b = batch_epoch(x, y, w, b, eta)
    batch_errors.append(error(w, b))

model = lw.Sequential([lw.Dense(1, "sigmoid")], input_shape=(2,), dtype="float64", seed=0)
model.compile(lw.SGD(eta), "quadratic")
model.set_weights([w0.reshape(2, 1), np.array([b0])])
model.fit(x, y, batch_size=len(x), epochs=30, shuffle=False, verbose=0)
print("batch rule by hand and layerwise with batch_size=80 differ by at most",
      np.abs(np.r_[w, b] - np.r_[model.get_weights()[0].ravel(), model.get_weights()[1]]).max())

fig, ax = plt.subplots(figsize=(6.5, 3.4))
ax.plot(online_errors, "o-", ms=3, label="online: 80 updates per epoch")
ax.plot(batch_errors, "s-", ms=3, label="batch: 1 update per epoch")
ax.set(xlabel="epoch", ylabel="mean squared error E", yscale="log", title="The same rule, two ways, η = 0.5")
ax.grid(alpha=0.3, which="both")
ax.legend()
fig.tight_layout()

# %%
# The gap is mostly the number of steps: the batch rule would need a much larger :math:`\eta` to
# keep up. Between the two lies the *mini-batch*, a few dozen examples per step, which is what
# every later chapter uses; :ref:`its own chapter <sphx_glr_auto_examples_plot_16_batch_size.py>`
# measures the trade-off. The delta rule is also the one-layer case of backpropagation: the
# :ref:`backpropagation chapter <sphx_glr_auto_examples_plot_06_backpropagation.py>` derives the
# same :math:`\delta` for every layer of a deeper network. (``examples/single_neuron_delta_rule.py``,
# in the :ref:`scripts gallery <sphx_glr_auto_examples_scripts_plot_example_single_neuron.py>`,
# runs the notes' own version of this program.)
#
# Exercises
# ---------
# 1. Derive the delta rule for a *linear* neuron, :math:`\hat y = h`. Which factor disappears?
# 2. Change :math:`\eta` to 0.05 and to 20 in the online rule. What happens to the error curve
#    in each case, and why?
# 3. Start from :math:`w = (5, -5)`, :math:`b = 0`. The first updates are tiny: compute
#    :math:`\sigma'(h)` for a few points to see why. (The losses chapter returns to this.)
# 4. How many numbers does a neuron with 784 inputs learn? A layer of 100 such neurons?
# 5. Move one class so that the two overlap heavily. Can one neuron still separate them? What does
#    the error settle to?
