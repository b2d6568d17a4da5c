r"""
Initialisation, and vanishing gradients
=======================================

Before training starts, every weight is drawn at random. The scale matters: each layer
multiplies its input by :math:`W`, and its backward pass multiplies the gradient by
:math:`W^{\mathsf T}` and by :math:`f'(z)`. If a layer scales the signal by a factor a little off
1, ten layers scale it by that factor to the tenth power: the activations explode or die out on
the way up, and the gradients on the way down (*vanishing* or *exploding* gradients).

With :math:`n_\text{in}` inputs per unit, the variance of :math:`z = \sum_i w_i x_i` is
:math:`n_\text{in}\operatorname{Var}(w)\operatorname{Var}(x)`. The notes' initialisers choose
:math:`\operatorname{Var}(w)` to keep it steady:

=========================  ===========================================  ===============================
name in layerwise          :math:`W \sim`                               meant for
=========================  ===========================================  ===============================
``large`` / ``normal``     :math:`N(0, 1)`                              (the book's first network)
``default``                :math:`N(0, 1/n_\text{in})`                  the book's improved start
``glorot_normal``          :math:`N(0, 2/(n_\text{in}+n_\text{out}))`   sigmoid, tanh (Xavier)
``he_normal``              :math:`N(0, 2/n_\text{in})`                  ReLU family (He)
=========================  ===========================================  ===============================

(Glorot's and He's uniform variants draw from a uniform distribution of the same variance.
When :math:`n_\text{in} = n_\text{out}`, Xavier's and the book's 1/√n coincide.)
"""

# %%
# Activations and gradients, layer by layer, at initialisation
# ------------------------------------------------------------
# A 10-layer network of 100 units on 256 digits: one forward pass and one backward pass of the
# cross-entropy, through the layers' own ``forward`` and ``backward``, for each initialiser and
# for tanh and ReLU units.
import matplotlib.pyplot as plt
import numpy as np

import layerwise as lw

ds = lw.datasets.load("digits", validation_size=0.2)
x, y = ds.x_train[:256], ds.y_train[:256]
x = (x - ds.x_train.mean(0)) / (ds.x_train.std(0) + 1e-6)  # standardised inputs
inits = {"N(0, 1)": "large", "1/√n": "default", "Xavier": "glorot_normal", "He": "he_normal"}
depth = 10


def statistics(init, activation):
    model = lw.Sequential([lw.Dense(100, activation, kernel_initializer=init) for _ in range(depth)]
                          + [lw.Dense(10, "softmax")], dtype="float64", seed=0)
    model.build((64,))
    stds, a = [], x
    for layer in model.layers:
        a = layer.forward(a, training=True)
        stds.append(a.std())
    delta = lw.CategoricalCrossentropy().grad_z(a, y)
    dy = model.layers[-1].backward_from_z(delta)
    for layer in reversed(model.layers[:-1]):
        dy = layer.backward(dy)
    grads = [np.linalg.norm(layer.grads["kernel"]) for layer in model.layers]
    return stds[:-1], grads[:-1]


fig, axes = plt.subplots(2, 2, figsize=(10, 6.5), sharex=True)
layers = np.arange(1, depth + 1)
summary = {}
for col, activation in enumerate(("tanh", "relu")):
    for label, init in inits.items():
        stds, grads = statistics(init, activation)
        summary[activation, label] = (stds, grads)
        axes[0, col].semilogy(layers, stds, "o-", ms=4, label=label)
        axes[1, col].semilogy(layers, grads, "o-", ms=4, label=label)
    axes[0, col].set_title(f"{activation}: standard deviation of each layer's output")
    axes[1, col].set_title(f"{activation}: norm of each layer's gradient ∂L/∂W")
    axes[1, col].set_xlabel("layer (1 = next to the input)")
    for row in (0, 1):
        axes[row, col].grid(alpha=0.3, which="both")
axes[0, 0].legend(fontsize=8)
fig.tight_layout()

