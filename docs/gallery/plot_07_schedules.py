r"""
Learning-rate schedules
=======================

A schedule makes the learning rate a function of the step, :math:`\eta_t = s(t)`, with
:math:`t` the number of updates done so far. Large steps early cover ground; small steps late
settle into a minimum. The notes' schedule is exponential decay,

.. math::

    \eta_t = \eta_0 \cdot r^{\,t / T} \qquad (\text{or } r^{\lfloor t/T \rfloor} \text{ with } \texttt{staircase=True}),

and :mod:`layerwise.schedules` has the others a modern recipe uses. A schedule is just an object
called with the step, so its curve can be drawn by calling it. Any optimizer takes one in
place of a number: ``lw.Adam(lw.CosineDecay(1e-3, decay_steps=5000))``.
"""

# %%
# The curves
# ----------
import matplotlib.pyplot as plt
import numpy as np

import layerwise as lw

steps = np.arange(0, 1001)
schedules = {
    "Constant(0.1)": lw.Constant(0.1),
    "ExponentialDecay(0.1, decay_steps=200, decay_rate=0.5)": lw.ExponentialDecay(0.1, 200, 0.5),
    "… staircase=True": lw.ExponentialDecay(0.1, 200, 0.5, staircase=True),
    "StepDecay(0.1, step_size=300, gamma=0.3)": lw.StepDecay(0.1, 300, 0.3),
    "PiecewiseConstant([250, 600], [0.1, 0.05, 0.01])": lw.PiecewiseConstant([250, 600], [0.1, 0.05, 0.01]),
    "CosineDecay(0.1, decay_steps=1000, alpha=0.05)": lw.CosineDecay(0.1, 1000, alpha=0.05),
    "LinearWarmup(CosineDecay(0.1, 900), warmup_steps=100)": lw.LinearWarmup(lw.CosineDecay(0.1, 900), 100),
}
fig, ax = plt.subplots(figsize=(8, 4.2))
for name, schedule in schedules.items():
    ax.plot(steps, [schedule(int(t)) for t in steps], label=name)
ax.set(xlabel="step t (optimizer updates)", ylabel="learning rate η_t",
       title="layerwise.schedules, called step by step")
ax.grid(alpha=0.3)
ax.legend(fontsize=7.5)
fig.tight_layout()

# %%
# By name, as configs give them
# -----------------------------
# Every schedule is registered under a name, so a dict (or a TOML table) builds it; a config's
# ``[compile]`` table says ``schedule = { name = "cosine", decay_steps = 25800, alpha = 0.01 }``.
cosine = lw.schedules.get({"name": "cosine", "initial_learning_rate": 0.1, "decay_steps": 1000})
print(cosine, "→ η at steps 0, 500, 1000:", [round(cosine(t), 4) for t in (0, 500, 1000)])

# %%
# A schedule in training
# ----------------------
# SGD on the digits with a constant rate and with the same rate decayed by a cosine over the
# run. The optimizer reports the rate it used each epoch in the ``lr`` column of the history.
ds = lw.datasets.load("digits", validation_size=0.2)
epochs, batch = 40, 32
steps_per_epoch = int(np.ceil(len(ds.x_train) / batch))
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.5))
for label, rate in (("constant 0.2", 0.2), ("cosine from 0.2", lw.CosineDecay(0.2, epochs * steps_per_epoch))):
    model = lw.Sequential([lw.Dense(64, "relu", kernel_initializer="he_normal"), lw.Dense(10, "softmax")], seed=0)
    model.compile(lw.SGD(rate), "categorical_crossentropy", metrics=["accuracy"])
    h = model.fit(ds.x_train, ds.y_train, batch_size=batch, epochs=epochs, verbose=0,
                  validation_data=(ds.x_val, ds.y_val)).history
    ax1.plot(h["lr"], label=label)
    ax2.semilogy(h["loss"], label=f"{label}: training")
    ax2.semilogy(h["val_loss"], "--", label=f"{label}: validation")
    print(f"{label:16s} final validation accuracy {h['val_accuracy'][-1]:.4f}")
ax1.set(xlabel="epoch", ylabel="learning rate", title="The rate each epoch used")
ax2.set(xlabel="epoch", ylabel="cross-entropy", title="Loss")
for ax in (ax1, ax2):
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
fig.tight_layout()

# %%
# Schedules compose with :class:`~layerwise.ReduceLROnPlateau`: the rate used at step t is
# ``schedule(t) × lr_multiplier``, and a plateau only changes the multiplier (see the chapter on
# early stopping and the plateau schedule).
