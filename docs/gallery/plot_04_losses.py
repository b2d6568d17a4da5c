r"""
Losses
======

A loss measures how far the network's output :math:`a` is from the target :math:`y`, averaged
over the :math:`n` samples of a batch. Training needs two things from it: its value, and its
gradient with respect to the output, :math:`\partial L/\partial a`, where backpropagation starts.
Every loss in :mod:`layerwise.losses` has ``value(a, y)`` and ``grad(a, y)``; the ones that pair
with an output activation also have ``grad_z(a, y)``, the gradient with respect to the output
layer's pre-activation :math:`z`, computed in one fused, numerically stable step.

Conventions differ between frameworks, so each class states its own. Two that matter:

.. math::

    \text{mse: } L = \frac{1}{nk}\sum_{x}\sum_{j}(a_j - y_j)^2, \qquad
    \text{quadratic (the book's): } L = \frac{1}{n}\sum_x \tfrac{1}{2}\lVert a - y\rVert^2 .
"""

# %%
# Regression losses
# -----------------
# The squared error punishes large errors quadratically; the absolute error linearly, with a
# gradient of constant size; Huber is quadratic near zero and linear beyond δ = 1, so outliers
# pull less. Values and gradients come from the loss objects themselves, one sample at a time.
import matplotlib.pyplot as plt
import numpy as np

import layerwise as lw

d = np.linspace(-3, 3, 301)
y = np.zeros((1, 1))
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.3))
for name in ("mse", "quadratic", "mae", "huber"):
    loss = lw.losses.get(name)
    values = [loss.value(np.array([[di]]), y) for di in d]
    grads = [loss.grad(np.array([[di]]), y)[0, 0] for di in d]
    ax1.plot(d, values, label=name)
    ax2.plot(d, grads, label=name)
ax1.set(xlabel="error a − y", ylabel="L", title="Value")
ax2.set(xlabel="error a − y", ylabel="∂L/∂a", title="Gradient")
for ax in (ax1, ax2):
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
fig.tight_layout()

# %%
# Cross-entropy and the learning slowdown
# ---------------------------------------
# For a sigmoid output :math:`a = \sigma(z)`, the quadratic cost gives
# :math:`\partial L/\partial z = (a - y)\,\sigma'(z)`: when the neuron is badly wrong and
# saturated, :math:`\sigma'(z)` is tiny and it learns slowly. Binary cross-entropy,
# :math:`L = -[y\ln a + (1-y)\ln(1-a)]`, cancels that factor: :math:`\partial L/\partial z = a - y`.
# Below, the quadratic gradient is ``QuadraticCost.grad`` passed through ``Sigmoid.backward``
# (the chain rule, as a Dense layer applies it); the cross-entropy one is the fused
# ``BinaryCrossentropy.grad_z``.
sigmoid = lw.activations.get("sigmoid")
zs = np.linspace(-6, 6, 241).reshape(-1, 1)
a = sigmoid.value(zs.copy())
target = np.zeros_like(a)  # the right answer is 0
quadratic_dz = sigmoid.backward(lw.QuadraticCost().grad(a, target) * len(a), a)
crossentropy_dz = lw.BinaryCrossentropy().grad_z(a, target) * len(a)

fig, ax = plt.subplots(figsize=(6.5, 3.3))
ax.plot(zs, quadratic_dz, label="quadratic: (a − y)·σ′(z)")
ax.plot(zs, crossentropy_dz, label="cross-entropy: a − y")
ax.set(xlabel="z (the target is y = 0)", ylabel="∂L/∂z per sample", title="How hard each loss pushes a wrong neuron")
ax.grid(alpha=0.3)
ax.legend()
fig.tight_layout()

# %%
# The same neuron trained both ways: one input x = 1, target 0, started badly wrong at
# w = b = 2 (the book's chapter 3 experiment). With the quadratic cost it hardly moves at first.
x, t = np.ones((1, 1)), np.zeros((1, 1))
fig, ax = plt.subplots(figsize=(6.5, 3.3))
for name in ("quadratic", "binary_crossentropy"):
    model = lw.Sequential([lw.Dense(1, "sigmoid")], input_shape=(1,), dtype="float64", seed=0)
    model.compile(lw.SGD(0.15), name)
    model.set_weights([np.array([[2.0]]), np.array([2.0])])
    outputs = []
    for _ in range(300):
        model.fit(x, t, epochs=1, batch_size=1, verbose=0)
        outputs.append(model.predict(x)[0, 0])
    ax.plot(outputs, label=name)
ax.set(xlabel="epoch", ylabel="output a (target 0)", title="One sigmoid neuron, η = 0.15")
ax.grid(alpha=0.3)
ax.legend()
fig.tight_layout()

# %%
# Classification losses for a softmax output
# -------------------------------------------
# Categorical cross-entropy :math:`-\sum_j y_j \ln a_j` and the book's log-likelihood
# :math:`-\ln a_y` agree on one-hot targets; label smoothing mixes the target with the uniform
# distribution, :math:`y \leftarrow (1-\varepsilon)y + \varepsilon/k`. Targets may be one-hot rows
# or integer labels. With a softmax output layer the gradient at :math:`z` is fused to
# :math:`(a - y)/n`, which never divides by a probability.
probs = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8], [0.3, 0.4, 0.3]])
labels = np.array([0, 2, 0])
rows = [
    ("categorical_crossentropy", lw.CategoricalCrossentropy()),
    ("log_likelihood", lw.LogLikelihood()),
    ("categorical_crossentropy, label_smoothing=0.1", lw.CategoricalCrossentropy(label_smoothing=0.1)),
]
for label, loss in rows:
    print(f"{label:47s} L = {loss.value(probs, labels):.4f}")
print("fused gradient at z, (a − y)/n:\n", np.round(lw.CategoricalCrossentropy().grad_z(probs, labels), 4))

# %%
# When none of these fits the problem, write your own: the
# :ref:`next chapter <sphx_glr_auto_examples_plot_05_custom_loss.py>` builds a loss from the cost
# of a wrong answer.
#
# Exercises
# ---------
# 1. Derive :math:`\partial L/\partial z = a - y` for a sigmoid output with binary cross-entropy.
#    Where does :math:`\sigma'(z)` cancel?
# 2. In the one-neuron experiment, start at :math:`w = b = 0.6` instead of 2. Does the quadratic
#    cost still learn slowly? Why not?
# 3. Compute by hand the cross-entropy of the output ``[0.7, 0.2, 0.1]`` for the label 0, and check
#    it against ``lw.CategoricalCrossentropy().value``.
# 4. Huber with δ = 1 against the squared error: for which errors do their gradients agree?
