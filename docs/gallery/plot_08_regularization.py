r"""
Regularisation: L1/L2, weight decay, dropout, max-norm and batch norm
=====================================================================

A network with enough weights can memorise a small training set: the training loss keeps
falling while the validation loss turns up. Regularisation trades a little training fit for a
better fit on data the network has not seen. This chapter trains one network on 200 digits, so
that overfitting shows, and adds each technique in turn.

**Penalties.** L1 and L2 add a term to the loss (the notes' ``loss_L1``, ``loss_L2``); in
layerwise each layer carries its own, ``Dense(..., kernel_regularizer=lw.L2(l))``:

.. math::

    L' = L + l_1 \sum |w| + l_2 \sum w^2, \qquad
    \frac{\partial L'}{\partial w} = \frac{\partial L}{\partial w} + l_1\,\mathrm{sign}(w) + 2 l_2 w .

**Weight decay** shrinks the weights inside the update instead. For SGD,
:math:`w \leftarrow (1 - \eta\lambda) w - \eta g` (``SGD(weight_decay=λ)``) is the same as an L2
penalty; for Adam it is not, and :class:`~layerwise.AdamW` decouples it:
:math:`w \leftarrow w - \eta\lambda w`, then the Adam step.

**Dropout** zeroes each unit with probability :math:`p` in training and scales the survivors by
:math:`1/(1-p)` ("inverted" dropout), so nothing changes at inference.

**Max-norm** rescales each unit's incoming weight vector after every update so that
:math:`\lVert w_j \rVert_2 \le c`.

**Batch normalisation** normalises each unit over the batch,
:math:`\hat x = (x - \mu_B)/\sqrt{\sigma_B^2 + \varepsilon}`, :math:`y = \gamma \hat x + \beta`,
and keeps moving averages of :math:`\mu, \sigma^2` for inference.
"""

# %%
# One network, five ways
# ----------------------
import matplotlib.pyplot as plt
import numpy as np

import layerwise as lw

ds = lw.datasets.load("digits", validation_size=0.3)
x_small, y_small = ds.x_train[:200], ds.y_train[:200]


def network(variant):
    hidden = dict(kernel_initializer="he_normal")
    if variant == "L2 (l = 1e-3)":
        hidden["kernel_regularizer"] = lw.L2(1e-3)
    if variant == "L1 (l = 1e-4)":
        hidden["kernel_regularizer"] = lw.L1(1e-4)
    if variant == "max-norm (c = 1)":
        hidden["kernel_constraint"] = lw.MaxNorm(1.0)
    layers = [lw.Dense(128, "relu", **hidden)]
    if variant == "dropout (p = 0.5)":
        layers.append(lw.Dropout(0.5))
    if variant == "batch norm":
        layers.append(lw.BatchNorm())
    layers.append(lw.Dense(10, "softmax"))
    return lw.Sequential(layers, seed=0)


variants = ["none", "L2 (l = 1e-3)", "L1 (l = 1e-4)", "dropout (p = 0.5)", "max-norm (c = 1)", "batch norm"]
histories, models = {}, {}
for variant in variants:
    model = network(variant)
    model.compile(lw.SGD(0.1, momentum=0.9), "categorical_crossentropy", metrics=["accuracy"])
    histories[variant] = model.fit(x_small, y_small, batch_size=20, epochs=50, verbose=0,
                                   validation_data=(ds.x_val, ds.y_val)).history
    models[variant] = model
    h = histories[variant]
    print(f"{variant:18s} training accuracy {h['accuracy'][-1]:.3f}, validation accuracy "
          f"{h['val_accuracy'][-1]:.3f} (best {max(h['val_accuracy']):.3f})")

# %%
# The loss a model reports includes its penalties, so across penalties the error rate is the
# fair comparison. Training error reaches zero everywhere; the gap to the validation error is
# the overfitting. On a problem this small the techniques move the validation error by a point
# or so, in either direction; the printed numbers above are what this build measured.
fig, axes = plt.subplots(2, 3, figsize=(11, 6), sharex=True, sharey=True)
for ax, (variant, h) in zip(axes.flat, histories.items()):
    ax.plot(1 - np.array(h["accuracy"]) + 1e-3, label="training")
    ax.plot(1 - np.array(h["val_accuracy"]) + 1e-3, "--", label="validation")
    ax.set_title(variant, fontsize=10)
    ax.set_yscale("log")
    ax.grid(alpha=0.3, which="both")
