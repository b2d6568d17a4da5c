r"""
Backpropagation, derived
========================

The delta rule trained one neuron: the error of its output, times :math:`\sigma'`, times the
input. A network has neurons whose outputs nobody grades: the *hidden* units. How much is a
hidden weight to blame for the loss? Backpropagation answers with the chain rule, applied
layer by layer from the output back to the input, and it costs about as much as one forward pass.

Notation
--------
layerwise stores a batch as **rows**: :math:`n` samples, one per row. For layer :math:`l` with
weights :math:`W^l` of shape (inputs, units) and biases :math:`b^l`,

.. math::

    z^l = a^{l-1} W^l + b^l, \qquad a^l = f(z^l), \qquad a^0 = x,

and the loss :math:`L` depends on the output :math:`a^L`. Following Nielsen, call
:math:`\delta^l = \partial L/\partial z^l` the *error* of layer :math:`l`: how much the loss
would change if the weighted input of each unit were nudged. It has the shape of :math:`z^l`,
one row per sample, one column per unit. Every gradient we need follows from the
:math:`\delta`'s.

Four equations, from the chain rule
-----------------------------------
**BP1, the output layer.** :math:`a^L_j = f(z^L_j)` depends on :math:`z^L_j` alone, so

.. math::

    \delta^L_j = \frac{\partial L}{\partial a^L_j}\,\frac{\partial a^L_j}{\partial z^L_j}
    = \frac{\partial L}{\partial a^L_j}\, f'(z^L_j),
    \qquad \delta^L = \nabla_{a} L \odot f'(z^L).

This is the delta rule's error term, for every output unit at once.

**BP2, one layer down.** A hidden unit :math:`j` of layer :math:`l` reaches the loss only through
the weighted inputs :math:`z^{l+1}_k = \sum_j a^l_j W^{l+1}_{jk} + b^{l+1}_k` of *every* unit
:math:`k` of the next layer. The chain rule sums over those paths:

.. math::

    \delta^l_j = \sum_k \frac{\partial L}{\partial z^{l+1}_k}\,
                 \frac{\partial z^{l+1}_k}{\partial a^l_j}\,
                 \frac{\partial a^l_j}{\partial z^l_j}
               = \Big(\sum_k \delta^{l+1}_k\, W^{l+1}_{jk}\Big)\, f'(z^l_j),
    \qquad \delta^l = \big(\delta^{l+1} (W^{l+1})^{\mathsf T}\big) \odot f'(z^l).

Each unit collects the errors of the units it feeds, weighted by the same weights that carried
its signal forward, and scales the sum by its own slope :math:`f'`. Starting from BP1 and applying
BP2 again and again gives every layer's :math:`\delta`: the errors flow *backwards*.

**BP3 and BP4, the parameters.** :math:`b^l_j` enters :math:`z^l_j` with coefficient 1 and
:math:`W^l_{ij}` with coefficient :math:`a^{l-1}_i`, in every row of the batch, so

.. math::

    \frac{\partial L}{\partial b^l} = \sum_{\text{rows}} \delta^l, \qquad
    \frac{\partial L}{\partial W^l} = (a^{l-1})^{\mathsf T}\, \delta^l .

A weight's gradient is the activation at its input end times the error at its output end, which
is the delta rule's :math:`\delta\,x_i` again. The backward pass is two matrix products per
layer (BP2 and BP4), as many as the forward pass; estimating the same gradients by nudging each
weight in turn would take one forward pass per weight, 235,146 of them for the network of the
:ref:`last chapter <sphx_glr_auto_examples_plot_19_fashion_mnist.py>`.

The book's column form beside the row form
------------------------------------------
Nielsen's book (and the notes that follow it) stores one sample as a **column** and the weights
of layer :math:`l` as :math:`w^l` of shape (units, inputs), so :math:`w^l = (W^l)^{\mathsf T}`.
Transposing each equation turns one form into the other:

.. list-table::
   :header-rows: 1
   :widths: 16 42 42

   * -
     - the book: one sample, a column
     - layerwise: a batch, one row per sample
   * - forward
     - :math:`z^l = w^l a^{l-1} + b^l`
     - :math:`z^l = a^{l-1} W^l + b^l`
   * - BP1
     - :math:`\delta^L = \nabla_a C \odot \sigma'(z^L)`
     - :math:`\delta^L = \nabla_a L \odot f'(z^L)`, row by row
   * - BP2
     - :math:`\delta^l = \big((w^{l+1})^{\mathsf T} \delta^{l+1}\big) \odot \sigma'(z^l)`
     - :math:`\delta^l = \big(\delta^{l+1} (W^{l+1})^{\mathsf T}\big) \odot f'(z^l)`
   * - BP3
     - :math:`\partial C/\partial b^l = \delta^l`
     - :math:`\partial L/\partial b^l = \sum_\text{rows} \delta^l`
   * - BP4
     - :math:`\partial C/\partial w^l = \delta^l (a^{l-1})^{\mathsf T}`
     - :math:`\partial L/\partial W^l = (a^{l-1})^{\mathsf T} \delta^l`

The book loops over the samples of a mini-batch and adds up their gradients; the row form does
the whole batch in one matrix product, which is where the speed of a modern library comes from.
In layerwise each :class:`~layerwise.Dense` layer does its share: it receives
:math:`\partial L/\partial a` from the layer above, multiplies by :math:`f'(z)` (BP1, or BP2's
:math:`\odot f'`), fills its gradients (BP3, BP4) and hands :math:`\delta W^{\mathsf T}` to the
layer below (the rest of BP2). This is its code, included from the source so that it cannot
drift from what runs:

.. literalinclude:: /../src/layerwise/core/layers.py
   :pyobject: Dense.backward

.. literalinclude:: /../src/layerwise/core/layers.py
   :pyobject: Dense.backward_from_z
"""

