r"""
Activation functions, layers and parameters
===========================================

The neuron of the last chapter computed a weighted sum and passed it through an
activation function :math:`f`:

.. math::

    z = \sum_i w_i x_i + b, \qquad a = f(z).

Why not leave :math:`f` out? Because a stack of neurons *without* activations is no better than
one: a weighted sum of weighted sums is again a weighted sum, so any number of linear layers
collapses into a single one and can only ever draw straight boundaries. The activation bends
the sum, and a network of bent pieces can approximate any continuous function. The choice of
bend matters for how well the network *trains*, which is what this chapter looks at.

A :class:`~layerwise.Dense` layer is many neurons side by side, applied to a batch of rows at
once: :math:`Z = XW + b`, :math:`A = f(Z)`, with :math:`X` of shape (samples, inputs) and
:math:`W` of shape (inputs, units). Backpropagation needs :math:`f'(z)` too, so every
activation in :mod:`layerwise.activations` has a ``value`` and a ``backward``:
``backward(dy, a)`` returns :math:`dy \odot f'(z)`. Passing ``dy = 1`` gives the derivative
itself, which is how the curves below are drawn: from layerwise's own classes, not from
formulas typed into this page.
"""

# %%
# One neuron, two inputs
# ----------------------
# With two inputs a neuron is a surface over the plane. The weights set the direction in which it
# rises, the bias shifts where; the activation decides the shape of the rise.
import matplotlib.pyplot as plt
import numpy as np

import layerwise as lw

w, b = np.array([1.5, -1.0]), 0.5
x1, x2 = np.meshgrid(np.linspace(-3, 3, 121), np.linspace(-3, 3, 121))
z = w[0] * x1 + w[1] * x2 + b

fig, axes = plt.subplots(1, 3, figsize=(10, 3.2))
for ax, name in zip(axes, ("sigmoid", "tanh", "relu")):
    a = lw.activations.get(name).value(z.copy())
    im = ax.contourf(x1, x2, a, levels=20, cmap="viridis")
    ax.set(title=f"a = {name}(1.5·x₁ − x₂ + 0.5)", xlabel="x₁", ylabel="x₂", aspect="equal")
    fig.colorbar(im, ax=ax, shrink=0.8)
fig.tight_layout()

# %%
# Every element-wise activation and its derivative
# ------------------------------------------------
# ``lw.activations.get(name)`` turns a name into an object. Some derivatives can be written from
# the output alone (σ' = a(1 − a)); GELU and Swish need the input too (``needs_input``), and
# layerwise then keeps ``z`` for the backward pass.
names = ["linear", "sigmoid", "tanh", "hard_sigmoid", "relu", "leaky_relu", "elu", "selu",
         "softplus", "swish", "gelu", "gelu_tanh"]
zs = np.linspace(-4, 4, 401)

fig, axes = plt.subplots(3, 4, figsize=(10, 7), sharex=True)
for ax, name in zip(axes.flat, names):
    f = lw.activations.get(name)
    a = f.value(zs.copy())
    ones = np.ones_like(zs)
    slope = f.backward(ones, a, z=zs) if f.needs_input else f.backward(ones, a)
    ax.plot(zs, a, label="f(z)")
    ax.plot(zs, slope, "--", label="f′(z)")
    ax.axhline(0, color="gray", lw=0.5)
    ax.axvline(0, color="gray", lw=0.5)
    ax.set_title(name, fontsize=10)
    ax.set_ylim(-2, 3)
    ax.grid(alpha=0.3)
axes[0, 0].legend(loc="upper left", fontsize=8)
fig.suptitle("Activations (solid) and their derivatives (dashed), from layerwise.activations")
fig.tight_layout()

# %%
# The formulas, as each class's docstring states them:
import textwrap  # noqa: E402

for name in names + ["softmax"]:
    first_paragraph = " ".join(lw.activations.get(name).__doc__.strip().split("\n\n")[0].split())
    print(textwrap.fill(first_paragraph, 96, initial_indent=f"{name:13s} ", subsequent_indent=" " * 14))

