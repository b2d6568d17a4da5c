r"""
The whole path on Fashion-MNIST
===============================

Every chapter so far trained on small data so that it could run in a few seconds. This one puts
the pieces together on a real data set: the 70,000 images of Zalando's `Fashion-MNIST
<https://github.com/zalandoresearch/fashion-mnist>`_, 28×28 grey pictures of ten kinds of
clothing, the drop-in replacement for MNIST that is much harder to get right. The network below
is trained on all 60,000 training images **while this page is built**, and its accuracy on the
10,000 test images is printed under the code.

Nothing in it is new. Each line is a chapter:

========================================  ==============================================================
the network does                          taught in
========================================  ==============================================================
784 → 256 → 128 → 10, ReLU, softmax       :ref:`activations <sphx_glr_auto_examples_plot_03_activations.py>`,
                                          :ref:`width and depth <sphx_glr_auto_examples_plot_17_width_depth.py>`
cross-entropy on the softmax              :ref:`losses <sphx_glr_auto_examples_plot_04_losses.py>`
gradients by backpropagation              :ref:`backpropagation <sphx_glr_auto_examples_plot_06_backpropagation.py>`
He initialisation                         :ref:`initialisation <sphx_glr_auto_examples_plot_11_initialization.py>`
Adam, :math:`\eta = 10^{-3}`              :ref:`optimizers <sphx_glr_auto_examples_plot_07_optimizers.py>`
cosine decay of :math:`\eta`              :ref:`schedules <sphx_glr_auto_examples_plot_08_schedules.py>`
dropout 0.2                               :ref:`regularisation <sphx_glr_auto_examples_plot_09_regularization.py>`
mini-batches of 128                       :ref:`batch size <sphx_glr_auto_examples_plot_16_batch_size.py>`
5,000 validation images, a stop rule      :ref:`early stopping <sphx_glr_auto_examples_plot_14_early_stopping.py>`
========================================  ==============================================================

Building these pages therefore needs the data set (Debian: ``apt-get install
dataset-fashion-mnist``; elsewhere layerwise downloads it on first use).
"""

# %%
# The data
# --------
# :func:`layerwise.datasets.load` reads the four IDX files, scales the pixels to [0, 1] and holds
# the last 5,000 training images out for validation. The test set is never looked at until the
# very end.
import time

import matplotlib.pyplot as plt
import numpy as np

import layerwise as lw

# sphinx_gallery_thumbnail_number = 2
ds = lw.datasets.load("fashion-mnist", validation_size=5000)
print(ds)

fig, axes = plt.subplots(3, 10, figsize=(9, 3.3))
for c in range(10):
    for r, i in enumerate(np.flatnonzero(ds.y_train == c)[:3]):
        axes[r, c].imshow(ds.x_train[i].reshape(ds.image_shape), cmap="gray_r")
        axes[r, c].axis("off")
    axes[0, c].set_title(ds.class_names[c], fontsize=9)
fig.suptitle("Three training images of each class")
fig.tight_layout()

# %%
# The network, and its training
# -----------------------------
# Two hidden layers of ReLU units (about 235,000 weights), dropout after each, and a softmax over
# the ten classes. Adam starts at :math:`\eta = 10^{-3}` and a cosine takes it down to 5% of that
# over the 15 epochs. After every epoch the model is scored on the validation images;
# :class:`~layerwise.EarlyStopping` would end the run after 5 epochs without a better score and
# put the best epoch's weights back.
EPOCHS, BATCH = 15, 128


