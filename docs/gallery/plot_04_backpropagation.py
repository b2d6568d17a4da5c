r"""
Backpropagation: the four equations, and a gradient check
=========================================================

Write :math:`\delta^l = \partial L/\partial z^l` for the error of layer :math:`l`'s
pre-activations (the book's notation; here rows are samples, so a batch of :math:`n` rows is
handled at once, and :math:`W^l` has shape (inputs, units)). Backpropagation is four equations:

.. math::

    \begin{aligned}
    \delta^L &= \nabla_a L \odot f'(z^L) && \text{(BP1: the output layer)}\\
    \delta^l &= \big(\delta^{l+1} (W^{l+1})^{\mathsf T}\big) \odot f'(z^l) && \text{(BP2: one layer down)}\\
    \partial L/\partial b^l &= \textstyle\sum_{\text{rows}} \delta^l && \text{(BP3)}\\
    \partial L/\partial W^l &= (a^{l-1})^{\mathsf T}\, \delta^l && \text{(BP4)}
    \end{aligned}

In layerwise each :class:`~layerwise.Dense` layer does its share: it receives
:math:`\partial L/\partial a` from the layer above, multiplies by :math:`f'(z)` (BP1 or BP2's
:math:`\odot f'` factor), fills its gradients (BP3, BP4) and hands
:math:`\delta W^{\mathsf T}` to the layer below (the rest of BP2). This is the real code,
included from the source so that it cannot drift from what runs:

.. literalinclude:: /../src/layerwise/core/layers.py
   :pyobject: Dense.backward

.. literalinclude:: /../src/layerwise/core/layers.py
   :pyobject: Dense.backward_from_z
"""

# %%
# The four equations by hand, against ``Dense.backward``
# ------------------------------------------------------
# A 4 → 5 → 3 sigmoid network with the book's quadratic cost, in float64. First the layers' own
# forward and backward passes:
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
dx = hidden.backward(output.backward(cost.grad(a2, y)))

# %%
# Then the same numbers from the equations, in plain NumPy:
W1, b1 = hidden.params["kernel"], hidden.params["bias"]
W2, b2 = output.params["kernel"], output.params["bias"]
sigma = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
z1 = x @ W1 + b1
h = sigma(z1)
z2 = h @ W2 + b2
out = sigma(z2)
delta2 = (out - y) / len(x) * out * (1 - out)          # BP1 (∇ₐL of the mean ½‖a − y‖²)
delta1 = (delta2 @ W2.T) * h * (1 - h)                 # BP2
by_hand = {"output bias": delta2.sum(axis=0),          # BP3
           "output kernel": h.T @ delta2,              # BP4
           "hidden bias": delta1.sum(axis=0),
           "hidden kernel": x.T @ delta1,
           "input": delta1 @ W1.T}
from_layers = {"output bias": output.grads["bias"], "output kernel": output.grads["kernel"],
               "hidden bias": hidden.grads["bias"], "hidden kernel": hidden.grads["kernel"], "input": dx}
for name, g in by_hand.items():
    print(f"{name:14s} largest difference {np.abs(g - from_layers[name]).max():.1e}")

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
