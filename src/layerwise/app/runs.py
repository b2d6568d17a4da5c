"""Training runs: a validated config in, a run directory out.

    runs/<timestamp>-<name>/
        config.toml     the resolved config; `layerwise train --config` on it re-runs the run exactly
        model.lwm       the trained model
        checkpoint.lwc  the last checkpoint (`layerwise train --resume RUN_DIR` continues from it)
        history.csv     per-epoch metrics
        metrics.json    final metrics, time per epoch, parameter count, engine, versions, seed
        plots/*.png     learning curves, learning rate, confusion matrix, first-layer weights, errors
        report.html     one self-contained page with all of the above

plots/ is made only when matplotlib is there to draw into it. A new run that fails before anything
was trained (a tracker that cannot start, say) leaves no directory behind; one that has a checkpoint,
a model or an epoch of history is always kept.
"""
from __future__ import annotations

import csv
import datetime
import json
import platform
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._version import __version__
from ..core.metrics import greater_is_better
from ..errors import ConfigError, FileWriteError, TrainingError
from ..formats.atomic import atomic_write_text
from ..training.callbacks import Callback, CSVLogger
from . import config as config_mod


@dataclass
class RunResult:
    run_dir: Path
    metrics: dict[str, Any]
    model: Any
    history: dict[str, list[float]]


class RunInterrupted(KeyboardInterrupt):
    """Training was interrupted (Ctrl-C); ``run_dir`` holds the checkpoint to resume from."""

    def __init__(self, run_dir: Path, detail: str = ""):
        super().__init__(detail)
        self.run_dir, self.detail = run_dir, detail


class JsonlLogger(Callback):
    """One JSON object per epoch on a stream (``--log-format jsonl``)."""

    def __init__(self, stream):
        super().__init__()
        self.stream = stream

    def on_epoch_end(self, epoch, logs=None):
        self.stream.write(json.dumps({"event": "epoch", "epoch": epoch + 1, **(logs or {})}) + "\n")
        self.stream.flush()


def make_run_dir(runs_dir, name: str) -> Path:
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    base = Path(runs_dir) / f"{stamp}-{name}"
    path, i = base, 1
    if Path(runs_dir).exists() and not Path(runs_dir).is_dir():
        raise FileWriteError(17, f"cannot make run directories in {runs_dir}: it is a file")
    while True:
        try:
            path.mkdir(parents=True)
            return path
        except FileExistsError:
            i += 1
            path = base.with_name(f"{base.name}-{i}")
        except OSError as exc:
            raise FileWriteError(exc.errno, f"cannot make a run directory in {runs_dir}: {exc.strerror}") from None


def versions() -> dict[str, str]:
    import sklearn
    return {"layerwise": __version__, "numpy": np.__version__, "scikit-learn": sklearn.__version__,
            "python": platform.python_version()}


def read_history(path: Path) -> dict[str, list[float]]:
    history: dict[str, list[float]] = {}
    with open(path, newline="") as fh:
        for row in csv.DictReader(fh):
            for k, v in row.items():
                if k != "epoch" and v not in ("", None):
                    history.setdefault(k, []).append(float(v))
    return history


def load_dataset(cfg: dict[str, Any]):
    from ..data import datasets
    val = cfg["data"]["validation_size"]
    val = int(val) if val >= 1 else val
    extra = {k: cfg["data"][k] for k in ("label_column", "scale") if cfg["data"].get(k) is not None}
    if extra and Path(str(cfg["data"]["dataset"])).suffix.lower() not in (".csv", ".npy", ".npz"):
        raise ConfigError(f"data.{', data.'.join(extra)} apply to your own data files, not to the "
                          f"{cfg['data']['dataset']!r} data set")
    return datasets.load(cfg["data"]["dataset"], validation_size=val, **extra)


def absolute_data_path(cfg: dict[str, Any]) -> dict[str, Any]:
    """The config with a data file's path made absolute, so the run's config works from anywhere
    (evaluate, --resume, report, and re-running it)."""
    ds = str(cfg["data"]["dataset"])
    if Path(ds).suffix.lower() in (".csv", ".npy", ".npz") and not Path(ds).is_absolute():
        cfg = {**cfg, "data": {**cfg["data"], "dataset": str(Path(ds).resolve())}}
    return cfg