# %%
# The four equations by hand, both ways, against ``Dense.backward``
# -----------------------------------------------------------------
# A 4 → 5 → 3 sigmoid network with the book's quadratic cost, in float64, on a batch of 6
# samples. First the layers' own forward and backward passes:
import matplotlib.pyplot as plt
import numpy as np

import layerwise as lw

rng = np.random.default_rng(0)
x = rng.normal(size=(6, 4))
y = rng.random(size=(6, 3))

hidden, output = lw.Dense(5, "sigmoid"), lw.Dense(3, "sigmoid")
hidden.build((4,), rng, dtype=np.float64)
output.build((5,), rng, dtype=np.float64)
cost = lw.QuadraticCost()

a1 = hidden.forward(x, training=True)
a2 = output.forward(a1, training=True)
dx = hidden.backward(output.backward(cost.grad(a2, y))).copy()
from_layers = {"output bias": output.grads["bias"], "output kernel": output.grads["kernel"],
               "hidden bias": hidden.grads["bias"], "hidden kernel": hidden.grads["kernel"], "input": dx}

# %%
# Then the row form, the whole batch at once, in plain NumPy. layerwise's quadratic cost is the
# mean over the batch of :math:`\tfrac12\lVert a - y\rVert^2`, so :math:`\nabla_a L = (a - y)/n`:
W1, b1 = hidden.params["kernel"], hidden.params["bias"]
W2, b2 = output.params["kernel"], output.params["bias"]
sigma = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
z1 = x @ W1 + b1
h = sigma(z1)
z2 = h @ W2 + b2
out = sigma(z2)
delta2 = (out - y) / len(x) * out * (1 - out)          # BP1
delta1 = (delta2 @ W2.T) * h * (1 - h)                 # BP2
rows = {"output bias": delta2.sum(axis=0),             # BP3
        "output kernel": h.T @ delta2,                 # BP4
        "hidden bias": delta1.sum(axis=0),
        "hidden kernel": x.T @ delta1,
        "input": delta1 @ W1.T}

# %%
# And the book's column form: one sample at a time, as a column, with :math:`w^l = (W^l)^{\mathsf T}`,
# adding up the samples' gradients (the book's ``update_mini_batch``), then transposed back to
# compare:
w1, w2 = W1.T, W2.T                      # the book's (units, inputs) weights
cb1, cb2 = b1.reshape(-1, 1), b2.reshape(-1, 1)
nabla = {"output bias": 0, "output kernel": 0, "hidden bias": 0, "hidden kernel": 0}
inputs = []
for xc, yc in zip(x, y):
    xc, yc = xc.reshape(-1, 1), yc.reshape(-1, 1)     # columns
    a_1 = sigma(w1 @ xc + cb1)
    a_2 = sigma(w2 @ a_1 + cb2)
    d2 = (a_2 - yc) / len(x) * a_2 * (1 - a_2)         # BP1
    d1 = (w2.T @ d2) * a_1 * (1 - a_1)                 # BP2: (w^{l+1})^T δ^{l+1} ⊙ σ'(z^l)
    nabla["output bias"] += d2                         # BP3
    nabla["output kernel"] += d2 @ a_1.T               # BP4: δ^l (a^{l-1})^T
    nabla["hidden bias"] += d1
    nabla["hidden kernel"] += d1 @ xc.T
    inputs.append((w1.T @ d1).ravel())
