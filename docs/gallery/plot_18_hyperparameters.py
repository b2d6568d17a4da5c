r"""
Choosing hyperparameters
========================

The learning rate, the width of the layers, the penalty: none of them is learned by
backpropagation, and the notes give a procedure for each. This chapter follows it with the
tools layerwise has for it: the learning-rate finder, then a search over a grid or with a
Bayesian sampler (TPE), run by Optuna, on one machine or many.

The learning rate first
-----------------------
The book's method: start small (η = 0.01) and raise η by factors until the training loss, in
the first few epochs, stops falling and starts to oscillate or grow. That rate is the
*threshold*; train at about half of it. :meth:`Sequential.find_lr <layerwise.Sequential.find_lr>`
automates the sweep: it trains one mini-batch at each of a geometric series of rates, from
:math:`10^{-5}` to 10, smooths the loss (:math:`\bar L \leftarrow 0.9 \bar L + 0.1 L`), and
stops when it exceeds four times its best. The weights, the optimizer and the random generator
are restored afterwards, so the sweep leaves no trace. From the command line:
``layerwise lr-find --dataset digits``.
"""

# %%
import os
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import tomli_w

import layerwise as lw

ds = lw.datasets.load("digits", validation_size=0.2)
model = lw.Sequential([lw.Dense(100, "relu", kernel_initializer="he_normal"), lw.Dense(10, "softmax")], seed=0)
model.compile(lw.SGD(0.1), "categorical_crossentropy", metrics=["accuracy"])
result = model.find_lr(ds.x_train, ds.y_train, steps=120)
print(f"threshold {result.threshold:.3g}, suggestion (half of it) {result.suggestion:.3g}, "
      f"steepest descent at {result.steepest:.3g}")
print(result.note)

fig, ax = plt.subplots(figsize=(7, 3.8))
ax.plot(result.lrs, result.losses)
for rate, label, color in ((result.threshold, "threshold", "red"), (result.suggestion, "suggestion", "green"),
                           (result.steepest, "steepest", "orange")):
    ax.axvline(rate, color=color, ls="--", label=f"{label} {rate:.3g}")
ax.set(xscale="log", xlabel="learning rate (one mini-batch each)", ylabel="training loss (smoothed)",
       title="The learning-rate finder on the digits")
ax.grid(alpha=0.3, which="both")
ax.legend()
fig.tight_layout()

# %%
# Does the suggestion train well? A few epochs at rates around it:
fig, ax = plt.subplots(figsize=(7, 3.5))
for rate in sorted({round(result.suggestion / 10, 4), round(result.suggestion, 4), round(result.threshold, 4),
                    round(4 * result.threshold, 4)}):
    m = lw.Sequential([lw.Dense(100, "relu", kernel_initializer="he_normal"), lw.Dense(10, "softmax")], seed=0)
    m.compile(lw.SGD(rate), "categorical_crossentropy", metrics=["accuracy"])
    h = m.fit(ds.x_train, ds.y_train, epochs=8, verbose=0).history
    ax.plot(np.arange(1, 9), h["loss"], "o-", ms=3, label=f"η = {rate:g}")
ax.set(xlabel="epoch", ylabel="training loss", yscale="log", title="Training at rates around the threshold")
ax.grid(alpha=0.3, which="both")
ax.legend(fontsize=8)
fig.tight_layout()

# %%
# A grid search
# -------------
# ``layerwise tune`` reads a run's TOML config with a ``[tune]`` table that says which options to
# vary and how to judge a trial. This is ``examples/configs/tune.toml``, shipped and tested:
#
# .. literalinclude:: /../examples/configs/tune.toml
#    :language: toml
#
# Every trial is a full run (its own run directory); the study directory gets ``results.csv``,
# ``summary.json`` and ``best_config.toml``, which ``layerwise train --config`` runs as it is.
# Here the same function that the command calls runs it in a temporary directory:
from layerwise.app import config as config_mod  # noqa: E402
from layerwise.app.tune import tune  # noqa: E402

examples = Path(lw.__file__).resolve().parents[2] / "examples" / "configs"
work = Path(tempfile.mkdtemp())
here = os.getcwd()
os.chdir(work)  # anything a run writes relative to the working directory stays in the temporary one
summary = tune(examples / "tune.toml", study_dir=work / "grid")
plt.rcdefaults()  # Optuna's plots (written to the study directory) leave their style behind
import csv  # noqa: E402

