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
# A schedule in training, where it helps
# --------------------------------------
# A schedule earns its keep when the rate that learns fast at the start is too large to settle
# at the end. SGD with momentum 0.9 at :math:`\eta = 0.1` on 5,000 Fashion-MNIST images (a
# 784-128-10 ReLU network, mini-batches of 64, 12 epochs): a constant rate, the notes'
# exponential decay (multiply by 0.75 every epoch, ``staircase=True``) and a cosine over the
# run, all from the same :math:`\eta_0`, 3 seeds each. The optimizer reports the rate it used
# each epoch in the ``lr`` column of the history.
ds = lw.datasets.load("fashion-mnist", validation_size=5000)
x, y = ds.x_train[:5000], ds.y_train[:5000]
EPOCHS, BATCH = 12, 64
steps_per_epoch = int(np.ceil(len(x) / BATCH))
rates = {
    "constant 0.1": lambda: 0.1,
    "exponential, ×0.75 per epoch": lambda: lw.ExponentialDecay(0.1, steps_per_epoch, 0.75, staircase=True),
    "cosine from 0.1": lambda: lw.CosineDecay(0.1, EPOCHS * steps_per_epoch, alpha=0.01),
}
results = {}
for label, rate in rates.items():
    runs = []
    for seed in range(3):
        model = lw.Sequential([lw.Dense(128, "relu", kernel_initializer="he_normal"), lw.Dense(10, "softmax")],
                              seed=seed)
        model.compile(lw.SGD(rate(), momentum=0.9), "categorical_crossentropy", metrics=["accuracy"])
        runs.append(model.fit(x, y, batch_size=BATCH, epochs=EPOCHS, verbose=0,
                              validation_data=(ds.x_val, ds.y_val)).history)
    results[label] = runs
    final = np.array([h["val_accuracy"][-1] for h in runs])
    print(f"{label:30s} validation accuracy after {EPOCHS} epochs {final.mean():.4f} ± {final.std(ddof=1):.4f} "
          f"(3 seeds)")
base = np.mean([h["val_accuracy"][-1] for h in results["constant 0.1"]])
for label in list(rates)[1:]:
    gain = np.mean([h["val_accuracy"][-1] for h in results[label]]) - base
    print(f"{label} − constant: {100 * gain:+.1f} points")

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.6))
epochs = np.arange(1, EPOCHS + 1)
for (label, runs), color in zip(results.items(), ("tab:gray", "tab:orange", "tab:blue")):
    ax1.plot(epochs, runs[0]["lr"], "o-", ms=3, color=color, label=label)
    for k, h in enumerate(runs):
        ax2.plot(epochs, h["val_accuracy"], color=color, alpha=0.7, label=label if k == 0 else None)
ax1.set(xlabel="epoch", ylabel="learning rate", title="The rate each epoch used")
ax2.set(xlabel="epoch", ylabel="validation accuracy", title="Validation accuracy (3 seeds each)")
for ax in (ax1, ax2):
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
fig.tight_layout()

# %%
# At a constant 0.1 the weights keep being thrown around the minimum: the validation accuracy
# jumps from epoch to epoch and from seed to seed. Both decaying schedules take the same large
# steps at first and then smaller ones, and end higher, with a much smaller spread. Had the
# constant rate been small enough to settle, it would have learned slowly from the start; a
# schedule gets both. With a rate small enough to settle, the schedule gains little (exercise 2):
# it helps when the rate is large.
#
# Schedules compose with :class:`~layerwise.ReduceLROnPlateau`: the rate used at step t is
# ``schedule(t) × lr_multiplier``, and a plateau only changes the multiplier (see the chapter on
# early stopping and the plateau schedule).
#
# Exercises
# ---------
# 1. For the notes' schedule with base rate 0.1, decay rate 0.99 and ``decay_steps`` 1, what is
#    the rate after 100 steps? Check with ``lw.ExponentialDecay(0.1, 1, 0.99)(100)``.
# 2. Run the comparison at :math:`\eta_0 = 0.01`. Does the schedule still help? Why not?
# 3. Add ``lw.LinearWarmup`` in front of the cosine. Does a warm-up change anything for this
#    small network? (It matters most for large batches and for Adam on deep networks.)
# 4. Step decay (``StepDecay``) at epochs 6 and 9: is it as good as the smooth schedules?