columns = {"output bias": nabla["output bias"].ravel(), "output kernel": nabla["output kernel"].T,
           "hidden bias": nabla["hidden bias"].ravel(), "hidden kernel": nabla["hidden kernel"].T,
           "input": np.array(inputs)}
print(f"{'':14s} {'rows vs Dense.backward':>24s} {'columns vs Dense.backward':>27s}")
for name in rows:
    print(f"{name:14s} {np.abs(rows[name] - from_layers[name]).max():24.1e} "
          f"{np.abs(columns[name] - from_layers[name]).max():27.1e}")

# %%
# The errors flowing back
# -----------------------
# One sample through the same network. On the left, the forward pass: each unit's activation
# :math:`a`. On the right, the backward pass: each unit's :math:`\delta`, read from the layers'
# own bias gradients (for a batch of one, BP3 says :math:`\partial L/\partial b = \delta`). Each
# line on the right is one term :math:`\delta^{l+1}_k W^{l+1}_{jk}` of BP2's sum, drawn thicker
# the larger it is, red when it is positive and blue when negative; a hidden unit's :math:`\delta` is the sum of the lines reaching it, times its
# :math:`\sigma'(z)`. The input column shows :math:`\partial L/\partial x`, which layerwise hands
# on when the layer below needs it.
x1, y1 = x[:1], y[:1]
a1 = hidden.forward(x1, training=True).copy()
a2 = output.forward(a1, training=True).copy()
g_input = hidden.backward(output.backward(cost.grad(a2, y1))).copy()
deltas = [g_input.ravel(), hidden.grads["bias"].copy(), output.grads["bias"].copy()]
activations = [x1.ravel(), a1.ravel(), a2.ravel()]
weights = [W1, W2]
sizes = [4, 5, 3]


def positions(n, col):
    return [(col, (n - 1) / 2 - i) for i in range(n)]


fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4.6))
for ax, values, title, cmap in ((ax1, activations, "Forward: activations a flow to the right", "viridis"),
                                (ax2, deltas, "Backward: errors δ flow to the left", "coolwarm")):
    layout = [positions(n, 2.2 * col) for col, n in enumerate(sizes)]
    scale = max(np.abs(v).max() for v in values[1:]) if ax is ax2 else 1.0
    for l in range(2):
        for j, (xa, ya) in enumerate(layout[l]):
            for k, (xb, yb) in enumerate(layout[l + 1]):
                if ax is ax2:      # the terms δ^{l+1}_k W_jk of BP2, arrows pointing back
                    term = deltas[l + 1][k] * weights[l][j, k]
                    lw_ = 0.3 + 6 * abs(term) / (np.abs(deltas[l + 1][:, None] * weights[l].T).max())
                    ax.annotate("", xy=(xa + 0.25, ya), xytext=(xb - 0.25, yb),
                                arrowprops=dict(arrowstyle="->", lw=lw_, color="tab:red" if term > 0 else "tab:blue",
                                                alpha=0.6, shrinkA=0, shrinkB=0))
                else:
                    ax.plot([xa, xb], [ya, yb], color="gray", lw=0.4 + 2 * abs(weights[l][j, k]) / np.abs(weights[l]).max(),
                            alpha=0.5)
    for col, (layer_pos, v) in enumerate(zip(layout, values)):
        for (px, py), value in zip(layer_pos, v):
            color = plt.get_cmap(cmap)(0.5 + 0.5 * value / scale if ax is ax2 else value if col else 0.5)
            ax.add_patch(plt.Circle((px, py), 0.25, color=color, ec="black", zorder=3))
            ax.text(px, py - 0.42, f"{value:+.3f}" if ax is ax2 else f"{value:.2f}", ha="center", fontsize=8)
    for col, label in enumerate(("input x", "hidden (5 sigmoid)", "output (3 sigmoid)")):
        ax.text(2.2 * col, 3.0, label, ha="center", fontsize=9)
    ax.set_title(title, fontsize=10)
    ax.set(xlim=(-0.8, 5.2), ylim=(-3.0, 3.3), aspect="equal")
    ax.axis("off")
