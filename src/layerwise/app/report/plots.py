"""Plots of a run, drawn with matplotlib's non-interactive Agg backend into PNG files.

Each function writes one file and returns its path; ``make_plots`` draws every plot that
applies to a run and returns ``[(title, path), ...]``.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ...formats.figures import pyplot as _plt
from ...formats.figures import save_figure as _save


def _integer_ticks():
    from matplotlib.ticker import MaxNLocator
    return MaxNLocator(integer=True)


def learning_curves(history: dict[str, list[float]], path: Path) -> Path:
    """Training and validation loss and accuracy per epoch (the notes' overfitting picture)."""
    plt = _plt()
    keys = [k for k in ("loss", "accuracy") if k in history]
    fig, axes = plt.subplots(1, len(keys), figsize=(5.5 * len(keys), 3.8), squeeze=False)
    for ax, key in zip(axes[0], keys):
        epochs = np.arange(1, len(history[key]) + 1)
        ax.plot(epochs, history[key], marker="o", ms=3, label=f"training {key}")
        if f"val_{key}" in history:
            ax.plot(epochs, history[f"val_{key}"], marker="o", ms=3, label=f"validation {key}")
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(_integer_ticks())
        ax.set_ylabel(key)
        ax.grid(alpha=0.3)
        ax.legend()
    return _save(fig, path)


def learning_rate(history: dict[str, list[float]], path: Path) -> Path:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5.5, 3.2))
    lr = history.get("lr", [])
    ax.plot(np.arange(1, len(lr) + 1), lr, marker="o", ms=3)
    if lr and max(lr) / max(min(lr), 1e-300) > 20:
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.xaxis.set_major_locator(_integer_ticks())
    ax.set_ylabel("learning rate (end of epoch)")
    ax.grid(alpha=0.3)
    return _save(fig, path)


