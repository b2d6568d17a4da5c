"""
A first model from Python
=========================

The shortest complete program: load the embedded 8×8 digits, stack two :class:`~layerwise.Dense`
layers, ``compile`` them with an optimizer and a loss, ``fit``, and look at what came out.
The vocabulary is Keras's (``Sequential``, ``compile``, ``fit``, ``evaluate``, ``summary``);
underneath, every layer's forward and backward pass is a few lines of NumPy.
"""

# %%
# The whole program
# -----------------
# Load the data, stack the layers, choose how to learn, learn, and test on images the network
# has never seen:
import layerwise as lw

ds = lw.datasets.load("digits", validation_size=0.2)
model = lw.Sequential([
    lw.Dense(100, "relu", kernel_initializer="he_normal"),
    lw.Dense(10, "softmax"),
], seed=0)
model.compile(lw.SGD(0.1), "categorical_crossentropy", metrics=["accuracy"])
history = model.fit(ds.x_train, ds.y_train, batch_size=32, epochs=30, verbose=0,
                    validation_data=(ds.x_val, ds.y_val))
test = model.evaluate(ds.x_test, ds.y_test)
print(f"test loss {test['loss']:.4f}, test accuracy {test['accuracy']:.4f}")

# %%
# The data
# --------
# :func:`layerwise.datasets.load` returns float32 arrays scaled to [0, 1], rows are samples.
# ``validation_size`` holds out part of the training set for validation; labels may be given as
# integers, and the loss turns them into one-hot targets.
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

# sphinx_gallery_thumbnail_number = 2
print(ds)

fig, axes = plt.subplots(2, 10, figsize=(8, 1.9))
for ax, image, label in zip(axes.flat, ds.x_train, ds.y_train):
    ax.imshow(image.reshape(ds.image_shape), cmap="gray_r")
    ax.set_title(str(label), fontsize=9)
    ax.axis("off")
fig.suptitle("The first twenty training images and their labels")
fig.tight_layout()

# %%
# The model
# ---------
# 64 inputs → 100 ReLU units → 10 softmax outputs. Shapes are inferred from the first batch;
# ``seed`` fixes initialisation, shuffling and dropout, so this page shows the same numbers every
# time it is built.
model.summary()

# %%
# Training
# --------
# ``fit`` returned the history of every epoch: the loss and accuracy on the training data and
# on the validation data.
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.4))
epochs = np.arange(1, len(history.history["loss"]) + 1)
for key, style in (("loss", "-"), ("val_loss", "--")):
    ax1.plot(epochs, history.history[key], style, label=key)
for key, style in (("accuracy", "-"), ("val_accuracy", "--")):
    ax2.plot(epochs, history.history[key], style, label=key)
ax1.set(xlabel="epoch", ylabel="cross-entropy", title="Loss")
ax2.set(xlabel="epoch", ylabel="accuracy", title="Accuracy")
for ax in (ax1, ax2):
    ax.grid(alpha=0.3)
    ax.legend()
fig.tight_layout()

# %%
# Where it goes wrong
# -------------------
# ``predict`` returns the softmax probabilities; the predicted class is the largest. The confusion
# matrix counts, for each true class (row), which class the model chose (column).
pred = model.predict(ds.x_test).argmax(axis=1)
cm = np.zeros((10, 10), dtype=int)
np.add.at(cm, (ds.y_test, pred), 1)

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 4), gridspec_kw={"width_ratios": [1.1, 1]})
ax1.imshow(cm, cmap="Blues")
for (i, j), n in np.ndenumerate(cm):
    if n:
        ax1.text(j, i, n, ha="center", va="center", fontsize=7, color="white" if n > cm.max() / 2 else "black")
ax1.set(xlabel="predicted", ylabel="true", title="Confusion matrix (test set)", xticks=range(10), yticks=range(10))
wrong = np.flatnonzero(pred != ds.y_test)[:12]
ax2.axis("off")
ax2.set_title(f"{(pred != ds.y_test).sum()} misclassified test images: true → predicted", fontsize=10)
for k, i in enumerate(wrong):
    inset = ax2.inset_axes([(k % 4) / 4, 1 - (k // 4 + 1) / 3, 0.22, 0.28])
    inset.imshow(ds.x_test[i].reshape(ds.image_shape), cmap="gray_r")
    inset.set_title(f"{ds.y_test[i]} → {pred[i]}", fontsize=8)
    inset.axis("off")
fig.tight_layout()

# %%
# Every piece of this program has a chapter: the neuron and how it learns, activations, losses,
# backpropagation, optimizers and the rest, ending on a network like this one trained on 60,000
# Fashion-MNIST images. The :doc:`user guide </guide/index>` lists them in order.
#
# Exercises
# ---------
# 1. Change ``Dense(100, ...)`` to ``Dense(10, ...)``. How many parameters does ``summary()``
#    report now, and what happens to the test accuracy?
# 2. Train for 5 epochs instead of 30. Which digits does the confusion matrix say are confused?
# 3. Replace ``lw.SGD(0.1)`` by ``"adam"``. Does it train faster?