def check_writable(path) -> None:
    """Refuse an output path that cannot be written, before any work is done."""
    import os
    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise FileWriteError(21, f"cannot write {path}: it is a directory")
    if not parent.is_dir():
        raise FileWriteError(2, f"cannot write {path}: no directory {parent}")
    if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise FileWriteError(13, f"cannot write {path}: permission denied")


def check_directory_writable(path, what: str) -> None:
    """Refuse a directory to be made or written in (``what`` says for what) that cannot be, before
    any work is done: its nearest existing ancestor must be a directory we may write in."""
    import os
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise FileWriteError(20, f"cannot write {what} in {path}: it is a file")
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise FileWriteError(20, f"cannot write {what} in {path}: {existing} is a file")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise FileWriteError(13, f"cannot write {what} in {path}: permission denied on {existing}")


UNTRAINED_FILES = ("config.toml", "history.csv", "warnings.json", "diagnostics.csv")


def discard_untrained_run(run_dir) -> bool:
    """Remove a run directory in which no training happened (a run that failed at its start);
    True if it is gone. A directory with a checkpoint, a model, metrics, an epoch of history or
    any file it does not know is left as it is: only the files a run writes before its first
    epoch are removed, never a tree."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        return False
    for entry in run_dir.iterdir():  # checkpoint.lwc, model.lwm, metrics.json, anything else: keep it all
        if entry.name == "plots" and entry.is_dir() and not any(entry.iterdir()):
            continue
        if entry.name not in UNTRAINED_FILES or not entry.is_file():
            return False
    history = run_dir / "history.csv"
    try:
        if history.is_file() and read_history(history):
            return False
    except (OSError, ValueError):
        return False
    for name in UNTRAINED_FILES:
        try:
            (run_dir / name).unlink(missing_ok=True)
        except OSError:
            return False
    try:
        (run_dir / "plots").rmdir()  # only if empty
    except OSError:
        pass
    try:
        run_dir.rmdir()  # only if empty: anything unknown keeps the directory
    except OSError:
        return False
    return True


def resume_plan(run_dir, cfg: dict[str, Any], epochs: int | None, restart: bool) -> str | None:
    """Check a ``--resume``: None to go on (``cfg`` updated for ``--epochs``), or the sentence to
    print when there is nothing to do. Refuses what would silently do something else."""
    run_dir = Path(run_dir)
    checkpoint = run_dir / "checkpoint.lwc"
    if restart:  # from epoch 1, in the same directory (train() clears the old history and checkpoint)
        if epochs is not None:
            config_mod.set_path(cfg, "fit.epochs", epochs)
        return None
    done = len(read_history(run_dir / "history.csv").get("loss", [])) if (run_dir / "history.csv").is_file() else 0
    if epochs is not None:
        if epochs < done:
            raise ConfigError(f"{run_dir} has trained {done} epochs already; --epochs {epochs} would undo that "
                              f"(give a number above {done})")
        config_mod.set_path(cfg, "fit.epochs", epochs)
    if not checkpoint.is_file():
        raise ConfigError(f"{run_dir} has no checkpoint.lwc to resume from; add --restart to train it again "
                          "from epoch 1")
    finished = (run_dir / "metrics.json").is_file()
    if finished and done >= cfg["fit"]["epochs"]:
        return (f"{run_dir} is finished ({done} epochs); nothing changed. "
                f"Train it further with: layerwise train --resume {run_dir} --epochs N")
    if finished:
        metrics = json.loads((run_dir / "metrics.json").read_text())
        if metrics.get("stopped_early"):
            return (f"{run_dir} stopped early at epoch {done} ({metrics['stopped_early']}); nothing changed. "
                    "Start a new run to train longer")
    return None


def _built_model(cfg: dict[str, Any], ds):
    """The compiled, built model a config describes, with the data set's metadata."""
    model = config_mod.build_model(cfg)
    model.metadata = {"dataset": str(cfg["data"]["dataset"]), "class_names": list(ds.class_names),
                      "data_options": {k: cfg["data"][k] for k in ("label_column", "scale")
                                       if cfg["data"].get(k) is not None},
                      "image_shape": list(ds.image_shape) if ds.image_shape else None}
    comp = cfg["compile"]
    model.compile(config_mod.build_optimizer(cfg), comp["loss"], metrics=comp["metrics"],
                  ema=comp["ema"] or None)
    model.build((ds.n_features,))
    return model


