r"""
Data augmentation
=================

A network that has seen a digit only where it was drawn has not learned that the same digit,
shifted by a pixel or turned by a few degrees, is still the same digit. *Augmentation* shows it:
every time a training image is used, it is first moved, turned, scaled or relit at random, so the
network never sees exactly the same picture twice (the notes list shift, rotate, scale and
lighting).

In layerwise augmentation is a layer, :class:`~layerwise.Augment`, placed first in the model.
In training it draws, for every image of the batch, a random shift :math:`(s_x, s_y)`, angle
:math:`\theta`, zoom :math:`k`, brightness and contrast, and resamples the image (bilinear, one
compiled kernel per batch); at inference it is the identity. Its random numbers come from the
model's seeded generator, so runs repeat and resume exactly.

.. code-block:: python

    lw.Augment(shift=0.1, rotation=10, zoom=0.1, brightness=0.1, contrast=0.1, flip=False)
"""

# %%
# What each transform does
# ------------------------
# The same eight digits, once per row: the originals, then each transform on its own, then all
# together. Each call of ``forward(x, training=True)`` draws new transforms.
import matplotlib.pyplot as plt
import numpy as np

import layerwise as lw

ds = lw.datasets.load("digits", validation_size=0.2)
originals = ds.x_train[:8]
rows = {
    "original": None,
    "shift 0.15": dict(shift=0.15, rotation=0, zoom=0),
    "rotation 20°": dict(shift=0, rotation=20, zoom=0),
    "zoom 0.2": dict(shift=0, rotation=0, zoom=0.2),
    "brightness, contrast 0.3": dict(shift=0, rotation=0, zoom=0, brightness=0.3, contrast=0.3),
    "all of them": dict(shift=0.1, rotation=15, zoom=0.15, brightness=0.2, contrast=0.2),
}
fig, axes = plt.subplots(len(rows), 8, figsize=(8, 6.6))
for r, (label, kwargs) in enumerate(rows.items()):
    if kwargs is None:
        images = originals
    else:
        layer = lw.Augment(image_shape=ds.image_shape, **kwargs)
        layer.build((ds.n_features,), np.random.default_rng(r))
        images = layer.forward(originals.copy(), training=True)
    for c in range(8):
        axes[r, c].imshow(images[c].reshape(ds.image_shape), cmap="gray_r", vmin=0, vmax=1)
        axes[r, c].set_xticks([])
        axes[r, c].set_yticks([])
    axes[r, 0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=9)
fig.suptitle("lw.Augment on the 8×8 digits, one transform per row")
fig.tight_layout()

# %%
# Many draws of one image
# -----------------------
layer = lw.Augment(shift=0.1, rotation=15, zoom=0.15, image_shape=ds.image_shape)
layer.build((ds.n_features,), np.random.default_rng(0))
batch = np.repeat(ds.x_train[:1], 24, axis=0)
draws = layer.forward(batch, training=True)
fig, axes = plt.subplots(3, 8, figsize=(8, 3.2))
for ax, image in zip(axes.flat, draws):
    ax.imshow(image.reshape(ds.image_shape), cmap="gray_r", vmin=0, vmax=1)
    ax.axis("off")
fig.suptitle(f"24 training-time versions of one '{ds.y_train[0]}'")
fig.tight_layout()
print("at inference the layer changes nothing:", np.array_equal(layer.forward(batch[:2]), batch[:2]))

# %%
# Where it helps, and by how much
# -------------------------------
# Augmentation is a way of having more data, so it should matter most when there is little. The
# same 64-128-10 network, with and without an ``Augment(shift=0.1, rotation=10, zoom=0.1)`` layer
# in front, trained on 100, 300 and 1,000 digits for the same number of updates (3,000
# mini-batches of 25: an augmented network sees new pictures every epoch and needs the time),
# 3 seeds each. The validation images are never augmented.
sizes, SEEDS, UPDATES = (100, 300, 1000), 3, 3000
accuracy = {False: [], True: []}
for n in sizes:
    epochs = UPDATES * 25 // n
    for augmented in (False, True):
        front = [lw.Augment(shift=0.1, rotation=10, zoom=0.1, image_shape=ds.image_shape)] if augmented else []
        runs = []
        for seed in range(SEEDS):
            model = lw.Sequential([*front, lw.Dense(128, "relu", kernel_initializer="he_normal"),
                                   lw.Dense(10, "softmax")], seed=seed)
            model.compile(lw.Adam(3e-3), "categorical_crossentropy", metrics=["accuracy"])
            model.fit(ds.x_train[:n], ds.y_train[:n], batch_size=25, epochs=epochs, verbose=0)
            runs.append(model.evaluate(ds.x_val, ds.y_val)["accuracy"])
        accuracy[augmented].append(runs)
accuracy = {k: np.array(v) for k, v in accuracy.items()}
print(f"{'training images':>15s}  {'no augmentation':>17s}  {'augmented':>17s}  {'gain':>6s}  "
      f"(validation accuracy, mean ± sd of {SEEDS} seeds)")
for i, n in enumerate(sizes):
    a, b = accuracy[False][i], accuracy[True][i]
    print(f"{n:15d}  {a.mean():.4f} ± {a.std(ddof=1):.4f}  {b.mean():.4f} ± {b.std(ddof=1):.4f}  "
          f"{100 * (b.mean() - a.mean()):+5.1f}")

fig, ax = plt.subplots(figsize=(6.5, 3.6))
for augmented, label in ((False, "no augmentation"), (True, "Augment(0.1, 10, 0.1)")):
    ax.errorbar(sizes, 1 - accuracy[augmented].mean(axis=1), yerr=accuracy[augmented].std(axis=1, ddof=1),
                fmt="o-", capsize=3, label=label)
ax.set(xscale="log", yscale="log", xlabel="training images", ylabel="validation error rate",
       title=f"Augmentation on the digits ({SEEDS} seeds, ±1 sd)")
ax.set_xticks(sizes, [str(n) for n in sizes])
ax.grid(alpha=0.3, which="both")
ax.legend()
fig.tight_layout()

# %%
# With every training-set size the augmented network makes fewer mistakes, by the points printed
# above: the shifted and turned copies teach it what the few originals cannot. The transforms must
# be ones the real data could show. A digit shifted by a pixel is still the same digit; a
# Fashion-MNIST shoe flipped left to right is not a picture the test set contains (every shoe in
# it points the same way), and such a flip can cost accuracy instead (exercise 2).
#
# Exercises
# ---------
# 1. Train the augmented network on 300 digits for only 500 updates. Does augmentation still
#    help? Why does it need longer training?
# 2. On 1,000 Fashion-MNIST images, compare no augmentation with ``Augment(shift=0, rotation=0,
#    zoom=0, flip=True)``. Look at ten test images of sandals, sneakers and boots first.
# 3. Which single transform (shift, rotation or zoom) gives most of the gain on 100 digits?
# 4. Rotate by up to 60°. What happens to the 6s and 9s?
