"""Experiment trackers as callbacks: TensorBoard (tensorboardX) and MLflow (mlflow-skinny).

Both are optional extras (``pip install "layerwise[tensorboard]"`` / ``"layerwise[mlflow]"``);
the import happens when training starts, and a missing package is a MissingDependencyError
naming the command that installs it.
"""
from __future__ import annotations

import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .. import registry
from ..core.backend import to_numpy
from ..errors import ConfigError, MissingDependencyError
from .hooks import Callback


def _numeric(logs: dict | None) -> dict[str, float]:
    """The log entries that are finite-or-not numbers (NaN is logged: it is information)."""
    out = {}
    for k, v in (logs or {}).items():
        if isinstance(v, (int, float, np.floating, np.integer)) and not isinstance(v, bool):
            out[k] = float(v)
    return out


def layer_statistics(model) -> dict[str, float]:
    """Per-layer statistics of the last step: ‖W‖, ‖∂L/∂W‖ and the mean and standard deviation of
    the activations (the numbers the Diagnostics callback watches)."""
    stats: dict[str, float] = {}
    for layer in model.layers:
        if "kernel" not in getattr(layer, "params", {}):
            continue
        n = layer.name
        stats[f"{n}/weight_norm"] = float(np.linalg.norm(to_numpy(layer.params["kernel"])))
        if layer.trainable:
            stats[f"{n}/grad_norm"] = float(np.linalg.norm(to_numpy(layer.grads["kernel"])))
        a = layer.last_output
        if a is not None:
            a = to_numpy(a)
            stats[f"{n}/act_mean"], stats[f"{n}/act_std"] = float(a.mean()), float(a.std())
    return stats


class TensorBoard(Callback):
    """Write TensorBoard event files to ``log_dir``: every epoch's loss, metrics, validation values
    and learning rate as scalars (tag ``epoch/<name>``); every ``histogram_freq`` epochs the
    weight and gradient histograms of each layer (``<layer>/<param>``, ``<layer>/<param>_grad``)
    and the per-layer statistics (``stats/<layer>/<statistic>``). Keras's argument names.

    Parameters
    ----------
    log_dir : str or path, default "logs"
        The folder for the event files (made when missing); ``tensorboard --logdir`` reads it.
    histogram_freq : int, default 1
        Write the histograms and statistics every k epochs (≥ 0; 0: never).
    write_statistics : bool, default True
        With the histograms, also write each layer's ‖W‖, ‖∂L/∂W‖ and the mean and standard
        deviation of its activations as scalars.
    """

    def __init__(self, log_dir: str | os.PathLike = "logs", histogram_freq: int = 1, write_statistics: bool = True):
        super().__init__()
        if isinstance(histogram_freq, bool) or not isinstance(histogram_freq, int) or histogram_freq < 0:
            raise ConfigError(f"histogram_freq must be an integer >= 0, got {histogram_freq!r}")
        self.log_dir, self.histogram_freq, self.write_statistics = str(log_dir), histogram_freq, bool(write_statistics)
        self.writer = None

    def on_train_begin(self, logs=None):
        try:
            from tensorboardX import SummaryWriter
        except ImportError as exc:
            raise MissingDependencyError('the TensorBoard callback needs tensorboardX: '
                                         'pip install "layerwise[tensorboard]"') from exc
        Path(self.log_dir).mkdir(parents=True, exist_ok=True)
        self.writer = SummaryWriter(logdir=self.log_dir)

    def on_epoch_end(self, epoch, logs=None):
        if self.writer is None:
            return
        step = epoch + 1
        for k, v in _numeric(logs).items():
            if k != "time":
                self.writer.add_scalar(f"epoch/{k}", v, step)
        if self.histogram_freq and step % self.histogram_freq == 0:
            for layer in self.model.layers:
                for key, arr in getattr(layer, "params", {}).items():
                    w = to_numpy(arr)
                    if np.isfinite(w).all():
                        self.writer.add_histogram(f"{layer.name}/{key}", w, step)
                    g = layer.grads.get(key) if layer.trainable else None
                    if g is not None and np.isfinite(to_numpy(g)).all():
                        self.writer.add_histogram(f"{layer.name}/{key}_grad", to_numpy(g), step)
            if self.write_statistics:
                for k, v in layer_statistics(self.model).items():
                    self.writer.add_scalar(f"stats/{k}", v, step)
        self.writer.flush()

    def on_train_end(self, logs=None):
        if self.writer is not None:
            self.writer.close()
            self.writer = None