# %%
# Saturation
# ----------
# Sigmoid and tanh flatten out for large :math:`|z|`, and their derivative goes to zero there:
# a saturated unit passes almost no gradient back. With the book's N(0, 1) initialisation and 64
# inputs, many pre-activations of a sigmoid layer land in that flat region. ReLU's derivative is
# exactly 0 or 1: no saturation for positive inputs, but a unit whose input is always negative
# never learns again (a "dying ReLU"); LeakyReLU (α = 0.01) and ELU (α = 1) keep a small slope.
rng = np.random.default_rng(0)
x = lw.datasets.load("digits").x_train[:500]
fig, ax = plt.subplots(figsize=(7, 3.2))
for scale, label in ((1.0, "N(0, 1) weights"), (1 / np.sqrt(64), "N(0, 1/64) weights (the book's 1/√n)")):
    zz = x @ rng.normal(0, scale, size=(64, 100))
    a = lw.activations.get("sigmoid").value(zz)
    saturated = np.mean((a < 0.01) | (a > 0.99))
    ax.hist(a.ravel(), bins=np.linspace(0, 1, 51), alpha=0.6, density=True,   # the same bins for both
            label=f"{label}: {saturated:.0%} saturated")
ax.set(xlabel="sigmoid output a", ylabel="density", title="Sigmoid outputs of 100 units on 500 digits")
ax.legend(fontsize=8)
fig.tight_layout()

# %%
# Softmax
# -------
# Softmax is not element-wise: each output depends on the whole row,
# :math:`a_i = e^{z_i} / \sum_j e^{z_j}`, and its backward pass is a Jacobian–vector product,
# :math:`\partial L/\partial z = a \odot (g - \langle g, a\rangle)` with :math:`g = \partial L/\partial a`.
# Paired with cross-entropy the two fuse into :math:`a - y` (see the losses chapter).
softmax = lw.activations.get("softmax")
z_row = np.array([[2.0, 1.0, 0.1]])
a_row = softmax.value(z_row.copy())
print("softmax([2, 1, 0.1]) =", np.round(a_row, 4), " sum =", a_row.sum())

# %%
# From neurons to a network: counting layers and parameters
# ---------------------------------------------------------
# The notes count a network's layers without the input (which computes nothing): a network
# with two hidden layers and an output layer has **three** layers. Every Dense layer with
# :math:`n_\text{in}` inputs and :math:`n_\text{out}` units learns
# :math:`n_\text{in} n_\text{out}` weights and :math:`n_\text{out}` biases, so a network
# of sizes :math:`n_0, n_1, \dots, n_L` has
#
# .. math::
#
#     \sum_{l=1}^{L} \big(n_{l-1}\, n_l + n_l\big) \text{ parameters.}
#
# ``summary()`` prints the count of each layer, and ``count_params()`` the total:
model = lw.Sequential([lw.Dense(30, "sigmoid"), lw.Dense(20, "relu"), lw.Dense(10, "softmax")], seed=0)
model.build((64,))
model.summary()
sizes = [64, 30, 20, 10]
by_formula = sum(n_in * n_out + n_out for n_in, n_out in zip(sizes, sizes[1:]))
print("by the formula:", by_formula, "  count_params():", model.count_params())

# %%
# Exercises
# ---------
# 1. Show that two linear layers, :math:`(XW_1 + b_1)W_2 + b_2`, are one linear layer: write its
#    weight matrix and bias.
# 2. From the figure of derivatives: what is the largest value :math:`\sigma'(z)` ever takes? What
#    does that mean for a gradient passing back through ten sigmoid layers?
# 3. Count the parameters of the book's network ``[784, 30, 10]`` and of ``[784, 256, 128, 10]``
#    (the network of the :ref:`last chapter <sphx_glr_auto_examples_plot_19_fashion_mnist.py>`),
#    then check with ``count_params()``.
# 4. Redraw the saturation histogram with tanh instead of sigmoid. Which initial scale saturates it?
