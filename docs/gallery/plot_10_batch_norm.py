r"""
Batch normalisation
===================

Each layer learns on the outputs of the layer below. When the weights below change, the
distribution of those outputs shifts, and the layer has to follow a moving target; in a deep
network small changes compound, some units drift into the flat ends of a sigmoid, and the
gradients that reach the first layers fade or blow up. *Batch normalisation* (the notes'
批标准化) removes the drift at its source: after the linear transform of a layer and before its
activation, it rescales every unit to mean 0 and variance 1 over the mini-batch, then lets the
network choose the scale and shift it wants back.

For one unit, over the :math:`m` samples of a batch:

.. math::

    \mu_B = \frac1m \sum_i z_i, \qquad \sigma_B^2 = \frac1m \sum_i (z_i - \mu_B)^2, \qquad
    \hat z_i = \frac{z_i - \mu_B}{\sqrt{\sigma_B^2 + \varepsilon}}, \qquad
    y_i = \gamma \hat z_i + \beta .

:math:`\gamma` and :math:`\beta` are learned like weights (with :math:`\gamma = \sigma_B`,
:math:`\beta = \mu_B` the layer could undo the normalisation, so nothing is lost). At inference
there may be a single sample, so the layer uses moving averages of :math:`\mu_B` and
:math:`\sigma_B^2` kept during training, :math:`\bar\mu \leftarrow d\,\bar\mu + (1-d)\,\mu_B`
with the notes' decay :math:`d = 0.99` (``momentum`` in layerwise). The notes list what this
buys: gradients that neither vanish nor explode, less sensitivity to initialisation, larger
learning rates, faster training, and some regularisation, at the price of extra computation.

In layerwise it is a layer, :class:`~layerwise.BatchNorm`, placed between a linear
:class:`~layerwise.Dense` (whose bias :math:`\beta` makes redundant) and an
:class:`~layerwise.Activation`:

.. code-block:: python

    lw.Dense(100, use_bias=False), lw.BatchNorm(momentum=0.99), lw.Activation("sigmoid")
"""

# %%
# Normalisation, layer by layer
# -----------------------------
# A ten-layer sigmoid network with the book's first initialisation, N(0, 1) weights: far too
# large for 100 inputs per unit. One forward pass of 512 Fashion-MNIST images through the layers'
# own ``forward``. Without batch norm the weighted inputs :math:`z` of every layer are spread
# over tens of units and most sigmoids sit at 0 or 1, where their slope is nearly zero. With a
# ``BatchNorm`` after each linear transform the same weights give inputs of standard deviation 1
# to every activation, in every layer.
import matplotlib.pyplot as plt
import numpy as np

import layerwise as lw

ds = lw.datasets.load("fashion-mnist", validation_size=5000)
x = ds.x_train[:512]
DEPTH = 10


def deep_network(batch_norm, init="large", seed=0, width=100):
    layers = []
    for _ in range(DEPTH):
        if batch_norm:
            layers += [lw.Dense(width, use_bias=False, kernel_initializer=init), lw.BatchNorm(),
                       lw.Activation("sigmoid")]
        else:
            layers += [lw.Dense(width, kernel_initializer=init), lw.Activation("sigmoid")]
    return lw.Sequential(layers + [lw.Dense(10, "softmax")], seed=seed)


stats = {}
for bn in (False, True):
    model = deep_network(bn)
    model.build((784,))
    a, zs = x, []
    for layer in model.layers:
        out = layer.forward(a, training=True)
        if isinstance(layer, lw.Activation):
            zs.append(a)            # the input of each sigmoid
        a = out
    stats[bn] = zs

fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
layers = np.arange(1, DEPTH + 1)
for bn, label in ((False, "without batch norm"), (True, "with BatchNorm")):
    zs = stats[bn]
    axes[0].semilogy(layers, [z.std() for z in zs], "o-", label=label)
    saturated = [np.mean(np.abs(z) > 4.6) for z in zs]    # σ(z) < 0.01 or > 0.99
    axes[1].plot(layers, saturated, "o-", label=label)
axes[0].set(xlabel="layer", ylabel="standard deviation of z", title="Spread of each sigmoid's input")
axes[1].set(xlabel="layer", ylabel="fraction with σ′(z) < 0.01", title="Saturated units", ylim=(-0.03, 1))
for ax in axes:
    ax.grid(alpha=0.3, which="both")
    ax.legend()
fig.tight_layout()
for bn in (False, True):
    print(f"{'with' if bn else 'without':7s} batch norm: std of z in layers 1, 5, 10 = "
          + ", ".join(f"{stats[bn][i].std():.2f}" for i in (0, 4, 9)))