def _open_run_dir(cfg: dict[str, Any], resume_dir, run_dir, restart: bool) -> tuple[Path, bool]:
    """The run directory with the resolved config.toml in it, and whether this call made it (a
    directory made here is removed again when the run fails before training anything)."""
    if resume_dir is not None:
        run_dir = Path(resume_dir)
        atomic_write_text(run_dir / "config.toml", config_mod.dumps(cfg))  # an --epochs extension is recorded
        if restart:
            for stale in ("history.csv", "metrics.json", "checkpoint.lwc"):
                (run_dir / stale).unlink(missing_ok=True)
        return run_dir, False
    if run_dir is None:
        run_dir, made_here = make_run_dir(cfg["run"]["runs_dir"], cfg["name"]), True
    else:
        run_dir = Path(run_dir)
        made_here = not run_dir.exists()
        run_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(run_dir / "config.toml", config_mod.dumps(cfg))
    return run_dir, made_here


def _run_callbacks(cfg: dict[str, Any], run_dir: Path, extra) -> tuple[list, Any]:
    """The run's callbacks (config's, the history CSV, diagnostics, trackers) and the MLflow tracker."""
    callbacks = [*config_mod.build_callbacks(cfg), CSVLogger(str(run_dir / "history.csv"), first_epoch=1), *extra]
    if cfg["run"].get("diagnostics"):
        from ..inspect.diagnostics import Diagnostics
        callbacks.append(Diagnostics(run_dir=run_dir))
    tracker = None
    if cfg["run"].get("tensorboard"):
        from ..training.loggers import TensorBoard
        callbacks.append(TensorBoard(Path(cfg["run"]["tensorboard"]) / run_dir.name))
    if cfg["run"].get("mlflow"):
        from ..training.loggers import MLflowLogger
        tracker = MLflowLogger(cfg["run"]["mlflow"], experiment=cfg["name"] or "layerwise", run_name=run_dir.name,
                               params={"dataset": cfg["data"]["dataset"], "epochs": cfg["fit"]["epochs"],
                                       "batch_size": cfg["fit"]["batch_size"], "seed": cfg["seed"]},
                               end_with_training=False)
        callbacks.append(tracker)
    return callbacks, tracker


def train(cfg: dict[str, Any], resume_dir=None, verbose: int = 1, extra_callbacks=(), log=print,
          run_dir=None, restart: bool = False) -> RunResult:
    """Train what ``cfg`` (validated by config.validate) describes, in a new run directory
    (or continue the run in ``resume_dir``)."""
    cfg = absolute_data_path(cfg)
    ds = load_dataset(cfg)
    cfg = config_mod.resolve(cfg, ds.n_features, ds.n_classes)
    if cfg["run"].get("tensorboard"):
        check_directory_writable(cfg["run"]["tensorboard"], "TensorBoard files")
    model = _built_model(cfg, ds)  # everything that can be checked is checked before a run directory exists
    run_dir, made_here = _open_run_dir(cfg, resume_dir, run_dir, restart)
    try:
        callbacks, tracker = _run_callbacks(cfg, run_dir, extra_callbacks)
        log(f"{ds!r}; run directory {run_dir}")
        if tracker is not None:
            from ..training.loggers import store_for
            store = store_for(cfg["run"]["mlflow"])
            log(f"MLflow: {store.uri} (open it with: {store.open_command})")
        validation = (ds.x_val, ds.y_val) if ds.x_val is not None else None
        model.fit(ds.x_train, ds.y_train, batch_size=cfg["fit"]["batch_size"], epochs=cfg["fit"]["epochs"],
                  shuffle=cfg["fit"]["shuffle"], validation_data=validation, verbose=verbose, callbacks=callbacks,
                  engine=cfg["fit"].get("engine"), device=cfg["fit"].get("device"),
                  checkpoint=run_dir / "checkpoint.lwc", checkpoint_every=cfg["fit"]["checkpoint_every"] or None,
                  resume=resume_dir is not None and not restart)
    except KeyboardInterrupt as exc:
        raise RunInterrupted(run_dir, str(exc)) from None
    except BaseException:
        if made_here:  # e.g. a tracker that could not start: leave no run directory holding only config.toml
            discard_untrained_run(run_dir)
        raise
    metrics = _finish(cfg, run_dir, model, ds, tracker)
    return RunResult(run_dir, metrics, model, model.history.history)