axes[0, 0].legend()
for ax in axes[1]:
    ax.set_xlabel("epoch")
for ax in axes[:, 0]:
    ax.set_ylabel("error rate (+0.001)")
fig.suptitle("200 training images, 128 hidden ReLUs: training and validation error")
fig.tight_layout()

# %%
# What the penalties do to the weights
# ------------------------------------
# L2 pulls every weight towards zero in proportion to its size; L1 pulls with a constant force,
# so small weights reach zero and stay near it: a sparse first layer. Max-norm bounds each
# unit's incoming weight vector.
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.5))
for variant in ("none", "L2 (l = 1e-3)", "L1 (l = 1e-4)"):
    w = models[variant].layers[0].params["kernel"].ravel()
    ax1.hist(w, bins=np.linspace(-0.6, 0.6, 121), histtype="step", lw=1.3, label=variant)
ax1.set(xlabel="first-layer weight", ylabel="count", title="Weights after training", yscale="log")
ax1.legend(fontsize=8)
for variant in ("none", "max-norm (c = 1)"):
    norms = np.linalg.norm(models[variant].layers[0].params["kernel"], axis=0)
    ax2.hist(norms, bins=40, alpha=0.7, label=variant)
ax2.axvline(1.0, color="red", ls="--", lw=1)
ax2.set(xlabel="‖w_j‖₂ of each hidden unit's incoming weights", ylabel="units", title="Max-norm")
ax2.legend(fontsize=8)
fig.tight_layout()

# %%
# Dropout, in training and at inference
# -------------------------------------
# The same layer and input: in training, about half the units are zeroed and the rest doubled,
# so the expected value is unchanged; at inference the layer passes its input through.
drop = lw.Dropout(0.5)
drop.build((12,), np.random.default_rng(0))
x = np.ones((1, 12), dtype=np.float32)
print("training: ", drop.forward(x, training=True).ravel())
print("inference:", drop.forward(x, training=False).ravel())

# %%
# Batch norm, in training and at inference
# ----------------------------------------
# Its output in training has mean 0 and standard deviation 1 per unit over the batch (before
# γ and β, which start at 1 and 0); at inference it uses the moving averages, so one sample's
# output does not depend on the others in its batch.
bn_model = models["batch norm"]
hidden = bn_model.layers[0].forward(ds.x_val[:256])
normed = bn_model.layers[1].forward(hidden, training=True)
alive = hidden.std(0) > 0  # ReLU units that are zero for every one of these inputs stay zero
print(f"{alive.sum()} of {alive.size} hidden units vary over this batch")
print(f"before batch norm: means of units {np.median(hidden.mean(0)[alive]):.3f} (median), "
      f"standard deviations {np.median(hidden.std(0)[alive]):.3f}")
print(f"after (training):  means of units {np.median(normed.mean(0)[alive]):.3f} (median), "
      f"standard deviations {np.median(normed.std(0)[alive]):.3f}")

# %%
# Weight decay in the optimizer
# -----------------------------
# ``SGD(weight_decay=λ)`` adds λw to every gradient (the coupled form, which for SGD equals an L2
# penalty of λ/2·Σw²); AdamW applies the decay outside Adam's scaling. Both shrink the weights:
for name, optimizer in (("SGD", lw.SGD(0.1, momentum=0.9)),
                        ("SGD, weight_decay=5e-3", lw.SGD(0.1, momentum=0.9, weight_decay=5e-3)),
                        ("Adam", lw.Adam(3e-3)), ("AdamW, weight_decay=0.5", lw.AdamW(3e-3, weight_decay=0.5))):
    model = network("none")
    model.compile(optimizer, "categorical_crossentropy", metrics=["accuracy"])
    h = model.fit(x_small, y_small, batch_size=20, epochs=50, verbose=0, validation_data=(ds.x_val, ds.y_val)).history
    norm = np.linalg.norm(model.layers[0].params["kernel"])
    print(f"{name:24s} ‖W₁‖ = {norm:6.2f}   validation accuracy {h['val_accuracy'][-1]:.3f}")
