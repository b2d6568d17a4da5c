"""See inside training: per-layer statistics, health warnings, and the learning-rate finder.

    model.fit(x, y, callbacks=[Diagnostics(every=20)])     # or fit(..., ) via `layerwise train --diagnostics`

Every ``every`` steps :class:`Diagnostics` records, for each Dense layer: the gradient norm
‖∂L/∂W‖, the weight norm ‖W‖, the update-to-weight ratio ‖ΔW‖/‖W‖ of the next step, the mean and
standard deviation of its activations, the fraction of saturated units (sigmoid a < 0.01 or
a > 0.99; tanh |a| > 0.99) and NaN/inf counts; over each epoch it counts ReLU-family units that
were never active in any sampled batch (dead units). At each epoch's end it checks:

| warning | fires when (thresholds)                                                       |
|---------|-------------------------------------------------------------------------------|
| vanishing gradients | first layer's gradient norm < 1/100 of the last layer's (epoch median) |
| exploding gradients | a layer's gradient norm > 1000× its first recorded value, or NaN/inf   |
| dying ReLUs | > 50% of a ReLU layer's units never active during the epoch (≥ 100 inputs sampled) |
| saturation | > 50% of a sigmoid/tanh layer's activations saturated (epoch mean)       |
| learning rate too high | training loss rose > 5% epoch over epoch, became NaN/inf, or spiked (see below) |
| overfitting | validation loss rose three epochs running, to > 10% above its best, while training loss fell |

An epoch-over-epoch rise of the training loss counts only when it is also > 2% of the first
epoch's loss; a spike is its running average (β = 0.9 over batches) climbing above 1.5× its
lowest value by more than ¼ of the starting loss.

Each warning names the layer and the number behind it and suggests the notes' remedy; it is
shown once per layer and kind. The cost: on sampled steps one pass over the weights and
gradients (norms, and a copy of each kernel for the update ratio) plus statistics of the
cached activations; with every=20 that is about 0.1 extra passes per step.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..core.backend import to_numpy
from ..errors import ConfigError
from ..training.callbacks import Callback

VANISHING_RATIO = 1e-2
EXPLODING_GROWTH = 1e3
DEAD_FRACTION = 0.5
DEAD_MIN_ROWS = 100  # sampled inputs an epoch needs before "never active" means anything
SATURATED_FRACTION = 0.5
LOSS_RISE = 1.05
LOSS_SPIKE = 1.5
SPIKE_OF_START = 0.25  # a LOSS_SPIKE climb must also exceed this fraction of the loss at the start of training
RISE_OF_START = 0.02  # an epoch-over-epoch rise must also exceed this fraction of the first epoch's loss
OVERFIT_RISE = 1.10  # over three epochs running (two-epoch bumps of ~10% are noise that plateau schedules absorb)

REMEDIES = {
    "vanishing": "try He or Xavier initialisation, ReLU-family activations, or batch normalisation",
    "exploding": "clip gradients (clipnorm/clipvalue) or lower the learning rate",
    "dying": "try LeakyReLU or ELU, or a lower learning rate",
    "saturation": "try ReLU-family activations, Xavier/He initialisation, or batch normalisation",
    "lr": "lower the learning rate (try about half of the threshold lr-find reports)",
    "overfitting": "use early stopping, L2 regularisation, dropout, or more data",
}


@dataclass
class Warning_:
    kind: str
    layer: str | None
    value: float
    epoch: int
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "layer": self.layer, "value": self.value,
                "epoch": self.epoch + 1,  # 1-based, as printed
                "message": self.message}


class Diagnostics(Callback):
    """Per-layer statistics every ``every`` steps and plain-words health warnings per epoch.

    ``records``: one dict per sampled step; ``epochs``: per-epoch summaries; ``warnings``: what
    fired. With ``run_dir`` they are written to diagnostics.csv, warnings.json and plots/.

    A callback: ``model.fit(x, y, callbacks=[Diagnostics()])``. It watches the Dense layers.

    Parameters
    ----------
    every : int, default 20
        Record the statistics every this many optimizer steps (≥ 1): about 1/every extra passes
        over the weights per step.
    run_dir : str, pathlib.Path or None, default None
        A folder to write diagnostics.csv, warnings.json and the plots into when training ends
        (plots need matplotlib). None: keep them in memory only.
    verbose : bool, default True
        Print each warning to stderr when it fires.
    """

    def __init__(self, every: int = 20, run_dir=None, verbose: bool = True):
        super().__init__()
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ConfigError(f"every must be a positive integer, got {every!r}")
        self.every, self.run_dir, self.verbose = every, run_dir, verbose
        self.records: list[dict[str, Any]] = []
        self.epochs: list[dict[str, Any]] = []
        self.warnings: list[Warning_] = []

    # -- sampling -----------------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        from ..core.layers import Dense
        self.layers = [layer for layer in self.model.layers if isinstance(layer, Dense)]
        self._first_grad: dict[str, float] = {}
        self._fired: set[tuple[str, str | None]] = {(w.kind, w.layer) for w in self.warnings}
        self._prev_kernels = None
        self._loss_avg, self._loss_avg_min, self._loss_seen, self._spike = 0.0, math.inf, 0, 0.0
        self._loss_start = math.inf
        self._start_epoch()

    def _start_epoch(self):
        self._epoch_records: list[dict[str, Any]] = []
        self._active = {layer.name: None for layer in self.layers}
        self._active_rows: dict[str, int] = {}  # rows behind each _active: too few say nothing about dying

    def on_batch_end(self, batch, logs=None):
        step = self.model.optimizer.iterations
        if logs and "loss" in logs and math.isfinite(logs["loss"]):  # running average of the batch losses
            self._loss_seen += 1
            self._loss_avg = 0.9 * self._loss_avg + 0.1 * float(logs["loss"])
            avg = self._loss_avg / (1 - 0.9 ** self._loss_seen)
            if self._loss_seen == 5:
                self._loss_start = avg
            # a climb counts when it is large against both the lowest value and the starting loss:
            # batch noise near convergence (0.03 → 0.08 on digits) is a big ratio but no divergence
            if self._loss_seen > 5 and avg - self._loss_avg_min > SPIKE_OF_START * self._loss_start:
                self._spike = max(self._spike, avg / max(self._loss_avg_min, 1e-12))
            self._loss_avg_min = min(self._loss_avg_min, avg)
        if self._prev_kernels is not None:  # the update-to-weight ratio of the step after a sample
            rec = self.records[-1]
            for layer, prev in zip(self.layers, self._prev_kernels):
                w = to_numpy(layer.params["kernel"])
                rec[f"{layer.name}/update_ratio"] = float(np.linalg.norm(w - prev) / max(np.linalg.norm(prev), 1e-30))
            self._prev_kernels = None
        if step % self.every:
            return
        rec: dict[str, Any] = {"step": step}
        if logs and "loss" in logs:
            rec["loss"] = float(logs["loss"])
        for layer in self.layers:
            n = layer.name
            g = to_numpy(layer.grads["kernel"]) if layer.trainable else None
            w = to_numpy(layer.params["kernel"])
            a = layer.last_output
            a = to_numpy(a) if a is not None else None
            if g is not None:
                rec[f"{n}/grad_norm"] = float(np.linalg.norm(g))
                self._first_grad.setdefault(n, rec[f"{n}/grad_norm"])
            rec[f"{n}/weight_norm"] = float(np.linalg.norm(w))
            bad = int((~np.isfinite(w)).sum()) + (int((~np.isfinite(g)).sum()) if g is not None else 0)
            if a is not None:
                rec[f"{n}/act_mean"], rec[f"{n}/act_std"] = float(a.mean()), float(a.std())
                bad += int((~np.isfinite(a)).sum())
                act = layer.activation.name
                if act in ("relu", "leaky_relu", "elu"):
                    on = (a > 0).any(axis=0)
                    self._active[n] = on if self._active[n] is None else (self._active[n] | on)
                    self._active_rows[n] = self._active_rows.get(n, 0) + int(a.shape[0])
                if act == "sigmoid":
                    rec[f"{n}/saturated"] = float(((a < 0.01) | (a > 0.99)).mean())
                elif act == "tanh":
                    rec[f"{n}/saturated"] = float((np.abs(a) > 0.99).mean())
            rec[f"{n}/nonfinite"] = bad
        self._epoch_records.append(rec)
        self.records.append(rec)
        self._prev_kernels = [to_numpy(layer.params["kernel"]).copy() for layer in self.layers]

    # -- checks -------------------------------------------------------------------------------------
    def _warn(self, kind: str, layer: str | None, value: float, epoch: int, text: str):
        if (kind, layer) in self._fired:
            return
        self._fired.add((kind, layer))
        w = Warning_(kind, layer, float(value), epoch, f"{text} — {REMEDIES[kind]}")
        self.warnings.append(w)
        if self.verbose:
            from rich.console import Console
            Console(highlight=False, stderr=True).print(f"[bold yellow]warning[/] (epoch {epoch + 1}): {w.message}",
                                                         soft_wrap=True)

    def _median(self, key: str) -> float | None:
        vals = [r[key] for r in self._epoch_records if key in r and math.isfinite(r[key])]
        return float(np.median(vals)) if vals else None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        summary: dict[str, Any] = {"epoch": epoch}
        for layer in self.layers:
            n = layer.name
            for stat in ("grad_norm", "weight_norm", "update_ratio", "act_mean", "act_std", "saturated"):
                v = self._median(f"{n}/{stat}")
                if v is not None:
                    summary[f"{n}/{stat}"] = v
            if self._active[n] is not None and self._active_rows.get(n, 0) >= DEAD_MIN_ROWS:
                summary[f"{n}/dead"] = float(1.0 - self._active[n].mean())
            summary[f"{n}/nonfinite"] = int(sum(r.get(f"{n}/nonfinite", 0) for r in self._epoch_records))
        summary.update({k: v for k, v in logs.items() if k in ("loss", "val_loss", "lr")})
        self.epochs.append(summary)
        self._check(epoch, summary)
        self._start_epoch()
        if self.run_dir is not None:
            self._write()

    def _check(self, epoch: int, s: dict[str, Any]) -> None:
        layers = [layer for layer in self.layers if f"{layer.name}/grad_norm" in s]
        if len(layers) >= 2:
            first, last = s[f"{layers[0].name}/grad_norm"], s[f"{layers[-1].name}/grad_norm"]
            if last > 0 and first / last < VANISHING_RATIO:
                self._warn("vanishing", layers[0].name, first / last, epoch,
                           f"vanishing gradients: layer {layers[0].name!r} gets a gradient norm {first:.2e}, "
                           f"{last / max(first, 1e-300):.0f}× smaller than the last layer's ({last:.2e}), so it "
                           "barely learns")
        for layer in self.layers:
            n = layer.name
            g, g0 = s.get(f"{n}/grad_norm"), self._first_grad.get(n)
            if s.get(f"{n}/nonfinite", 0):
                self._warn("exploding", n, s[f"{n}/nonfinite"], epoch,
                           f"NaN/inf: layer {n!r} has {s[f'{n}/nonfinite']} non-finite weights, gradients or "
                           "activations")
            elif g is not None and g0 and g > EXPLODING_GROWTH * g0:
                self._warn("exploding", n, g / g0, epoch,
                           f"exploding gradients: layer {n!r}'s gradient norm grew {g / g0:.0f}× since the "
                           f"start ({g0:.2e} → {g:.2e})")
            dead = s.get(f"{n}/dead")
            if dead is not None and dead > DEAD_FRACTION:
                self._warn("dying", n, dead, epoch,
                           f"dying ReLUs: {dead:.0%} of layer {n!r}'s units were never active this epoch")
            sat = s.get(f"{n}/saturated")
            if sat is not None and sat > SATURATED_FRACTION:
                self._warn("saturation", n, sat, epoch,
                           f"saturation: {sat:.0%} of layer {n!r}'s {layer.activation.name} outputs are pinned "
                           "near their limits, where the derivative is almost 0")
        losses: list[float] = [e["loss"] for e in self.epochs if e.get("loss") is not None]
        if losses and not math.isfinite(losses[-1]):
            self._warn("lr", None, losses[-1], epoch, "the training loss became NaN/inf: the learning rate is "
                       "above its threshold")
        elif len(losses) >= 2 and losses[-1] > LOSS_RISE * losses[-2] and \
                losses[-1] - losses[-2] > RISE_OF_START * losses[0]:
            self._warn("lr", None, losses[-1] / losses[-2], epoch,
                       f"learning rate too high: the training loss rose from {losses[-2]:.4g} to {losses[-1]:.4g}")
        elif self._spike > LOSS_SPIKE:
            self._warn("lr", None, self._spike, epoch,
                       f"learning rate too high: the running training loss climbed to {self._spike:.1f}× its "
                       "lowest value (it oscillates or grows instead of falling)")
        val = [e.get("val_loss") for e in self.epochs]
        recent = [v for v in val[-4:] if v is not None]  # the last four, when each epoch was validated
        if len(recent) == 4 and len(losses) >= 4:
            best_val = min(v for v in val if v is not None)
            if recent[-1] > recent[-2] > recent[-3] > recent[-4] and losses[-1] < losses[-4] and \
                    recent[-1] > OVERFIT_RISE * best_val:
                self._warn("overfitting", None, recent[-1] - recent[-4], epoch,
                           f"overfitting: validation loss rose {recent[-4]:.4g} → {recent[-1]:.4g} over three epochs "
                           f"while training loss fell {losses[-4]:.4g} → {losses[-1]:.4g}")

    # -- output -------------------------------------------------------------------------------------
    def on_train_end(self, logs=None):
        if self.run_dir is not None and self.epochs:
            self._write()
            try:
                from ..formats.figures import quiet_drawing
                with quiet_drawing():
                    plot_diagnostics(self, Path(self.run_dir) / "plots")
            except ImportError:
                pass

    def _write(self) -> None:
        from ..formats.atomic import atomic_write_csv, atomic_write_text
        run_dir = Path(self.run_dir)
        atomic_write_csv(run_dir / "diagnostics.csv", self.records)
        atomic_write_text(run_dir / "warnings.json", json.dumps([w.as_dict() for w in self.warnings], indent=2))


def plot_diagnostics(diag: Diagnostics, out_dir: Path) -> list[Path]:
    """Gradient norm per layer over training (the book's picture), dead/saturated fractions, update ratios."""
    from ..formats.figures import pyplot as _plt
    from ..formats.figures import save_figure as _save
    plt = _plt()
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    steps = [r["step"] for r in diag.records]
    fig, ax = plt.subplots(figsize=(6.5, 3.6))
    for layer in diag.layers:
        ys = [r.get(f"{layer.name}/grad_norm", np.nan) for r in diag.records]
        ax.plot(steps, ys, label=layer.name)
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("‖∂L/∂W‖")
    ax.set_title("Gradient norm per layer")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    paths.append(_save(fig, out_dir / "gradient_norms.png"))
    fig, ax = plt.subplots(figsize=(6.5, 3.4))
    epochs = [e["epoch"] + 1 for e in diag.epochs]
    for layer in diag.layers:
        for stat, style in (("dead", "-"), ("saturated", "--")):
            ys = [e.get(f"{layer.name}/{stat}") for e in diag.epochs]
            if any(v is not None for v in ys):
                ax.plot(epochs, [np.nan if v is None else v for v in ys], style, marker="o", ms=3,
                        label=f"{layer.name} {stat}")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("epoch")
    ax.set_ylabel("fraction of units")
    ax.set_title("Dead and saturated units")
    ax.grid(alpha=0.3)
    if ax.lines:
        ax.legend(fontsize=8)
    paths.append(_save(fig, out_dir / "unit_health.png"))
    fig, ax = plt.subplots(figsize=(6.5, 3.4))
    for layer in diag.layers:
        pts = [(r["step"], r[f"{layer.name}/update_ratio"]) for r in diag.records if f"{layer.name}/update_ratio" in r]
        if pts:
            ax.plot(*zip(*pts), label=layer.name)
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("‖ΔW‖ / ‖W‖")
    ax.set_title("Update-to-weight ratio")
    ax.grid(alpha=0.3)
    if ax.lines:
        ax.legend(fontsize=8)
    paths.append(_save(fig, out_dir / "update_ratios.png"))
    return paths


# -- the learning-rate finder ---------------------------------------------------------------------------