rows = list(csv.DictReader(open(work / "grid" / "results.csv")))
rates = sorted({float(r["compile.learning_rate"]) for r in rows})
widths = sorted({int(r["model.sizes.1"]) for r in rows})
table = np.full((len(widths), len(rates)), np.nan)
for r in rows:
    table[widths.index(int(r["model.sizes.1"])), rates.index(float(r["compile.learning_rate"]))] = float(r["value"])
fig, ax = plt.subplots(figsize=(4.5, 3.2))
ax.imshow(table, cmap="viridis")
for (i, j), v in np.ndenumerate(table):
    ax.text(j, i, f"{v:.3f}", ha="center", va="center",
            color="black" if v > np.nanmean(table) else "white")
ax.set(xticks=range(len(rates)), xticklabels=rates, yticks=range(len(widths)), yticklabels=widths,
       xlabel="learning rate", ylabel="hidden units", title="Grid search: validation accuracy")
fig.tight_layout()
print(f"{summary['complete']} trials in {summary['wall_seconds']:.1f} s; best {summary['metric']} "
      f"{summary['best_value']:.4f} with {summary['best_params']}")

# %%
# A Bayesian search (TPE)
# -----------------------
# For more than two or three options a grid grows too fast. ``sampler = "tpe"`` (Optuna's
# tree-structured Parzen estimator) samples ranges: it starts at random and then proposes points
# near the best trials so far. ``log = true`` samples a rate evenly over its orders of magnitude,
# and a pruner (``median``, ``hyperband``) stops trials that fall behind, epoch by epoch.
cfg = config_mod.load(examples / "tune.toml")
cfg["name"] = "digits-tpe"
cfg["fit"]["epochs"] = 5
cfg["tune"] = {"sampler": "tpe", "pruner": "median", "metric": "val_accuracy", "trials": 8,
               "params": {"compile.learning_rate": {"low": 0.003, "high": 1.0, "log": True},
                          "model.sizes.1": {"choices": [16, 32, 64, 128]}}}
(work / "tpe.toml").write_text(tomli_w.dumps({k: v for k, v in cfg.items() if v is not None}))
tpe = tune(work / "tpe.toml", study_dir=work / "tpe")
plt.rcdefaults()
rows = list(csv.DictReader(open(work / "tpe" / "results.csv")))
fig, ax = plt.subplots(figsize=(6, 3.4))
for r in rows:
    if r["value"]:
        ax.scatter(float(r["compile.learning_rate"]), float(r["value"]), s=int(r["model.sizes.1"]),
                   color="tab:blue" if r["state"] == "COMPLETE" else "tab:gray", alpha=0.7)
        ax.annotate(r["number"], (float(r["compile.learning_rate"]), float(r["value"])), fontsize=8)
ax.set(xscale="log", xlabel="learning rate", ylabel="validation accuracy",
       title="TPE trials: number = order, size = width, gray = pruned")
ax.grid(alpha=0.3, which="both")
fig.tight_layout()

# %%
# Many workers, many machines
# ---------------------------
# A study lives in an Optuna storage: by default a SQLite file in the study directory, shared by
# ``--workers N`` processes on one machine. Give it a PostgreSQL URL and workers on other
# machines can join the same study, each taking the next trial:
#
# .. code-block:: bash
#
#    layerwise tune my.toml --storage postgresql://user@dbhost/layerwise --study fashion --workers 2
#    # on every other machine, with the same config and data:
#    layerwise tune my.toml --storage postgresql://user@dbhost/layerwise --study fashion --worker-only
#
# A grid is queued once, so every point runs exactly once however many workers there are.
# Workers send heartbeats; a trial whose worker died is marked failed and retried once, and
# running ``tune`` again resumes the study without repeating finished trials.
os.chdir(here)

# %%
# Exercises
# ---------
# 1. Run ``find_lr`` for the same network with Adam instead of SGD. How do the threshold and the
#    suggestion compare?
# 2. A 3×3 grid and 9 TPE trials cost the same. Which found the better point here, and would the
#    answer change with 4 hyperparameters?
# 3. The notes choose η first, then the number of epochs by early stopping, then λ. Why this
#    order? What could go wrong in another?
# 4. Which hyperparameters of the :ref:`last chapter's network
#    <sphx_glr_auto_examples_plot_19_fashion_mnist.py>` would you search first, and over what
#    ranges?