def fashion_network(seed):
    steps = EPOCHS * int(np.ceil(len(ds.x_train) / BATCH))
    model = lw.Sequential([
        lw.Dense(256, "relu", kernel_initializer="he_normal"),
        lw.Dropout(0.2),
        lw.Dense(128, "relu", kernel_initializer="he_normal"),
        lw.Dropout(0.2),
        lw.Dense(10, "softmax"),
    ], seed=seed)
    model.compile(lw.Adam(lw.CosineDecay(1e-3, steps, alpha=0.05)), "categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def train(model):
    stopper = lw.EarlyStopping("val_accuracy", patience=5, restore_best_weights=True)
    model.fit(ds.x_train, ds.y_train, batch_size=BATCH, epochs=EPOCHS, verbose=0,
              validation_data=(ds.x_val, ds.y_val), callbacks=[stopper])
    return model.history.history, stopper


model = fashion_network(seed=0)
model.build((ds.n_features,))
model.summary()

t0 = time.perf_counter()
history, stopper = train(model)
seconds = time.perf_counter() - t0
test = model.evaluate(ds.x_test, ds.y_test)
ran = len(history["loss"])
best_epoch = int(np.argmax(history["val_accuracy"])) + 1
print(f"{ran} epochs on {len(ds.x_train):,} images in {seconds:.0f} s; best validation accuracy "
      f"{max(history['val_accuracy']):.4f} at epoch {best_epoch}; "
      + (f"stopped early, the weights of epoch {best_epoch} restored" if stopper.stopped_epoch is not None
         else f"no 5-epoch stall, so the weights are those of epoch {ran} "
              f"(validation accuracy {history['val_accuracy'][-1]:.4f})"))
print(f"TEST ACCURACY {test['accuracy']:.4f} (test loss {test['loss']:.4f}) on {len(ds.x_test):,} images")
assert test["accuracy"] >= 0.85, "the network of the last chapter no longer trains as it should"

# %%
# The learning curves
# -------------------
# The training loss is measured with dropout on, as the network trains; the validation loss with
# the whole network. The gap that opens between them over the last epochs is the beginning of
# overfitting (the regularisation chapter), which the decaying learning rate and dropout keep small.
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.4))
epochs = np.arange(1, ran + 1)
ax1.plot(epochs, history["loss"], label="training")
ax1.plot(epochs, history["val_loss"], "--", label="validation")
ax2.plot(epochs, history["accuracy"], label="training")
ax2.plot(epochs, history["val_accuracy"], "--", label="validation")
ax2.axvline(best_epoch, color="gray", ls=":", label=f"best epoch ({best_epoch})")
ax1.set(xlabel="epoch", ylabel="cross-entropy", title="Loss")
ax2.set(xlabel="epoch", ylabel="accuracy", title="Accuracy")
for ax in (ax1, ax2):
    ax.grid(alpha=0.3)
    ax.legend(fontsize=9)
fig.tight_layout()

# %%
# Where it goes wrong
# -------------------
# The confusion matrix counts, for each true class (row), what the network answered (column).
# The mistakes are not spread evenly: shirts, T-shirts, pullovers and coats are confused with
# each other, while trousers, bags, sandals and boots are nearly always right. A human asked to
# label these 28×28 pictures has the same trouble (see the published numbers below).
pred = model.predict(ds.x_test).argmax(axis=1)
cm = np.zeros((10, 10), dtype=int)
np.add.at(cm, (ds.y_test, pred), 1)
per_class = cm.diagonal() / cm.sum(axis=1)

fig, ax = plt.subplots(figsize=(7.5, 6.3))
ax.imshow(cm, cmap="Blues")
for (i, j), n in np.ndenumerate(cm):
    if n:
        ax.text(j, i, n, ha="center", va="center", fontsize=8, color="white" if n > cm.max() / 2 else "black")
ax.set_xticks(range(10), ds.class_names, rotation=45, ha="right")
ax.set_yticks(range(10), [f"{name} ({acc:.0%})" for name, acc in zip(ds.class_names, per_class)])
ax.set(xlabel="predicted", ylabel="true class (its accuracy)",
       title=f"Confusion matrix on the 10,000 test images (accuracy {test['accuracy']:.2%})")
fig.tight_layout()

off = cm.copy()
np.fill_diagonal(off, 0)
worst = np.dstack(np.unravel_index(np.argsort(off.ravel())[::-1][:4], off.shape))[0]
for i, j in worst:
    print(f"{off[i, j]:4d} test images of class {ds.class_names[i]!r} were called {ds.class_names[j]!r}")

