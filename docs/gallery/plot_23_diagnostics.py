r"""
Diagnostics: seeing inside training
===================================

A loss curve says *that* training goes badly, rarely *why*. :class:`layerwise.Diagnostics` is a
callback that samples, every ``every`` steps and for each Dense layer, the gradient norm
:math:`\lVert\partial L/\partial W\rVert`, the weight norm, the update-to-weight ratio
:math:`\lVert\Delta W\rVert/\lVert W\rVert`, the mean and spread of the activations, the
fraction of saturated units and NaN/inf counts; over each epoch it counts ReLU units that never
fired. At the end of each epoch it checks these numbers against thresholds and warns in plain
words, naming the layer, the number and the notes' remedy.

.. code-block:: python

    model.fit(x, y, callbacks=[lw.Diagnostics(every=20)])
    # or from the command line, with diagnostics.csv, warnings.json and three plots in the run:
    #   layerwise train --diagnostics

Below, four small networks on the digits, each with one thing wrong (or nothing), and what the
diagnostics say about them. (The chapter on initialisation shows the fifth warning, vanishing
gradients.)
"""

# %%
import matplotlib.pyplot as plt

import layerwise as lw
from layerwise.inspect import diagnostics as diagnostics_module

ds = lw.datasets.load("digits", validation_size=0.2)
mean, std = ds.x_train.mean(0), ds.x_train.std(0) + 1e-6
standardised = ((ds.x_train - mean) / std, (ds.x_val - mean) / std)


def run(layers, optimizer, epochs=6, n=None, batch_size=32, standardise=False):
    x, x_val = standardised if standardise else (ds.x_train, ds.x_val)
    n = n or len(x)
    model = lw.Sequential(layers, seed=0)
    model.compile(optimizer, "categorical_crossentropy", metrics=["accuracy"])
    diagnostics = lw.Diagnostics(every=5, verbose=False)
    history = model.fit(x[:n], ds.y_train[:n], batch_size=batch_size, epochs=epochs, verbose=0,
                        callbacks=[diagnostics], validation_data=(x_val, ds.y_val)).history
    return diagnostics, history


he = dict(kernel_initializer="he_normal")
runs = {
    "healthy: ReLU, He, SGD 0.1": run([lw.Dense(100, "relu", **he), lw.Dense(10, "softmax")], lw.SGD(0.1)),
    "dying ReLUs: SGD 1.5": run([lw.Dense(100, "relu", **he), lw.Dense(100, "relu", **he), lw.Dense(10, "softmax")],
                                lw.SGD(1.5)),
    "saturation: tanh, N(0, 1) weights": run([lw.Dense(100, "tanh", kernel_initializer="large"),
                                              lw.Dense(10, "softmax")], lw.SGD(0.1), standardise=True),
    "overfitting: 100 images, 60 epochs": run([lw.Dense(256, "relu", **he), lw.Dense(10, "softmax")],
                                              lw.SGD(0.1, momentum=0.9), epochs=60, n=100, batch_size=10),
}
for name, (diagnostics, history) in runs.items():
    print(f"{name}  (validation accuracy {history['val_accuracy'][-1]:.3f})")
    for warning in diagnostics.warnings:
        print(f"    epoch {warning.epoch + 1}: {warning.message}")
    if not diagnostics.warnings:
        print("    no warnings")

# %%
# The numbers behind the warnings
# -------------------------------
# ``records`` holds one dict per sampled step and ``epochs`` one summary per epoch; these are
# also what ``layerwise train --diagnostics`` writes to ``diagnostics.csv``.
fig, axes = plt.subplots(2, 2, figsize=(10, 6.5))
(diag, _), ax = runs["healthy: ReLU, He, SGD 0.1"], axes[0, 0]
for name in ("dense_1", "dense_2"):
    points = [(r["step"], r[f"{name}/update_ratio"]) for r in diag.records if f"{name}/update_ratio" in r]
    ax.semilogy(*zip(*points), label=name)
ax.set(title="healthy: update-to-weight ratio ‖ΔW‖/‖W‖", xlabel="step")
(diag, _), ax = runs["dying ReLUs: SGD 1.5"], axes[0, 1]
for name in ("dense_1", "dense_2"):
    ax.plot([e["epoch"] + 1 for e in diag.epochs], [e[f"{name}/dead"] for e in diag.epochs], "o-", label=name)
ax.axhline(diagnostics_module.DEAD_FRACTION, color="red", ls="--", lw=1, label="warning threshold")
ax.set(title="dying ReLUs: fraction of units never active", xlabel="epoch", ylim=(-0.02, 1.02))
(diag, _), ax = runs["saturation: tanh, N(0, 1) weights"], axes[1, 0]
ax.plot([e["epoch"] + 1 for e in diag.epochs], [e["dense_1/saturated"] for e in diag.epochs], "o-", label="dense_1")
ax.axhline(diagnostics_module.SATURATED_FRACTION, color="red", ls="--", lw=1, label="warning threshold")
ax.set(title="saturation: fraction of tanh outputs with |a| > 0.99", xlabel="epoch", ylim=(-0.02, 1.02))
(diag, history), ax = runs["overfitting: 100 images, 60 epochs"], axes[1, 1]
ax.semilogy(history["loss"], label="training loss")
ax.semilogy(history["val_loss"], label="validation loss")
for warning in diag.warnings:
    ax.axvline(warning.epoch, color="red", ls="--", lw=1, label=f"{warning.kind} warning")
ax.set(title="overfitting: training and validation loss", xlabel="epoch")
for ax in axes.flat:
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
fig.tight_layout()

# %%
# The thresholds
# --------------
# They are module constants of :mod:`layerwise.inspect.diagnostics`, printed here from the code:
for constant in ("VANISHING_RATIO", "EXPLODING_GROWTH", "DEAD_FRACTION", "SATURATED_FRACTION", "LOSS_RISE",
                 "LOSS_SPIKE", "OVERFIT_RISE"):
    print(f"{constant:20s} {getattr(diagnostics_module, constant)}")
for kind, remedy in diagnostics_module.REMEDIES.items():
    print(f"{kind:12s} → {remedy}")

# %%
# Exercises
# ---------
# 1. The dying-ReLU warning suggests LeakyReLU or a lower rate. Try ``"leaky_relu"`` at
#    ``SGD(1.5)``, then ``"relu"`` at ``SGD(0.1)``. Which remedy works here? (Read the leaky run's
#    first warnings: the rate itself is the problem.)
# 2. Keep ReLU and ``SGD(1.5)`` but add ``global_clipnorm=1.0`` (the :ref:`gradient clipping
#    chapter <sphx_glr_auto_examples_plot_12_gradient_clipping.py>`). Do units still die?
# 3. Initialise the saturated network with ``"glorot_normal"`` instead of ``"large"``. What
#    fraction of its tanh outputs is saturated now (``diag.epochs[-1]["dense_1/saturated"]``)?
# 4. Give the overfitting run 1,000 images instead of 100. Does the warning go away? Compare the
#    validation accuracies: what is the warning telling you, and what would the :ref:`early
#    stopping chapter <sphx_glr_auto_examples_plot_14_early_stopping.py>` do?