def confusion(cm: np.ndarray, class_names: list[str], path: Path) -> Path:
    plt = _plt()
    k = len(cm)
    fig, ax = plt.subplots(figsize=(0.55 * k + 2.5, 0.55 * k + 2))
    im = ax.imshow(cm, cmap="Blues")
    ax.set_xticks(range(k), class_names, rotation=45, ha="right")
    ax.set_yticks(range(k), class_names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if k <= 20:
        for i in range(k):
            for j in range(k):
                ax.text(j, i, int(cm[i, j]), ha="center", va="center", fontsize=7,
                        color="white" if cm[i, j] > cm.max() / 2 else "black")
    fig.colorbar(im, ax=ax, fraction=0.046)
    return _save(fig, path)


def per_class_accuracy(cm: np.ndarray, class_names: list[str], path: Path) -> Path:
    """Accuracy on the test set for each class (recall: correct / samples of that class), one
    horizontal bar per class so that long class names ("T-shirt/top") stay readable."""
    plt = _plt()
    k = len(cm)
    support = cm.sum(axis=1)
    acc = np.divide(np.diag(cm), support, out=np.zeros(k), where=support > 0)
    longest = max((len(str(n)) for n in class_names), default=1)
    fig, ax = plt.subplots(figsize=(4.5 + 0.07 * min(longest, 40), max(2.0, 0.3 * k + 0.9)))
    bars = ax.barh(range(k), acc, color="#4c78a8")
    ax.bar_label(bars, labels=[f"{a:.2f}" for a in acc], fontsize=7, padding=2)
    ax.set_yticks(range(k), class_names, fontsize=8 if k <= 30 else 6)
    ax.invert_yaxis()  # the first class on top, as in the table and the confusion matrix
    ax.set_xlim(0, 1.1)
    ax.set_xlabel("accuracy")
    ax.grid(alpha=0.3, axis="x")
    return _save(fig, path)


def first_layer_weights(kernel: np.ndarray, image_shape: tuple[int, ...], path: Path, max_units: int = 64) -> Path:
    """Each hidden unit's incoming weights drawn as an image of the input."""
    plt = _plt()
    units = min(kernel.shape[1], max_units)
    cols = int(math.ceil(math.sqrt(units)))
    rows = int(math.ceil(units / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 1.1, rows * 1.1), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < units:
            w = kernel[:, i].reshape(image_shape)
            lim = np.abs(w).max() or 1.0
            ax.imshow(w, cmap="RdBu_r", vmin=-lim, vmax=lim)
    return _save(fig, path)


def misclassified(x: np.ndarray, y_true: np.ndarray, y_pred: np.ndarray, image_shape, class_names,
                  path: Path, n: int = 36) -> Path:
    plt = _plt()
    wrong = np.flatnonzero(y_true != y_pred)[:n]
    cols = 6
    rows = max(1, int(math.ceil(len(wrong) / cols)))
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 1.5, rows * 1.75), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, i in zip(axes.flat, wrong):
        ax.imshow(x[i].reshape(image_shape), cmap="gray_r")
        ax.set_title(f"true {class_names[y_true[i]]}\npred {class_names[y_pred[i]]}", fontsize=7)
    return _save(fig, path)


def augmented_examples(layer, x: np.ndarray, path: Path, n: int = 8, rows: int = 3) -> Path:
    """The first ``n`` images (top row) and ``rows`` augmentations of each, as training draws them
    (from a separate generator: the run's own random stream is left alone)."""
    plt = _plt()
    images = np.asarray(x[:n], dtype=np.float64)
    h, w = layer.hw
    saved = layer.rng
    layer.rng = np.random.default_rng(12345)
    try:
        grids = [images] + [layer.apply(images, layer.draw(len(images))) for _ in range(rows)]
    finally:
        layer.rng = saved
    fig, axes = plt.subplots(rows + 1, len(images), figsize=(1.1 * len(images), 1.15 * (rows + 1)), squeeze=False)
    for r, batch in enumerate(grids):
        for c, img in enumerate(batch):
            ax = axes[r, c]
            ax.imshow(img.reshape(h, w), cmap="gray_r", vmin=0, vmax=max(1.0, float(images.max())))
            ax.set_xticks([])
            ax.set_yticks([])
        axes[r, 0].set_ylabel("original" if r == 0 else f"draw {r}", fontsize=7)
    return _save(fig, path)


def make_plots(run_dir: Path, history: dict[str, list[float]], model=None, x_test=None, y_test=None,
               image_shape=None, class_names=None) -> list[tuple[str, Path]]:
    """Every plot that applies to this run, written to ``run_dir/plots``."""
    from ...core.layers import Dense
    from ...core.metrics import confusion_matrix
    _plt()  # no matplotlib: a MissingDependencyError before anything is made (no empty plots/)
    out_dir = Path(run_dir) / "plots"
    out_dir.mkdir(parents=True, exist_ok=True)
    plots = [("Learning curves", learning_curves(history, out_dir / "learning_curves.png"))]
    if len(set(history.get("lr", []))) > 1:  # a constant rate needs no picture (it is in the header)
        plots.append(("Learning rate", learning_rate(history, out_dir / "learning_rate.png")))
    else:
        (out_dir / "learning_rate.png").unlink(missing_ok=True)
    for title, name in (("Gradient norm per layer", "gradient_norms.png"),
                        ("Dead and saturated units", "unit_health.png"),
                        ("Update-to-weight ratio", "update_ratios.png")):
        if (out_dir / name).exists():  # written by the diagnostics module when enabled
            plots.append((title, out_dir / name))
    if model is not None and x_test is not None and y_test is not None:
        pred = model.predict_classes(x_test)
        k = model.n_outputs
        names = list(class_names) if class_names else [str(i) for i in range(k)]
        cm = confusion_matrix(y_test, pred, k)
        plots.append(("Confusion matrix (test set)", confusion(cm, names, out_dir / "confusion_matrix.png")))
        plots.append(("Per-class accuracy (test set)", per_class_accuracy(cm, names,
                                                                          out_dir / "per_class_accuracy.png")))
        first = next((layer for layer in model.layers if isinstance(layer, Dense)), None)
        if image_shape and first is not None and first.input_shape is not None and \
                first.input_shape[0] == int(np.prod(image_shape)):
            from ...core.backend import to_numpy
            plots.append(("First-layer weights (one unit per tile)",
                          first_layer_weights(to_numpy(first.params["kernel"]), tuple(image_shape),
                                              out_dir / "first_layer_weights.png")))
        augment = next((layer for layer in model.layers if type(layer).__name__ == "Augment"), None)
        if augment is not None:
            plots.append(("Augmentation as training applies it (top row: the original images)",
                          augmented_examples(augment, x_test, out_dir / "augmented_examples.png")))
        if image_shape and (pred != y_test).any():
            plots.append((f"Misclassified test examples ({int((pred != y_test).sum())} in all)",
                          misclassified(x_test, y_test, pred, tuple(image_shape), names,
                                        out_dir / "misclassified.png")))
    return plots