# %%
# Faster training of a deep network
# ---------------------------------
# The same ten sigmoid layers, now with the sensible :math:`1/\sqrt{n}` initialisation, trained
# with SGD on 5,000 images for 8 epochs, with and without batch norm, 3 seeds each. Sigmoid
# networks this deep are hard to train: the gradient shrinks by :math:`\sigma' \le 1/4` at every
# layer on the way down (the initialisation chapter measures it).
x_small, y_small = ds.x_train[:5000], ds.y_train[:5000]
EPOCHS = 8
curves, finals = {}, {}
for bn in (False, True):
    runs, accs = [], []
    for seed in range(3):
        model = deep_network(bn, init="default", seed=seed)
        model.compile(lw.SGD(0.5, momentum=0.9), "categorical_crossentropy", metrics=["accuracy"])
        h = model.fit(x_small, y_small, batch_size=64, epochs=EPOCHS, verbose=0).history
        runs.append(h["loss"])
        accs.append(model.evaluate(ds.x_val, ds.y_val)["accuracy"])
    curves[bn], finals[bn] = np.array(runs), np.array(accs)
    print(f"{'with' if bn else 'without':7s} batch norm: validation accuracy after {EPOCHS} epochs "
          f"{finals[bn].mean():.4f} ± {finals[bn].std(ddof=1):.4f} (mean ± sd of 3 seeds)")

fig, ax = plt.subplots(figsize=(7, 3.6))
epochs = np.arange(1, EPOCHS + 1)
for bn, label in ((False, "without batch norm"), (True, "with BatchNorm")):
    mean, sd = curves[bn].mean(axis=0), curves[bn].std(axis=0, ddof=1)
    ax.plot(epochs, mean, "o-", label=label)
    ax.fill_between(epochs, mean - sd, mean + sd, alpha=0.25)
ax.set(xlabel="epoch", ylabel="training loss", title="Ten sigmoid layers, SGD η = 0.5, momentum 0.9 (3 seeds, ±1 sd)")
ax.grid(alpha=0.3)
ax.legend()
fig.tight_layout()

# %%
# Without batch norm the loss hardly moves from :math:`\ln 10 \approx 2.30` (guessing) for
# whole run: the first layers get almost no gradient, and the rate that would be needed to move
# them would throw the last layers about. With batch norm the same network, rate and seeds train
# from the first epoch. The price, which the notes mention, is an extra layer per layer: more
# arithmetic per step and two more vectors of parameters.
#
# Training mode and inference mode
# --------------------------------
# In training the output for one image depends on the other images of its batch (through
# :math:`\mu_B, \sigma_B`); at inference it must not. ``predict`` uses the moving averages,
# so an image gets the same answer alone or in a batch. After training, the moving averages
# are close to the statistics of the whole training set, though not equal: they also remember
# batches seen with the weights of earlier steps.
model = deep_network(True, init="default", seed=0)
model.compile(lw.SGD(0.5, momentum=0.9), "categorical_crossentropy", metrics=["accuracy"])
model.fit(x_small, y_small, batch_size=64, epochs=EPOCHS, verbose=0)
bn_layer = model.layers[1]                  # the first BatchNorm
z_all = model.layers[0].forward(x_small)    # its input, for all 5,000 training images
print(f"moving mean vs mean over the training set (first 5 units):\n  "
      f"{np.round(bn_layer.state['moving_mean'][:5], 3)}\n  {np.round(z_all.mean(axis=0)[:5], 3)}")
print(f"moving variance vs variance over the training set (first 5 units):\n  "
      f"{np.round(bn_layer.state['moving_variance'][:5], 3)}\n  {np.round(z_all.var(axis=0)[:5], 3)}")
alone = model.predict(ds.x_val[:1])
in_batch = model.predict(ds.x_val[:256])[:1]
print("predict: one image alone vs the same image in a batch of 256, largest difference",
      float(np.abs(alone - in_batch).max()))

# %%
# Exercises
# ---------
# 1. Show that a ``BatchNorm`` after a ``Dense`` with a bias gives the same output whatever that
#    bias is. Why is ``use_bias=False`` then harmless?
# 2. Train the deep sigmoid network without batch norm at η = 0.05 and at η = 2. Then with batch
#    norm. Which tolerates the larger rate?
# 3. Replace N(0, 1) with He initialisation in the first figure. How much does batch norm still
#    change?
# 4. With a batch size of 2, what are :math:`\hat z_1` and :math:`\hat z_2` for any two values
#    :math:`z_1 \ne z_2`? What does that say about batch norm with very small batches?
# 5. ``momentum=0.99`` averages over about 100 batches. Train for only 20 steps and compare the
#    moving averages with the training-set statistics again.
