r"""
A moving average of the weights
===============================

Stochastic gradient descent never settles exactly: each mini-batch pushes the weights a little
this way or that, and near a minimum they wander around it. Averaging the recent weights cancels
much of that wandering. The notes' *moving average* (TensorFlow's ``ExponentialMovingAverage``)
keeps a shadow copy of every parameter and, after every update,

.. math::

    \text{shadow} \leftarrow d \cdot \text{shadow} + (1 - d)\cdot w, \qquad
    d = \min\!\Big(\text{decay}, \frac{1 + t}{10 + t}\Big),

where :math:`t` counts the updates made so far. The second term makes the average follow the
weights closely at the start, when old weights are poor; later it averages over about
:math:`1/(1-\text{decay})` steps. Training itself is unchanged: the shadow is only used for
``evaluate`` and ``predict`` (and saved with the model). In layerwise it is one argument:
``model.compile(..., ema=0.99)``.
"""

# %%
# The average of a wandering value
# --------------------------------
# The :class:`~layerwise.ExponentialMovingAverage` object updates any list of arrays in place;
# here, a single number that drifts towards 1 with noise, as a weight does under SGD.
import matplotlib.pyplot as plt
import numpy as np

import layerwise as lw

rng = np.random.default_rng(0)
steps = 400
value = np.array([0.0])
trace = []
averages = {0.9: lw.ExponentialMovingAverage(0.9), 0.99: lw.ExponentialMovingAverage(0.99)}
shadows = {decay: [] for decay in averages}
for _ in range(steps):
    value += 0.03 * (1.0 - value) + rng.normal(0, 0.05)
    trace.append(value[0])
    for decay, ema in averages.items():
        ema.update([value])
        shadows[decay].append(ema.shadows[0][0])

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.5), gridspec_kw={"width_ratios": [2, 1]})
ax1.plot(trace, color="lightgray", label="the value (noisy)")
for decay, s in shadows.items():
    ax1.plot(s, label=f"moving average, decay {decay}")
ax1.set(xlabel="update t", title="A moving average follows the trend and drops the noise")
ax1.legend(fontsize=8)
ax1.grid(alpha=0.3)
ts = np.arange(steps)
for decay, ema in averages.items():
    ax2.plot(ts, [ema.effective_decay(int(t)) for t in ts], label=f"decay {decay}")
ax2.set(xlabel="update t", ylabel="d", title="d = min(decay, (1 + t)/(10 + t))", xscale="log")
ax2.legend(fontsize=8)
ax2.grid(alpha=0.3)
fig.tight_layout()

# %%
# On a network
# ------------
# The digits, plain SGD with a deliberately large, constant rate, so that the weights keep
# jumping. Two models with the same seed follow exactly the same training path; one of them is
# evaluated with the averaged weights.
ds = lw.datasets.load("digits", validation_size=0.2)
models = {}
for label, ema in (("the weights", None), ("their moving average (decay 0.99)", 0.99)):
    model = lw.Sequential([lw.Dense(100, "relu", kernel_initializer="he_normal"), lw.Dense(10, "softmax")], seed=0)
    model.compile(lw.SGD(0.5), "categorical_crossentropy", metrics=["accuracy"], ema=ema)
    models[label] = model
accuracy = {label: [] for label in models}
for _epoch in range(25):
    for label, model in models.items():
        model.fit(ds.x_train, ds.y_train, batch_size=16, epochs=1, verbose=0)
        accuracy[label].append(model.evaluate(ds.x_val, ds.y_val)["accuracy"])

fig, ax = plt.subplots(figsize=(7, 3.5))
for label, values in accuracy.items():
    ax.plot(np.arange(1, 26), values, "o-", ms=3, label=label)
ax.set(xlabel="epoch", ylabel="validation accuracy", title="SGD with η = 0.5: raw weights against their average")
ax.grid(alpha=0.3)
ax.legend()
fig.tight_layout()
for label, values in accuracy.items():
    print(f"{label:34s} mean validation accuracy over the last 10 epochs {np.mean(values[-10:]):.4f}, "
          f"spread (sd) {np.std(values[-10:]):.4f}")

# %%
# ``evaluate`` and ``predict`` swap the averages in for the duration of the call and put the
# trained weights back; ``save`` stores both, so a loaded model predicts exactly as the saved one.
#
# Exercises
# ---------
# 1. How many updates does it take before the notes' decay :math:`\min(0.99, (1+t)/(10+t))`
#    reaches 0.99? What is it after 10 updates?
# 2. Show that a moving average with constant decay :math:`d` weighs an update :math:`k` steps
#    old by :math:`(1-d)\,d^k`, and that these weights sum to (almost) 1.
# 3. Train with ``SGD(0.05)`` instead of 0.5. Does the average still help? Why would it help less?
# 4. Use ``ema=0.999`` on the digits. Why can too slow an average hurt in a short run?