def _finish(cfg: dict[str, Any], run_dir: Path, model, ds, tracker) -> dict[str, Any]:
    """After training: test metrics, model.lwm (unless the weights diverged), metrics.json, plots
    and report, and the tracker's last records."""
    history = model.history.history
    metrics: dict[str, Any] = {"test_" + k: v for k, v in model.evaluate(ds.x_test, ds.y_test).items()}
    for key, values in history.items():
        seen = [v for v in values if v is not None]   # epochs that did not validate hold None
        if key.startswith("val_") and seen:
            metrics[f"best_{key}"] = (max if greater_is_better(key) else min)(seen)
    times = history.get("time", [])
    metrics["finished"] = datetime.datetime.now().isoformat(timespec="seconds")
    metrics.update(epochs=len(times), seconds_per_epoch=(float(np.mean(times)) if times else 0.0),
                   epoch_seconds=times, train_seconds=float(sum(times)),  # all epochs, across resumes
                   parameters=model.count_params(), seed=cfg["seed"], versions=versions())
    params = getattr(model.history, "params", {})
    if "engine" in params:  # which engine trained the last fit: "numpy", or "xla" and JAX's device
        metrics["engine"] = params["engine"] + (f" ({params['device']})" if params.get("device") else "")
    if getattr(model, "nonfinite_report", None):
        metrics["stopped"] = f"non-finite loss at {model.nonfinite_report}"
    elif len(times) < cfg["fit"]["epochs"] and model.stop_training:
        metrics["stopped_early"] = "a callback stopped training (early stopping or the learning-rate floor)"
    try:
        model.save(run_dir / "model.lwm")
    except TrainingError as exc:  # diverged weights: no model file that would not load
        metrics["model_not_saved"] = str(exc)
    atomic_write_text(run_dir / "metrics.json", json.dumps(metrics, indent=2))
    if cfg["run"]["plots"] or cfg["run"]["report"]:
        try:
            build_report(run_dir, model=model, dataset=ds, cfg=cfg, history=history, metrics=metrics)
        except ImportError as exc:  # matplotlib missing: the run itself is complete
            import sys
            print(f"layerwise: note: no plots or report ({exc})", file=sys.stderr)
    if tracker is not None:  # the test metrics, model, report and history go to MLflow too
        tracker.log_metrics({k: v for k, v in metrics.items() if k.startswith(("test_", "best_"))})
        for name in ("model.lwm", "metrics.json", "history.csv", "config.toml", "report.html"):
            if (run_dir / name).exists():
                tracker.log_artifact(run_dir / name)
        tracker.finish()
    return metrics


def build_report(run_dir, model=None, dataset=None, cfg=None, history=None, metrics=None) -> Path:
    """Draw the plots and write report.html for a run directory (reading what is not given)."""
    from ..formats.model_file import load_model
    from .report import make_plots, write_report
    run_dir = Path(run_dir)
    for needed in ("model.lwm", "history.csv", "metrics.json"):
        given = (needed == "model.lwm" and model is not None or needed == "history.csv" and history is not None
                 or needed == "metrics.json" and metrics is not None)
        if not given and not (run_dir / needed).is_file():
            raise ConfigError(f"{run_dir}: no {needed} (the run did not finish); resume it with "
                              f"layerwise train --resume {run_dir}")
    if cfg is None:
        cfg = config_mod.load(run_dir / "config.toml")
    if model is None:
        model = load_model(run_dir / "model.lwm")
    if history is None:
        history = read_history(run_dir / "history.csv")
    if metrics is None:
        metrics = json.loads((run_dir / "metrics.json").read_text())
    if dataset is None:
        dataset = load_dataset(cfg)
    from ..formats.figures import quiet_drawing
    with quiet_drawing():
        plots = make_plots(run_dir, history, model, dataset.x_test, dataset.y_test, dataset.image_shape,
                           dataset.class_names)
    warnings = []
    warn_path = run_dir / "warnings.json"
    if warn_path.exists():
        warnings = json.loads(warn_path.read_text())
    lines: list[str] = []
    model.summary(print_fn=lines.append)
    shown = {k: v for k, v in metrics.items() if k != "epoch_seconds"}
    return write_report(run_dir, f"{cfg['name']} — layerwise run", shown, plots, "\n".join(lines),
                        (run_dir / "config.toml").read_text() if (run_dir / "config.toml").exists()
                        else config_mod.dumps(cfg), warnings,
                        facts=_facts(run_dir, model, dataset, cfg, history, metrics),
                        per_class=_per_class(model, dataset))