ax2.text(4.4, -2.85, "BP1 here", ha="center", fontsize=9, color="tab:purple")
ax2.text(2.2, -2.85, "BP2 here", ha="center", fontsize=9, color="tab:purple")
ax2.text(0.0, -2.85, "∂L/∂x", ha="center", fontsize=9, color="tab:purple")
fig.tight_layout()
print("δ of the output layer (BP1):", np.round(deltas[2], 4))
print("δ of the hidden layer (BP2):", np.round(deltas[1], 4))
print("the same δ's from the equations:", np.round(((a2 - y1) * a2 * (1 - a2)).ravel(), 4),
      np.round(((((a2 - y1) * a2 * (1 - a2)) @ W2.T) * a1 * (1 - a1)).ravel(), 4))

# %%
# Checking a gradient against finite differences
# ----------------------------------------------
# A backward pass can be wrong in ways that still train, slowly. :func:`layerwise.gradcheck`
# compares it with central differences in float64,
#
# .. math::
#
#     \frac{\partial f}{\partial \theta_i} \approx
#     \frac{f(\theta + \varepsilon e_i) - f(\theta - \varepsilon e_i)}{2\varepsilon},
#     \qquad \varepsilon = 10^{-6},
#
# and reports the relative error :math:`\lVert g - \hat g\rVert / \max(\lVert g\rVert + \lVert\hat g\rVert, 10^{-3})`
# for every parameter and for the input. It takes a layer, a loss, an activation or a whole
# float64 model. Here it runs over every layer type, every activation in a Dense layer and
# every loss:
x = rng.normal(size=(8, 6))
results = {}
for name in ["linear", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "selu", "softplus",
             "swish", "gelu", "gelu_tanh", "softmax"]:
    results[f"Dense({name})"] = lw.gradcheck(lw.Dense(4, name), x)
results["Dense + L2 + L1"] = lw.gradcheck(lw.Dense(4, "tanh", kernel_regularizer=lw.L1L2(1e-2, 1e-2)), x)
results["BatchNorm"] = lw.gradcheck(lw.BatchNorm(), x)
results["Dropout(0.3)"] = lw.gradcheck(lw.Dropout(0.3), x)
probs = lw.activations.get("softmax").value(rng.normal(size=(8, 4)))
onehot = np.eye(4)[rng.integers(0, 4, 8)]
for name in ["categorical_crossentropy", "log_likelihood", "mse", "quadratic", "huber"]:
    results[name] = lw.gradcheck(lw.losses.get(name), probs, onehot)
results["binary_crossentropy"] = lw.gradcheck(lw.BinaryCrossentropy(), rng.uniform(0.05, 0.95, (8, 3)),
                                              rng.integers(0, 2, (8, 3)).astype(float))

model = lw.Sequential([lw.Dense(7, "tanh"), lw.BatchNorm(), lw.Dense(3, "softmax")],
                      input_shape=(6,), dtype="float64", seed=0)
model.compile("sgd", "categorical_crossentropy")
results["a whole model"] = lw.gradcheck(model, x, rng.integers(0, 3, 8))

for name, r in results.items():
    print(f"{name:26s} {'passed' if r.passed else 'FAILED'}  largest relative error {r.max_error:.1e}")

fig, ax = plt.subplots(figsize=(8, 4.5))
names = list(results)
ax.barh(names, [max(r.max_error, 1e-16) for r in results.values()], color="tab:blue")
ax.axvline(results["a whole model"].tolerance, color="red", ls="--", label="tolerance")
ax.set_xscale("log")
ax.invert_yaxis()
ax.set(xlabel="largest relative error (backprop vs central differences)", title="Every gradient, checked")
ax.legend()
ax.tick_params(axis="y", labelsize=8)
fig.tight_layout()

# %%
# Exercises
# ---------
# 1. Derive BP1 for a softmax output with the cross-entropy loss and show that
#    :math:`\delta^L = (a^L - y)/n` (the fused gradient of the losses chapter).
# 2. Write BP2 for a network whose hidden layers use ReLU. What does :math:`f'` do to the errors
#    of units that were inactive for this sample?
# 3. Add a third layer to the by-hand code and check your :math:`\delta^1` against the layers'.
# 4. Count the multiplications of one forward and one backward pass of ``[784, 256, 128, 10]`` on a
#    batch of 128. How do they compare?
# 5. Break ``delta1`` on purpose (leave out the :math:`\odot\,\sigma'` factor) and see what
#    ``gradcheck`` reports.
