r"""
The notes' tf.keras programs
============================

The notes teach the Keras workflow: ``Sequential`` → ``compile(optimizer, loss, metrics)`` →
``fit`` → ``summary``. :mod:`layerwise.compat.keras` is a namespace with Keras's names, argument
names and defaults, on the layerwise engine, so those programs run with one line changed::

    import layerwise.compat.keras as keras      # instead of: from tensorflow import keras

Below is the notes' iris classifier: one softmax layer of three units with an L2 penalty,
:math:`a = \mathrm{softmax}(xW + b)`, trained by SGD on the sparse categorical cross-entropy
:math:`-\ln a_y` plus :math:`0.01\sum w^2` (Keras's default ``l2()`` factor).
"""

# %%
# The program
# -----------
import matplotlib.pyplot as plt
import numpy as np
from sklearn import datasets

import layerwise.compat.keras as keras

x_train, y_train = datasets.load_iris(return_X_y=True)
rng = np.random.default_rng(116)
order = rng.permutation(len(x_train))
x_train, y_train = x_train[order], y_train[order]

model = keras.models.Sequential([
    keras.layers.Dense(3, activation="softmax", kernel_regularizer=keras.regularizers.l2()),
])
model.compile(optimizer=keras.optimizers.SGD(lr=0.1),
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=False),
              metrics=["sparse_categorical_accuracy"])
history = model.fit(x_train, y_train, batch_size=32, epochs=500, validation_split=0.2, validation_freq=20,
                    verbose=0)
model.summary()

# %%
# The history has Keras's keys; with ``validation_freq=20`` the validation values exist every
# 20th epoch, as in Keras.
h = history.history
print(sorted(h))
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.5))
epochs = np.arange(1, len(h["loss"]) + 1)
val_epochs = np.arange(20, len(h["loss"]) + 1, 20)
ax1.plot(epochs, h["loss"], label="loss")
ax1.plot(val_epochs, h["val_loss"], "o", label="val_loss")
ax2.plot(epochs, h["sparse_categorical_accuracy"], label="sparse_categorical_accuracy")
ax2.plot(val_epochs, h["val_sparse_categorical_accuracy"], "o", label="val_sparse_categorical_accuracy")
ax1.set(xlabel="epoch", title="Loss")
ax2.set(xlabel="epoch", title="Accuracy")
for ax in (ax1, ax2):
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
fig.tight_layout()

# %%
# ``evaluate`` and ``predict`` return what Keras returns:
print("evaluate:", model.evaluate(x_train[-30:], y_train[-30:], verbose=0))
print("predict (first three rows):\n", np.round(model.predict(x_train[:3], verbose=0), 3))

# %%
# What does not map
# -----------------
# Convolutions, recurrent layers, the functional API, subclassing ``keras.Model``: layerwise is
# a library of Dense networks. Such a program fails at once, where the construct is written,
# with one line that names it instead of a confusing error later:
for attempt in (lambda: keras.layers.Conv2D(32, 3), lambda: keras.layers.Dense(4)(keras.Input((8,)))):
    try:
        attempt()
    except Exception as exc:  # a layerwise ConfigError
        print(f"{type(exc).__name__}: {exc}")

# %%
# Exercises
# ---------
# 1. Remove ``kernel_regularizer=keras.regularizers.l2()``. The final loss falls from about 0.35 to
#    about 0.09 while the accuracies hardly move: how much of the loss above was the penalty?
#    Compare ``np.abs(model.get_weights()[0]).sum()`` in the two runs.
# 2. Raise the rate to ``SGD(lr=0.5)``. What do the loss and accuracy curves do? (The iris
#    measurements are not standardised and reach almost 8 cm; the :ref:`optimizers chapter
#    <sphx_glr_auto_examples_plot_07_optimizers.py>` shows why a step can be too long.)
# 3. Give ``fit`` one-hot labels, ``keras.utils.to_categorical(y_train, 3)``, with
#    ``keras.losses.CategoricalCrossentropy()`` and ``metrics=["categorical_accuracy"]``. Which keys
#    does the history have now? Call ``keras.utils.set_random_seed(0)`` before building each model
#    and check that the two runs give the same losses.