def local_store(tracking_uri: str | None) -> Path | None:
    """The directory of a local MLflow file store, or None for any other tracking URI.

    A plain path (``mlruns``, ``/tmp/mlruns``), ``None`` (``./mlruns``) and a local ``file:`` URI
    (``file:/tmp/mlruns``, ``file:///tmp/mlruns``, ``file://localhost/tmp/mlruns``, ``file:mlruns``)
    all name the same kind of store and are treated alike. Database (``sqlite:///...``), server
    (``http(s)://...``) and ``databricks`` URIs are passed to MLflow as given."""
    if tracking_uri is None:
        return Path("mlruns").resolve()
    uri = str(tracking_uri)
    if uri.lower().startswith("file:"):
        from urllib.parse import unquote, urlsplit
        parts = urlsplit(uri)
        if parts.netloc not in ("", "localhost"):
            return None  # a file store on another host: MLflow's business
        return Path(unquote(parts.path) or ".").resolve()
    if "://" in uri or uri.startswith("databricks"):
        return None
    return Path(uri).resolve()


@dataclass(frozen=True)
class Store:
    """Where an MLflow run goes: the tracking URI, the artifact location for new experiments (None:
    MLflow's default) and the command that opens it in MLflow's UI."""
    uri: str
    artifact_location: str | None
    open_command: str


def sql_store_available() -> bool:
    """MLflow's database store can run here (SQLAlchemy and Alembic importable)."""
    import importlib.util
    return all(importlib.util.find_spec(name) is not None for name in ("sqlalchemy", "alembic"))


def store_for(tracking_uri: str | None) -> Store:
    """The store a tracking URI means. A local folder gets the store MLflow 3 recommends, a SQLite
    database ``<folder>/mlflow.db`` with artifacts in ``<folder>/artifacts``, which any MLflow client
    opens with no setting; a folder that already holds a file store (and no database), or an MLflow
    without SQLAlchemy, keeps the file store, which MLflow 3 opens only with MLFLOW_ALLOW_FILE_STORE
    set (layerwise sets it for its own writes). Any other URI is MLflow's to interpret."""
    path = local_store(tracking_uri)
    if path is None:
        return Store(str(tracking_uri), None, f"mlflow ui --backend-store-uri {tracking_uri}")
    file_store = any(path.glob("*/meta.yaml")) and not (path / "mlflow.db").exists()
    if not file_store and sql_store_available():
        uri = f"sqlite:///{path / 'mlflow.db'}"
        return Store(uri, (path / "artifacts").as_uri(), f"mlflow ui --backend-store-uri {uri}")
    os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    return Store(path.as_uri(), None, f"MLFLOW_ALLOW_FILE_STORE=true mlflow ui --backend-store-uri {path}")


def _model_params(model) -> dict[str, Any]:
    """What MLflow records as the run's parameters: the architecture, optimizer and loss."""
    params: dict[str, Any] = {"layers": " → ".join(f"{type(layer).__name__}({getattr(layer, 'units', '')})"
                                                   .replace("()", "") for layer in model.layers),
                              "parameters": model.count_params() if model.built else None,
                              "loss": getattr(model.loss, "name", str(model.loss)),
                              "metrics": ",".join(model.metrics)}
    if model.optimizer is not None:
        for k, v in model.optimizer.get_config().items():
            params[f"optimizer.{k}"] = v
    return {k: v for k, v in params.items() if v is not None}


