r"""
TensorBoard and MLflow
======================

Two callbacks send a run to the experiment trackers people already use:

- :class:`layerwise.callbacks.TensorBoard` writes event files: every epoch's loss, metrics,
  validation values and learning rate as scalars (tag ``epoch/<name>``), and every
  ``histogram_freq`` epochs the weight and gradient histograms of each layer and the per-layer
  statistics that :class:`~layerwise.Diagnostics` also uses. Extra: ``tensorboard``.
- :class:`layerwise.callbacks.MLflowLogger` logs the model's parameters, the per-epoch metrics
  and, at the end, the model file, to a local ``./mlruns`` store or any tracking server.
  Extra: ``mlflow``.

From the command line: ``layerwise train --tensorboard logs --mlflow ./mlruns`` (and the same
flags on ``layerwise tune``, one run per trial). Then ``tensorboard --logdir logs``, or the
``mlflow ui --backend-store-uri sqlite:///.../mlruns/mlflow.db`` command the run prints (a local
folder gets the SQLite store MLflow 3 recommends).
"""

# %%
# Logging a run to both
# ---------------------
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import layerwise as lw

work = Path(tempfile.mkdtemp())
ds = lw.datasets.load("digits", validation_size=0.2)
model = lw.Sequential([lw.Dense(64, "relu", kernel_initializer="he_normal"), lw.Dense(10, "softmax")], seed=0)
model.compile(lw.SGD(0.1), "categorical_crossentropy", metrics=["accuracy"])
model.fit(ds.x_train, ds.y_train, epochs=12, verbose=0, validation_data=(ds.x_val, ds.y_val),
          callbacks=[lw.callbacks.TensorBoard(work / "logs", histogram_freq=4),
                     lw.callbacks.MLflowLogger(str(work / "mlruns"), experiment="digits", run_name="gallery")])

# %%
# What TensorBoard will show
# --------------------------
# The event files, read back with TensorBoard's own reader:
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402

events = EventAccumulator(str(work / "logs"), size_guidance={"histograms": 0, "scalars": 0})
events.Reload()
tags = events.Tags()
print("scalars:", ", ".join(t for t in tags["scalars"] if t.startswith("epoch/")))
print("histograms:", ", ".join(tags["histograms"]))
print("statistics:", len([t for t in tags["scalars"] if t.startswith("stats/")]), "scalar series, e.g.",
      ", ".join([t for t in tags["scalars"] if t.startswith("stats/")][:3]))

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.5))
for tag in ("epoch/loss", "epoch/val_loss"):
    series = events.Scalars(tag)
    ax1.plot([s.step for s in series], [s.value for s in series], "o-", ms=3, label=tag)
ax1.set(xlabel="epoch", title="Scalars, as TensorBoard stores them")
ax1.legend(fontsize=8)
ax1.grid(alpha=0.3)
for event in events.Histograms("dense_1/kernel"):
    h = event.histogram_value
    edges = np.asarray(h.bucket_limit)
    counts = np.asarray(h.bucket)
    keep = np.isfinite(edges) & (np.abs(edges) < 1)
    ax2.plot(edges[keep], counts[keep], label=f"epoch {event.step}")
ax2.set(xlabel="weight", ylabel="count", title="Histogram of dense_1/kernel")
ax2.legend(fontsize=8)
ax2.grid(alpha=0.3)
fig.tight_layout()

# %%
# What MLflow recorded
# --------------------
from mlflow.tracking import MlflowClient  # noqa: E402

client = MlflowClient(tracking_uri=f"sqlite:///{work / 'mlruns' / 'mlflow.db'}")  # the store --mlflow DIR makes
experiment = client.get_experiment_by_name("digits")
run = client.search_runs([experiment.experiment_id])[0]
print("run:", run.info.run_name, "|", run.info.status)
print("parameters:", dict(sorted(run.data.params.items())))
print("final metrics:", {k: round(v, 4) for k, v in sorted(run.data.metrics.items())})
print("artifacts:", [a.path for a in client.list_artifacts(run.info.run_id)])
accuracy = client.get_metric_history(run.info.run_id, "val_accuracy")
print("val_accuracy by epoch:", [round(m.value, 3) for m in sorted(accuracy, key=lambda m: m.step)])

# %%
# Exercises
# ---------
# 1. Log with ``histogram_freq=1``. How many histograms does each tag hold now
#    (``len(events.Histograms("dense_1/kernel"))``)? And with ``histogram_freq=0``?
# 2. Compile with ``metrics=["accuracy", "f1_macro"]``. Which new scalar tags does TensorBoard
#    show, and which new metrics does MLflow record?
# 3. Run the training cell twice with the same ``run_name``. How many runs does the "digits"
#    experiment hold then, and which of them does ``client.search_runs(...)[0]`` return?