# %%
# A few of those mistakes, with the network's confidence in its wrong answer:
probs = model.predict(ds.x_test)
wrong = np.flatnonzero(pred != ds.y_test)
wrong = wrong[np.argsort(-probs[wrong, pred[wrong]])][:12]
fig, axes = plt.subplots(2, 6, figsize=(9, 3.8))
for ax, i in zip(axes.flat, wrong):
    ax.imshow(ds.x_test[i].reshape(ds.image_shape), cmap="gray_r")
    ax.set_title(f"{ds.class_names[ds.y_test[i]]}\n→ {ds.class_names[pred[i]]} ({probs[i, pred[i]]:.0%})", fontsize=8)
    ax.axis("off")
fig.suptitle("The twelve most confident mistakes: true class → answer (confidence)")
fig.tight_layout()

# %%
# Two more seeds, and the published numbers
# -----------------------------------------
# One run is one draw: a different seed changes the initial weights, the order of the
# mini-batches and the dropout masks. Two more runs of the same recipe give the spread. Beside
# them, numbers published for the same test set in `Zalando's benchmark
# <https://github.com/zalandoresearch/fashion-mnist#benchmark>`_: their automatic benchmark of
# scikit-learn classifiers, whose best ``MLPClassifier`` (a grid over one or two hidden layers of
# 10 or 100 tanh or ReLU units) reaches 87.7%; an MLP 256-128-64 submitted to their table
# (MXNet, 90.0%, not re-tested by Zalando); and people without fashion expertise, labelling 1,000
# test images three times each (83.5%).
accuracies = [test["accuracy"]]
for seed in (1, 2):
    m = fashion_network(seed)
    train(m)
    accuracies.append(m.evaluate(ds.x_test, ds.y_test)["accuracy"])
mean, spread = np.mean(accuracies), np.std(accuracies, ddof=1)
print("test accuracy of seeds 0, 1, 2:", ", ".join(f"{a:.4f}" for a in accuracies))
print(f"mean ± standard deviation over 3 seeds: {mean:.4f} ± {spread:.4f}")

published = {
    "human, no fashion expertise (Zalando)": 0.835,
    "scikit-learn MLPClassifier, best in Zalando's benchmark": 0.877,
    "MLP 256-128-64, submitted to Zalando's table": 0.900,
}
fig, ax = plt.subplots(figsize=(8.5, 2.9))
names = list(published) + ["this page: 784-256-128-10, 15 epochs (3 seeds)"]
values = list(published.values()) + [mean]
colors = ["tab:gray"] * len(published) + ["tab:blue"]
ax.barh(names, values, color=colors, xerr=[0] * len(published) + [spread], capsize=4)
for k, v in enumerate(values):
    ax.text(v + 0.002, k, f"{v:.1%}", va="center", fontsize=9)
ax.set(xlim=(0.80, 0.93), xlabel="test accuracy on the 10,000 Fashion-MNIST test images",
       title="Beside published results for fully connected networks")
ax.invert_yaxis()
ax.grid(alpha=0.3, axis="x")
fig.tight_layout()

# %%
# A network of Dense layers sees the image as 784 unrelated numbers; it does not know that
# neighbouring pixels belong together. The convolutional networks of Zalando's table know that
# and reach 91–93% with two or three convolutional layers. Within Dense layers, the shipped
# configuration ``examples/configs/fashion-best.toml`` (784-2048-1024-10 with batch norm, AdamW,
# a moving average of the weights and shifted copies of the images, 60 epochs; about 14 minutes
# on two cores, so not run here) is reported in the README at 90.6%: more width, longer training
# and augmentation, each a chapter of this guide.
#
# Exercises
# ---------
# 1. Remove the two ``Dropout`` layers and train again. How do the training and validation curves
#    change, and what happens to the test accuracy? Repeat with three seeds before you conclude.
# 2. Replace the cosine schedule with a constant :math:`\eta = 10^{-3}`. Which epochs differ most?
# 3. Train with ``lw.SGD(0.1, momentum=0.9)`` instead of Adam. Use
#    :meth:`~layerwise.Sequential.find_lr` (the hyperparameter chapter) to choose the rate.
# 4. Use only the first 6,000 training images. How much accuracy do the other 54,000 buy?
# 5. The confusion matrix says "Shirt" is the hardest class. Look at twenty shirts the network
#    called "T-shirt/top" and decide whether you would have done better.