class MLflowLogger(Callback):
    """Log a fit to MLflow: the model's parameters (plus ``params``) when training starts, every
    epoch's loss, metrics, validation values and learning rate, and at the end the model file
    and any ``artifacts`` (paths, e.g. the run report) as artifacts.

    ``tracking_uri``: any MLflow tracking URI; default a local store in ``./mlruns``. A plain path
    and a local ``file:`` URI are the same thing: a local folder, which gets the store MLflow 3
    recommends, ``<folder>/mlflow.db`` (see ``store_for``; ``self.store.open_command`` says how to
    open it). ``experiment``: its name (made when missing); ``run_name``: the run's.

    Parameters
    ----------
    tracking_uri : str or None, default None
        Where runs go: a folder or ``file:`` URI (a local store), or a database, server or
        ``databricks`` URI. None: ``./mlruns``.
    experiment : str, default "layerwise"
        The experiment's name.
    run_name : str or None, default None
        The run's name. None: MLflow's generated one.
    params : dict or None, default None
        Extra parameters to record with the model's (architecture, optimizer, loss, metrics).
    log_model : bool, default True
        Log the trained model file (``model.lwm``) as an artifact at the end.
    artifacts : iterable of str or path, default ()
        Files to attach at the end (those that exist then).
    end_with_training : bool, default True
        End the run when training ends. False: the caller logs more (``log_metrics``,
        ``log_artifact``) and then calls ``finish``.
    """

    def __init__(self, tracking_uri: str | None = None, experiment: str = "layerwise", run_name: str | None = None,
                 params: dict | None = None, log_model: bool = True, artifacts=(), end_with_training: bool = True):
        super().__init__()
        self.tracking_uri, self.experiment, self.run_name = tracking_uri, experiment, run_name
        self.params, self.log_model, self.artifacts = dict(params or {}), bool(log_model), list(artifacts)
        self.end_with_training = bool(end_with_training)  # False: the caller logs more, then calls finish()
        self.client = self.run_id = None
        self.store: Store | None = None

    def _client(self):
        try:
            import mlflow
        except ImportError as exc:
            raise MissingDependencyError(
                'the MLflow callback needs mlflow-skinny: pip install "layerwise[mlflow]"') from exc
        path = local_store(self.tracking_uri)
        if path is not None:  # a local folder, however it is spelled: one rule
            path.mkdir(parents=True, exist_ok=True)
        self.store = store_for(self.tracking_uri)
        return mlflow.MlflowClient(tracking_uri=self.store.uri)

    def on_train_begin(self, logs=None):
        self.client = self._client()
        exp = self.client.get_experiment_by_name(self.experiment)
        exp_id = exp.experiment_id if exp is not None else self.client.create_experiment(
            self.experiment, artifact_location=self.store.artifact_location if self.store else None)
        run = self.client.create_run(exp_id, run_name=self.run_name)
        self.run_id = run.info.run_id
        for k, v in {**_model_params(self.model), **self.params, **(logs or {}).get("params", {})}.items():
            self.client.log_param(self.run_id, k, str(v)[:500])

    def on_epoch_end(self, epoch, logs=None):
        if self.run_id is None:
            return
        for k, v in _numeric(logs).items():
            if math.isfinite(v):
                self.client.log_metric(self.run_id, k, v, step=epoch + 1)

    def log_artifact(self, path) -> None:
        """Attach a file to the run (the CLI adds the report and metrics after training).

        Parameters
        ----------
        path : str or path
            The file; nothing happens when it does not exist or no run is open.
        """
        if self.run_id is not None and Path(path).is_file():
            self.client.log_artifact(self.run_id, str(path))

    def log_metrics(self, values: dict) -> None:
        """Final values (e.g. the test set's), at the last epoch's step.

        Parameters
        ----------
        values : dict of str to float
            Metric names and values ({"test_accuracy": 0.97}); entries that are not finite
            numbers are left out.
        """
        if self.run_id is not None:
            step = len(getattr(self.model.history, "epoch", []) or [])
            for k, v in _numeric(values).items():
                if math.isfinite(v):
                    self.client.log_metric(self.run_id, k, v, step=step)

    def on_train_end(self, logs=None):
        if self.end_with_training:
            self.finish()

    def finish(self, status: str = "FINISHED") -> None:
        """Log the model file and the artifacts, and end the MLflow run.

        Parameters
        ----------
        status : str, default "FINISHED"
            The run's final status in MLflow ("FINISHED", "FAILED" or "KILLED").
        """
        if self.run_id is None:
            return
        if self.log_model and self.model.built:
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "model.lwm"
                self.model.save(path)
                self.client.log_artifact(self.run_id, str(path))
        for path in self.artifacts:
            self.log_artifact(path)
        self.client.set_terminated(self.run_id, status=status)
        self.run_id = None


registry.register("callback", TensorBoard)
registry.register("callback", MLflowLogger)