def describe_model(model) -> str:
    """The model in one line: "64 → Dense 100 relu → Dense 10 softmax (7,510 parameters)"."""
    parts = [" × ".join(str(d) for d in model.input_shape)]
    for layer in model.layers:
        kind = type(layer).__name__
        act = getattr(getattr(layer, "activation", None), "name", None)
        if hasattr(layer, "units"):
            parts.append(f"{kind} {layer.units}" + (f" {act}" if act and act != "linear" else ""))
        elif hasattr(layer, "rate"):
            parts.append(f"{kind} {layer.rate:g}")
        elif act:
            parts.append(act)
        else:
            parts.append(kind)
    return " → ".join(parts) + f" ({model.count_params():,} parameters)"


def describe_optimizer(optimizer, cfg) -> str:
    """The optimizer, its rate or schedule, batch size and epochs in one line."""
    conf = optimizer.get_config()
    rate = conf.pop("learning_rate")
    name = conf.pop("name")
    rate_text = (f"learning rate {rate['learning_rate']:g}" if rate.get("name") == "constant" else
                 f"learning rate {rate['name']}(" + ", ".join(f"{k}={v}" for k, v in rate.items() if k != "name") + ")")
    extra = ", ".join(f"{k} {v}" for k, v in conf.items() if v not in (None, False, 0, 0.0))
    return f"{name}, {rate_text}" + (f", {extra}" if extra else "") + \
        f"; batch {cfg['fit']['batch_size']}, {cfg['fit']['epochs']} epochs"


def _facts(run_dir: Path, model, dataset, cfg, history, metrics) -> dict[str, str]:
    when = metrics.get("finished")
    if not when and (run_dir / "metrics.json").exists():
        when = datetime.datetime.fromtimestamp((run_dir / "metrics.json").stat().st_mtime).isoformat(timespec="seconds")
    n_val = len(dataset.x_val) if dataset.x_val is not None else 0
    facts = {"Date": str(when or "").replace("T", " "),
             "Data": f"{dataset.name}: {len(dataset.x_train):,} training, {n_val:,} validation, "
                     f"{len(dataset.x_test):,} test samples; {dataset.n_features} features, "
                     f"{dataset.n_classes} classes",
             "Model": describe_model(model),
             "Optimizer": describe_optimizer(model.optimizer, cfg) if model.optimizer is not None else "—"}
    if metrics.get("engine"):
        facts["Engine"] = ("XLA " + metrics["engine"][3:].strip() + ": the layers' forward and backward compiled "
                           "into one program per epoch" if metrics["engine"].startswith("xla") else
                           "NumPy, one step at a time")
    if metrics.get("stopped") or metrics.get("stopped_early"):
        facts["Stopped"] = str(metrics.get("stopped") or metrics.get("stopped_early"))
    return facts


def _per_class(model, dataset) -> list[tuple[str, float, float, float, int]]:
    """(class, precision, recall, F1, samples) on the test set, then the macro and weighted rows."""
    from ..core.metrics import averaged_score, confusion_matrix, per_class_scores
    k = model.n_outputs
    if k < 2:
        return []
    cm = confusion_matrix(dataset.y_test, model.predict_classes(dataset.x_test), k)
    names = list(dataset.class_names) if dataset.class_names else [str(i) for i in range(k)]
    s = per_class_scores(cm)
    rows = [(names[i], float(s["precision"][i]), float(s["recall"][i]), float(s["f1"][i]), int(s["support"][i]))
            for i in range(k)]
    total = int(cm.sum())
    for avg in ("macro", "weighted"):
        precision, recall, f1 = (averaged_score(cm, score, avg) for score in ("precision", "recall", "f1"))
        rows.append((f"{avg} average", precision, recall, f1, total))
    return rows


def load_run_config(run_dir) -> dict[str, Any]:
    run_dir = Path(run_dir)
    if not (run_dir / "config.toml").is_file():
        raise ConfigError(f"{run_dir}: not a run directory (no config.toml)")
    return config_mod.load(run_dir / "config.toml")
