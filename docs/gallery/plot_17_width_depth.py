r"""
Choosing width and depth
========================

How many hidden layers, and how many units in each? Theory gives a surprisingly weak answer: one
hidden layer with enough units can approximate any continuous function as closely as you like
(the *universal approximation theorem*; Nielsen's chapter 4 shows why with pictures). It says
nothing about how many units "enough" is, or how easy they are to train. The notes add three
rules of thumb from practice:

* **a funnel**: each hidden layer narrower than the one below, because many low-level features
  combine into fewer high-level ones (784 → 256 → 128 is a funnel);
* **depth before width**: an extra layer usually buys more than more units per layer, because
  deep networks build features out of features and can represent some functions with far fewer
  units than a shallow one;
* and, implicitly, **no more than the data can support**: every weight is something to learn,
  and a network with many more weights than examples overfits unless regularised.

Each is a hypothesis about *your* problem, and testing it costs a few small runs. This chapter
runs them on Fashion-MNIST. A layer of :math:`n_\text{out}` units on :math:`n_\text{in}` inputs
has :math:`n_\text{in} n_\text{out} + n_\text{out}` parameters, so width grows the count
quickly on 784 inputs, while a narrow extra layer is cheap.
"""

# %%
# The runs
# --------
# 5,000 training images, 8 epochs of Adam (:math:`\eta = 10^{-3}` decayed by a cosine, so that
# the last epoch does not land on a random point of its jitter; mini-batches of 64), ReLU units
# with He initialisation, validation accuracy on 5,000 other images, 2 seeds per network.
# Three families: one hidden layer of growing width; layers of 128 units, growing in number; and
# the notes' funnel.
import time

import matplotlib.pyplot as plt
import numpy as np

import layerwise as lw

ds = lw.datasets.load("fashion-mnist", validation_size=5000)
x, y = ds.x_train[:5000], ds.y_train[:5000]
families = {
    "one layer, wider": [[16], [64], [256]],
    "128 units a layer, deeper": [[128], [128, 128], [128, 128, 128]],
    "funnel": [[256, 128], [256, 128, 64]],
}
SEEDS = 2
results = {}
t0 = time.perf_counter()
for family, shapes in families.items():
    for hidden in shapes:
        runs = []
        for seed in range(SEEDS):
            model = lw.Sequential([lw.Dense(u, "relu", kernel_initializer="he_normal") for u in hidden]
                                  + [lw.Dense(10, "softmax")], seed=seed)
            model.compile(lw.Adam(lw.CosineDecay(1e-3, 8 * 79)), "categorical_crossentropy", metrics=["accuracy"])
            h = model.fit(x, y, batch_size=64, epochs=8, verbose=0, validation_data=(ds.x_val, ds.y_val)).history
            runs.append((h["accuracy"][-1], h["val_accuracy"][-1]))
        runs = np.array(runs)
        results[family, tuple(hidden)] = (model.count_params(), runs.mean(axis=0), runs.std(axis=0, ddof=1))
print(f"{len(results)} networks × {SEEDS} seeds in {time.perf_counter() - t0:.0f} s\n")
print(f"{'hidden layers':18s} {'parameters':>10s} {'training':>9s} {'validation':>17s}")
for (family, hidden), (params, mean, sd) in results.items():
    name = "-".join(map(str, hidden))
    print(f"{name:18s} {params:10,d} {mean[0]:9.4f} {mean[1]:9.4f} ± {sd[1]:.4f}")

# %%
# Accuracy against size
# ---------------------
fig, ax = plt.subplots(figsize=(7.5, 4.2))
for (family, shapes), color, marker in zip(families.items(), ("tab:blue", "tab:orange", "tab:green"), "osD"):
    pts = [results[family, tuple(h)] for h in shapes]
    ax.errorbar([p[0] for p in pts], [p[1][1] for p in pts], yerr=[p[2][1] for p in pts], fmt=marker + "-",
                color=color, capsize=3, label=family)
    for hidden, p in zip(shapes, pts):
        ax.annotate("-".join(map(str, hidden)), (p[0], p[1][1]), textcoords="offset points", xytext=(5, -12),
                    fontsize=8, color=color)
ax.set_xscale("log")
ax.set_xticks([1e4, 3e4, 1e5, 3e5], ["10,000", "30,000", "100,000", "300,000"])
ax.minorticks_off()
ax.set(xlabel="parameters", ylabel="validation accuracy",
       title="5,000 Fashion-MNIST images, 8 epochs (mean of 2 seeds, ±1 sd)")
ax.grid(alpha=0.3, which="both")
ax.legend(fontsize=9, loc="lower right")
fig.tight_layout()

# %%
# What the measurements say
# -------------------------
# *Width* helps, with diminishing returns: 16 units are too few for ten kinds of clothing, 64 do
# much better, and quadrupling again to 256 gains less. *Depth* helps more per parameter: a
# second and a third layer of 128 units add about 17,000 parameters each and gain more than
# widening the single layer to 256 (100,000 more parameters). The notes' rule of thumb holds on
# this data. The *funnel* 256-128 is the best network here; a third, narrower layer adds nothing.
# The spread between the two seeds (after ±) is a few tenths of a point, smaller than most of
# these differences, so they are not noise, for this data set, this budget and these seeds.
# Meanwhile the training accuracy climbs faster than the validation accuracy as the networks
# grow: part of every extra parameter goes into memorising the 5,000 images.
#
# How to choose
# -------------
# 1. Start with one or two hidden layers in a funnel, wide enough that the training accuracy
#    climbs well above the validation accuracy: then the network can fit, and the problem is
#    generalisation, not capacity.
# 2. Grow width or depth only while the *validation* accuracy improves by more than the spread
#    between seeds; measure the spread first (two or three seeds).
# 3. A bigger network with regularisation (dropout, L2, augmentation) usually beats a smaller
#    one without: size buys the capacity, regularisation keeps it honest.
# 4. Count parameters against examples: here, 5,000 images and 200,000 weights is already many
#    weights per example.
#
# Exercises
# ---------
# 1. Rerun with all 55,000 training images (fewer epochs). Do the larger networks pull ahead now?
# 2. Add a network of five layers of 128. Does depth keep helping? Look at the training curves.
# 3. Turn the funnel upside down (64-128-256). Is it worse?
# 4. Compare ``[16]`` and ``[16, 16]``: does depth help a very narrow network?
