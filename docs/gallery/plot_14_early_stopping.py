r"""
Early stopping and the plateau schedule
=======================================

How many epochs? The book's answer is to let the validation set decide: hold out data the
network never trains on, watch its accuracy, and *stop* once it has not improved for a number
of epochs ("no improvement in 10"). Keeping the weights of the best epoch, rather than the last,
turns this into a simple and strong regulariser.

The same signal can lower the learning rate instead: when validation accuracy stalls, halve
:math:`\eta`, and stop altogether once it has fallen to :math:`\eta_0/1024` (the book's
schedule, ``ReduceLROnPlateau.book()``). Both are callbacks that look at the epoch's logs:

.. code-block:: python

    lw.EarlyStopping("val_accuracy", patience=10, restore_best_weights=True)
    lw.ReduceLROnPlateau("val_loss", factor=0.5, patience=3)
    lw.ReduceLROnPlateau.book()   # halve on a 10-epoch plateau, stop at 1/1024 of the start
"""

# %%
# Early stopping
# --------------
# 150 training images and a network large enough to memorise them: validation loss bottoms
# out early and then rises while the training loss keeps falling.
import matplotlib.pyplot as plt
import numpy as np

import layerwise as lw

ds = lw.datasets.load("digits", validation_size=0.3)
x, y = ds.x_train[:150], ds.y_train[:150]


def make_model():
    model = lw.Sequential([lw.Dense(128, "relu", kernel_initializer="he_normal"), lw.Dense(10, "softmax")], seed=0)
    model.compile(lw.SGD(0.05, momentum=0.9), "categorical_crossentropy", metrics=["accuracy"])
    return model


full = make_model().fit(x, y, batch_size=15, epochs=150, verbose=0, validation_data=(ds.x_val, ds.y_val)).history
stopper = lw.EarlyStopping("val_loss", patience=10, restore_best_weights=True)
model = make_model()
stopped = model.fit(x, y, batch_size=15, epochs=150, verbose=0, callbacks=[stopper],
                    validation_data=(ds.x_val, ds.y_val)).history
best = int(np.argmin(stopped["val_loss"]))
print(f"stopped after epoch {len(stopped['loss'])}; best validation loss {stopped['val_loss'][best]:.4f} at epoch "
      f"{best + 1}; restored weights give validation loss {model.evaluate(ds.x_val, ds.y_val)['loss']:.4f}")
print(f"training all 150 epochs ends at validation loss {full['val_loss'][-1]:.4f}")

fig, ax = plt.subplots(figsize=(7.5, 3.8))
ax.plot(np.arange(1, 151), full["loss"], color="tab:blue", alpha=0.4, label="training loss (150 epochs)")
ax.plot(np.arange(1, 151), full["val_loss"], color="tab:orange", alpha=0.4, label="validation loss (150 epochs)")
ax.plot(np.arange(1, len(stopped["loss"]) + 1), stopped["val_loss"], color="tab:orange", lw=2.5,
        label="validation loss with EarlyStopping(patience=10)")
ax.axvline(best + 1, color="green", ls="--", label=f"best epoch ({best + 1}): weights restored")
ax.axvline(len(stopped["loss"]), color="red", ls=":", label=f"stopped ({len(stopped['loss'])})")
ax.set(xlabel="epoch", ylabel="cross-entropy", yscale="log", title="Stop when validation loss stops improving")
ax.grid(alpha=0.3, which="both")
ax.legend(fontsize=8)
fig.tight_layout()

# %%
# The plateau schedule
# --------------------
# The book's variable learning rate: halve η whenever validation accuracy has not improved for
# ``patience`` epochs, and stop once η is below η₀/1024. ``ReduceLROnPlateau`` only changes the
# optimizer's ``lr_multiplier``, so it composes with any schedule; the ``lr`` column of the
# history records the rate each epoch used.
ds_full = lw.datasets.load("digits", validation_size=0.2)
model = lw.Sequential([lw.Dense(64, "sigmoid"), lw.Dense(10, "softmax")], seed=0)
model.compile(lw.SGD(1.0), "categorical_crossentropy", metrics=["accuracy"])
plateau = lw.ReduceLROnPlateau.book(monitor="val_accuracy", patience=4)
h = model.fit(ds_full.x_train, ds_full.y_train, batch_size=32, epochs=300, verbose=0, callbacks=[plateau],
              validation_data=(ds_full.x_val, ds_full.y_val)).history
print(f"the book's schedule ran {len(h['lr'])} epochs; η went from {h['lr'][0]} to {h['lr'][-1]:.6f}; "
      f"final validation accuracy {h['val_accuracy'][-1]:.4f}")

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.5))
ax1.step(np.arange(1, len(h["lr"]) + 1), h["lr"], where="post")
ax1.set(xlabel="epoch", ylabel="η", yscale="log", title="η halved on each 4-epoch plateau")
ax2.plot(np.arange(1, len(h["lr"]) + 1), h["val_accuracy"])
ax2.set(xlabel="epoch", ylabel="validation accuracy", title="Validation accuracy")
for ax in (ax1, ax2):
    ax.grid(alpha=0.3, which="both")
fig.tight_layout()

# %%
# Exercises
# ---------
# 1. Early stopping uses the validation set to choose the number of epochs. Why must the final
#    accuracy then be measured on a third set, the test set?
# 2. Stop on ``val_accuracy`` instead of ``val_loss``. Does it stop earlier or later, and why do
#    the two disagree?
# 3. With ``patience=1``, how often does the run stop too early? Try five seeds.
# 4. The book's schedule halves η on each plateau until it reaches η₀/1024. How many halvings is
#    that?
