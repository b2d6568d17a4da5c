r"""
Files, checkpoints and resuming
===============================

A trained model is saved as one ``.lwm`` file: the arrays in the safetensors format and the
architecture, the training configuration and checksums as JSON. Loading never runs code (no
pickle), and every part is checked: a damaged file raises
:class:`~layerwise.ModelFileError` instead of giving a silently different model.

A *checkpoint* is more than the weights: it holds everything a run needs to continue exactly
where it stopped — the optimizer's state (Adam's moments), the schedule's step, the random
generator (shuffling and dropout), the callbacks' counters and the position in the epoch. So a
run that is interrupted and resumed ends with the *same bits* as a run that never stopped.

.. code-block:: python

    model.save("model.lwm")
    model = lw.load("model.lwm")
    model.fit(x, y, epochs=30, checkpoint="run.ckpt", checkpoint_every=500, resume=True)
"""

# %%
# Save and load
# -------------
import os
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import layerwise as lw

work = Path(tempfile.mkdtemp())
ds = lw.datasets.load("digits", validation_size=0.2)


def make_model():
    model = lw.Sequential([lw.Dense(64, "relu", kernel_initializer="he_normal"), lw.Dropout(0.2),
                           lw.Dense(10, "softmax")], seed=0)
    model.compile(lw.Adam(1e-3), "categorical_crossentropy", metrics=["accuracy"])
    return model


model = make_model()
model.fit(ds.x_train, ds.y_train, epochs=5, verbose=0)
model.save(work / "model.lwm")
loaded = lw.load(work / "model.lwm")
print(f"model.lwm: {os.path.getsize(work / 'model.lwm'):,} bytes")
same_predictions = np.array_equal(model.predict(ds.x_test), loaded.predict(ds.x_test))
print("the loaded model predicts exactly the same:", same_predictions)

# %%
# One flipped bit anywhere is found, and named:
data = bytearray((work / "model.lwm").read_bytes())
data[len(data) - 40] ^= 0b100
(work / "damaged.lwm").write_bytes(bytes(data))
try:
    lw.load(work / "damaged.lwm")
except lw.ModelFileError as exc:
    print("ModelFileError:", str(exc).replace(str(work) + os.sep, ""))

# %%
# Interrupt and resume, bit for bit
# ---------------------------------
# Three models with the same seed: one trains 12 epochs straight; one trains 5 epochs with a
# checkpoint and stops (as if interrupted); a fresh one resumes from that checkpoint to 12.
straight = make_model()
h_straight = straight.fit(ds.x_train, ds.y_train, epochs=12, verbose=0, validation_data=(ds.x_val, ds.y_val)).history

first = make_model()
first.fit(ds.x_train, ds.y_train, epochs=5, verbose=0, validation_data=(ds.x_val, ds.y_val),
          checkpoint=work / "run.ckpt")
resumed = make_model()
h_resumed = resumed.fit(ds.x_train, ds.y_train, epochs=12, verbose=0, validation_data=(ds.x_val, ds.y_val),
                        checkpoint=work / "run.ckpt", resume=True).history

same = all(np.array_equal(a, b) for a, b in zip(straight.get_weights(), resumed.get_weights()))
print(f"after 12 epochs the resumed model's weights equal the uninterrupted model's bit for bit: {same}")
print(f"checkpoint file: {os.path.getsize(work / 'run.ckpt'):,} bytes "
      "(weights, Adam's two moments, generator, position)")

fig, ax = plt.subplots(figsize=(7, 3.5))
epochs = np.arange(1, 13)
ax.plot(epochs, h_straight["val_loss"], lw=5, alpha=0.35, label="12 epochs without a stop")
ax.plot(epochs[:5], h_resumed["val_loss"][:5], "o-", label="epochs 1–5, then interrupted")
ax.plot(epochs[5:], h_resumed["val_loss"][5:], "s-", label="epochs 6–12, resumed from the checkpoint")
ax.axvline(5.5, color="gray", ls=":")
ax.set(xlabel="epoch", ylabel="validation loss", title="A resumed run retraces the uninterrupted one")
ax.grid(alpha=0.3)
ax.legend(fontsize=8)
fig.tight_layout()

# %%
# The model's arrays by name
# --------------------------
# Files, checkpoints, ``get_weights``/``set_weights`` and the ONNX export all name a model's
# arrays the same way: ``layer/key`` for parameters, ``layer/state/key`` for statistics such as
# BatchNorm's moving averages, ``ema/...`` for a moving average of the weights
# (:mod:`layerwise.core.state` is the one place that names them). ``get_weights`` returns them in
# Keras's order, parameters first, then each layer's statistics:
from layerwise.core import state  # noqa: E402

bn = lw.Sequential([lw.Dense(8, "relu"), lw.BatchNorm(), lw.Dense(3, "softmax")], seed=0)
bn.compile("adam", "categorical_crossentropy")
bn.build((4,))
for name, array in state.named_arrays(bn):
    print(f"{name:36s} {tuple(array.shape)}")

# %%
# From the command line
# ---------------------
# ``layerwise train`` checkpoints at the end of every epoch (and every N steps with
# ``--checkpoint-every N``); Ctrl-C stops at the end of the current batch (on the XLA engine, of the
# compiled run under way: :doc:`/guide/saving`), writes a checkpoint and says how to continue. ``layerwise train --resume runs/<dir>`` continues, ``--epochs N`` trains a
# finished run further, and every file is written to a temporary name and renamed, so a crash
# never leaves a half-written model or checkpoint.
#
# Exercises
# ---------
# 1. Flip a bit near the start of a fresh copy of the file instead, for example ``data[100]``.
#    Which part of the file does the error name now? (The file begins with eight bytes that give
#    the length of a JSON header; the arrays follow it.)
# 2. Resume the interrupted run with ``batch_size=64``. What does the error say, and why can such
#    a run not end with the same bits?
# 3. ``bn.count_params()`` says 83, but the arrays of ``bn.get_weights()`` hold 99 numbers. Which
#    16 are not parameters, and why do they get no gradient?
# 4. Compile a model with ``ema=0.99`` (the :ref:`EMA chapter
#    <sphx_glr_auto_examples_plot_13_ema.py>`), train it for an epoch and list
#    ``state.named_arrays`` again. Which arrays does the average add?