print(f"{'':16s} {'output std, layer 1 → 10':>28s} {'‖∂L/∂W‖, layer 1 / layer 10':>30s}")
for (activation, label), (stds, grads) in summary.items():
    print(f"{activation:5s} {label:10s} {stds[0]:12.3g} → {stds[-1]:<12.3g} {grads[0] / grads[-1]:>22.3g}")

# %%
# Read the figure from layer 1 (next to the input) to layer 10. With N(0, 1) weights the signal
# is multiplied at every layer by weights far too large for 100 inputs: tanh units saturate
# (their outputs sit at ±1, standard deviation ≈ 1) and ReLU outputs grow by orders of magnitude.
# Going down, the backward pass multiplies the gradient by :math:`W^{\mathsf T}` again and
# again; with tanh the large weights outweigh the small tanh′ of saturated units, so the first
# layers get far larger gradients than the last (the table's last column): gradients that are
# badly out of scale between layers, exploding towards the input. With ReLU, which zeroes about
# half its inputs, 1/√n and Xavier (the same here: every hidden layer has as many inputs as
# outputs) halve the variance at every layer, so the outputs shrink layer by layer, and the
# gradients, computed from those shrunken outputs, are small everywhere; He's factor 2 makes up
# for the half that ReLU drops, so the outputs keep their scale through all ten layers and the
# gradients stay of order one from bottom to top.
#
# Vanishing gradients, seen by the diagnostics
# --------------------------------------------
# :class:`layerwise.Diagnostics` samples every layer's gradient norm, weight norm, update ratio
# and activation statistics during training, and at the end of each epoch warns in plain words
# when something is unhealthy. A deep sigmoid network with the book's 1/√n start trains almost
# nothing in its first layers, and says so:
def train(init, activation, lr):
    model = lw.Sequential([lw.Dense(64, activation, kernel_initializer=init) for _ in range(8)]
                          + [lw.Dense(10, "softmax")], seed=0)
    model.compile(lw.SGD(lr), "categorical_crossentropy", metrics=["accuracy"])
    diagnostics = lw.Diagnostics(every=5, verbose=False)
    history = model.fit(ds.x_train, ds.y_train, epochs=5, verbose=0, callbacks=[diagnostics],
                        validation_data=(ds.x_val, ds.y_val)).history
    return diagnostics, history


runs = {"sigmoid, 1/√n": train("default", "sigmoid", 0.1), "ReLU, He": train("he_normal", "relu", 0.02)}
for name, (diagnostics, history) in runs.items():
    print(f"{name}: validation accuracy after 5 epochs {history['val_accuracy'][-1]:.3f}")
    for warning in diagnostics.warnings:
        print("   warning:", warning.message)
    if not diagnostics.warnings:
        print("   no warnings")

fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), sharey=True)
for ax, (name, (diagnostics, _)) in zip(axes, runs.items()):
    steps = [r["step"] for r in diagnostics.records]
    for i in range(1, 10):
        key = f"dense_{i}/grad_norm"
        ax.semilogy(steps, [r[key] for r in diagnostics.records], color=plt.cm.viridis(i / 10),
                    label=f"layer {i}")
    ax.set(title=name, xlabel="step")
    ax.grid(alpha=0.3, which="both")
axes[0].set_ylabel("‖∂L/∂W‖ (sampled every 5 steps)")
axes[1].legend(fontsize=7, ncol=2)
fig.suptitle("Gradient norm of each layer during training, as Diagnostics records it")
fig.tight_layout()

# %%
# Exercises
# ---------
# 1. For a ReLU layer with :math:`n_\text{in}` inputs of variance 1, show that
#    :math:`\operatorname{Var}(w) = 2/n_\text{in}` keeps the variance of :math:`z` the same from
#    layer to layer (He's argument). Where does the 2 come from?
# 2. Draw the first figure for a 30-layer network. Which initialisers survive?
# 3. Train the 8-layer sigmoid network with Xavier initialisation instead of 1/√n. Does the
#    diagnostics' warning go away?
# 4. Gradients that explode rather than vanish are the subject of the
#    :ref:`gradient clipping chapter <sphx_glr_auto_examples_plot_12_gradient_clipping.py>`.
#    Which of the runs above would need clipping?
