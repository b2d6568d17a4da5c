"""Hyperparameter search on Optuna: the config's ``[tune]`` table says what to search.

    [tune]
    sampler = "grid"            # grid | random | tpe
    pruner = "median"           # none | median | hyperband
    metric = "val_accuracy"     # any logged per-epoch value; direction follows its name
    trials = 20                 # for random/tpe (a grid runs every point)
    [tune.params]
    "compile.learning_rate" = { grid = [0.01, 0.1] }   # grid values
    "model.sizes.1" = { grid = [64, 256] }            # an element of a list

  and, for random/tpe, ranges and choices:

    "model.dropout" = { low = 0.0, high = 0.5 }                        # a range
    "compile.learning_rate" = { low = 1e-4, high = 1e-1, log = true }  # a log-scale range
    "model.activation" = { choices = ["relu", "tanh"] }

  (examples/configs/tune.toml is a complete, tested example.)

    layerwise tune CONFIG [--workers N] [--storage URL] [--study NAME] [--trials N] [--timeout S]

The study lives in an Optuna storage: by default a SQLite file in the study directory; a
``postgresql://`` URL lets workers on any number of machines join the same study (start
``layerwise tune CONFIG --storage URL --study NAME --worker-only`` on each). Workers send a
heartbeat; a trial whose worker died is marked failed and retried once. Re-running ``tune``
resumes the study: finished trials are not run again.
"""
from __future__ import annotations

import copy
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from .. import settings
from ..errors import ConfigError, LayerwiseError
from ..training.callbacks import Callback
from . import config as config_mod

SAMPLERS = ("grid", "random", "tpe")
PRUNERS = ("none", "median", "hyperband")


def heartbeat_seconds() -> int:
    """How often a worker says it is alive (LAYERWISE_TUNE_HEARTBEAT, default 5 s); a trial silent for
    four heartbeats is taken for dead."""
    return settings.get("LAYERWISE_TUNE_HEARTBEAT")


def _optuna():
    try:
        import optuna
    except ImportError as exc:
        raise LayerwiseError("tuning needs Optuna: pip install 'layerwise[tune]'") from exc
    import warnings
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    # heartbeats, retries and the matplotlib plots are marked experimental by Optuna
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    return optuna


def tune_spec(cfg: dict[str, Any]) -> dict[str, Any]:
    """The validated [tune] table with defaults."""
    raw = cfg.get("tune")
    if not isinstance(raw, dict) or not raw.get("params"):
        raise ConfigError("tune: the config needs a [tune] table with [tune.params] to search")
    spec = {"sampler": "tpe", "pruner": "median", "metric": "val_accuracy", "trials": 20, "seed": 0, **raw}
    unknown = set(spec) - {"sampler", "pruner", "metric", "trials", "seed", "params", "direction"}
    if unknown:
        raise ConfigError(f"tune.{sorted(unknown)[0]}: unknown key; valid keys in tune: direction, metric, params, "
                          "pruner, sampler, seed, trials")
    if spec["sampler"] not in SAMPLERS:
        raise ConfigError(f"tune.sampler: expected one of {', '.join(SAMPLERS)}, got {spec['sampler']!r}")
    if spec["pruner"] not in PRUNERS:
        raise ConfigError(f"tune.pruner: expected one of {', '.join(PRUNERS)}, got {spec['pruner']!r}")
    if not isinstance(spec["trials"], int) or spec["trials"] < 1:
        raise ConfigError(f"tune.trials: expected a positive integer, got {spec['trials']!r}")
    spec.setdefault("direction", "minimize" if "loss" in spec["metric"] else "maximize")
    for name, p in spec["params"].items():
        where = f"tune.params.{name}"
        if not isinstance(p, dict) or not ({"grid", "choices"} & set(p) or {"low", "high"} <= set(p)):
            raise ConfigError(f"{where}: expected {{grid = [...]}}, {{choices = [...]}} or {{low, high[, log]}}")
        if spec["sampler"] == "grid" and "grid" not in p and "choices" not in p:
            raise ConfigError(f"{where}: the grid sampler needs explicit values (grid = [...])")
        _check_path(cfg, name)
    return spec


def _check_path(cfg, dotted: str) -> None:
    keys = dotted.split(".")
    node: Any = cfg
    for k in keys[:-1]:
        if isinstance(node, dict) and k in node:
            node = node[k]
        else:
            raise ConfigError(f"tune.params.{dotted}: {k!r} is not a config section")
    last = keys[-1]
    if last.isdigit():
        if not isinstance(node, list) or int(last) >= len(node):
            raise ConfigError(f"tune.params.{dotted}: no list element {last}")
    elif not (isinstance(node, dict) and (last in node or keys[0] in ("compile", "model", "fit", "data"))):
        raise ConfigError(f"tune.params.{dotted}: not a config key")


def apply_params(cfg: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``cfg`` with each dotted path set (and validated like the file's own values)."""
    cfg = copy.deepcopy(cfg)
    cfg.pop("tune", None)
    for dotted, value in params.items():
        keys = dotted.split(".")
        if keys[-1].isdigit():  # an element of a list, e.g. model.sizes.1
            parent = ".".join(keys[:-1])
            node: Any = cfg
            for k in keys[:-1]:
                node = node[k]
            new = list(node)
            new[int(keys[-1])] = value
            config_mod.set_path(cfg, parent, new)
        else:
            config_mod.set_path(cfg, dotted, value)
    return cfg


def _suggest(trial, name: str, p: dict[str, Any]):
    if "grid" in p or "choices" in p:
        return trial.suggest_categorical(name, list(p["grid"] if "grid" in p else p["choices"]))
    if isinstance(p["low"], int) and isinstance(p["high"], int) and not p.get("log"):
        return trial.suggest_int(name, p["low"], p["high"])
    return trial.suggest_float(name, float(p["low"]), float(p["high"]), log=bool(p.get("log", False)))


class _Pruning(Callback):
    """Report the metric after every epoch; stop the trial when the pruner says so."""

    def __init__(self, trial, metric: str):
        super().__init__()
        self.trial, self.metric = trial, metric

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.metric)
        if value is None:
            raise ConfigError(f"tune.metric {self.metric!r} is not logged; logged: {', '.join(sorted(logs or {}))}")
        self.trial.report(float(value), epoch)
        if self.trial.should_prune():
            import optuna
            raise optuna.TrialPruned(f"pruned after epoch {epoch + 1}: {self.metric} = {value:.4f}")


def storage_for(url: str):
    optuna = _optuna()
    from optuna.storages import RDBStorage
    beat = heartbeat_seconds()
    kwargs: dict[str, Any] = {"heartbeat_interval": beat, "grace_period": 4 * beat,
                              "engine_kwargs": {"pool_pre_ping": True} if url.startswith("postgresql") else None}
    if hasattr(optuna.storages, "RetryHeartbeatStaleTrialCallback"):  # Optuna >= 4.9
        kwargs["heartbeat_stale_trial_callback"] = optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=1)
    else:  # pragma: no cover - older Optuna
        kwargs["failed_trial_callback"] = optuna.storages.RetryFailedTrialCallback(max_retry=1)
    return RDBStorage(url, **kwargs)


def create_study(cfg, spec, name: str, storage_url: str):
    optuna = _optuna()
    if spec["sampler"] in ("grid", "random"):  # grid points are queued up front (see grid_points)
        sampler = optuna.samplers.RandomSampler(seed=spec["seed"])
        sampler = optuna.samplers.RandomSampler(seed=spec["seed"])
    else:
        sampler = optuna.samplers.TPESampler(seed=spec["seed"])
    pruner = {"none": optuna.pruners.NopPruner(), "median": optuna.pruners.MedianPruner(n_warmup_steps=1),
              "hyperband": optuna.pruners.HyperbandPruner()}[spec["pruner"]]
    study = optuna.create_study(study_name=name, storage=storage_for(storage_url), sampler=sampler, pruner=pruner,
                                direction=spec["direction"], load_if_exists=True)
    return study


def grid_points(spec) -> list[dict[str, Any]]:
    import itertools
    names = list(spec["params"])
    values = [list(spec["params"][k].get("grid", spec["params"][k].get("choices"))) for k in names]
    return [dict(zip(names, combo)) for combo in itertools.product(*values)]


def queue_grid(study, spec) -> None:
    """Queue every grid point once, as a waiting trial: a worker takes a waiting trial atomically,
    so with any number of workers each point runs exactly once (Optuna's GridSampler may repeat
    points when workers race). Only a study without trials is queued (a resumed one keeps its own)."""
    if spec["sampler"] == "grid" and not study.get_trials(deepcopy=False):
        for point in grid_points(spec):
            study.enqueue_trial(point, user_attrs={"grid_point": True})


def run_worker(cfg, spec, name: str, storage_url: str, study_dir: Path, trials: int | None = None,
               timeout: float | None = None, finish: bool = True) -> None:
    """Run trials until the study has enough finished ones (or the grid is done, or time is up)."""
    from . import runs
    optuna = _optuna()
    from optuna.study import MaxTrialsCallback
    from optuna.trial import TrialState
    study = create_study(cfg, spec, name, storage_url)
    metric = spec["metric"]

    def progress(study, trial):  # one line per finished trial, so a long search is visibly moving
        value = "" if trial.value is None else f" {metric} {trial.value:.4f}"
        print(f"trial {trial.number} {trial.state.name.lower()}{value}  {trial.params}", flush=True)
    better = max if spec["direction"] == "maximize" else min

    def objective(trial):
        if spec["sampler"] == "grid" and not trial.user_attrs.get("grid_point"):
            # raced past the last queued point: nothing left to run
            raise optuna.TrialPruned("no grid point left")
        params = {k: _suggest(trial, k, p) for k, p in spec["params"].items()}
        trial_cfg = apply_params(cfg, params)
        run_dir = study_dir / "trials" / f"trial-{trial.number:04d}"
        trial.set_user_attr("run_dir", str(run_dir))
        result = runs.train(trial_cfg, run_dir=run_dir, verbose=0, extra_callbacks=[_Pruning(trial, metric)],
                            log=lambda msg: None)
        values = result.history.get(metric)
        if not values:
            raise ConfigError(f"tune.metric {metric!r} was not logged")
        return better(values)

    if spec["sampler"] == "grid":
        deadline = time.time() + (timeout or math.inf)
        while time.time() < deadline and study.get_trials(deepcopy=False, states=(TrialState.WAITING,)):
            study.optimize(objective, n_trials=1, catch=(LayerwiseError,), callbacks=[progress])
    else:
        n_total = trials or spec["trials"]
        study.optimize(objective, timeout=timeout, catch=(LayerwiseError,),
                       callbacks=[MaxTrialsCallback(n_total, states=(TrialState.COMPLETE, TrialState.PRUNED)),
                                  progress])
    if finish:
        _finish_stale(study, objective, timeout)


def _finish_stale(study, objective, timeout) -> None:
    """Wait for trials still running elsewhere; a trial whose worker stopped sending heartbeats is
    failed (and re-queued once by the retry callback); run whatever is queued."""
    from optuna.storages import fail_stale_trials
    from optuna.trial import TrialState
    deadline = time.time() + (timeout or 3600)
    while time.time() < deadline:
        fail_stale_trials(study)
        waiting = study.get_trials(deepcopy=False, states=(TrialState.WAITING,))
        if waiting:
            study.optimize(objective, n_trials=len(waiting), catch=(LayerwiseError,))
            continue
        if not study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
            return
        time.sleep(heartbeat_seconds())


def prepare_mlflow_store(tracking_uri: str) -> None:
    """Create a local MLflow store's database once, before workers write to it at the same time."""
    from ..training.loggers import local_store, store_for
    path = local_store(tracking_uri)
    if path is not None:
        import mlflow
        path.mkdir(parents=True, exist_ok=True)
        mlflow.MlflowClient(tracking_uri=store_for(tracking_uri).uri).search_experiments()


def tune(config_path, study_name: str | None = None, storage: str | None = None, workers: int = 1,
         trials: int | None = None, timeout: float | None = None, study_dir=None, worker_only: bool = False,
         log=print, tracking: dict | None = None) -> dict[str, Any]:
    """Run (or resume, or join) a study; unless ``worker_only``, write the study's summary.
    ``tracking``: {"tensorboard": DIR, "mlflow": URI} for every trial (the [run] table's keys)."""
    cfg = config_mod.load(config_path)
    for key, value in (tracking or {}).items():
        config_mod.set_path(cfg, f"run.{key}", value)
    spec = tune_spec(cfg)
    name = study_name or (cfg["name"] or Path(config_path).stem)
    study_dir = Path(study_dir or Path("studies") / name)
    study_dir.mkdir(parents=True, exist_ok=True)
    storage = storage or f"sqlite:///{(study_dir / 'study.db').resolve()}"
    if worker_only:  # a worker joins a study; it never starts one (that would run every trial alone)
        if name not in _optuna().get_all_study_names(storage=storage_for(storage)):
            raise ConfigError(f"study {name!r} does not exist in {storage}; start it first with "
                              f"layerwise tune {config_path} --storage URL --study {name} (without --worker-only)")
    else:
        queue_grid(create_study(cfg, spec, name, storage), spec)  # before any worker starts
    if (tracking or {}).get("mlflow") and workers > 1:
        prepare_mlflow_store(tracking["mlflow"])  # type: ignore[index]
    t0 = time.perf_counter()
    procs = []
    # workers on one machine share its cores: give each its share of BLAS threads
    threads = max(1, len(os.sched_getaffinity(0)) // max(1, workers)) if workers > 1 else None
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    if threads:
        env.update(OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    for _ in range(max(0, workers - 1)):
        cmd = [sys.executable, "-m", "layerwise", "tune", str(config_path), "--study", name, "--storage", storage,
               "--study-dir", str(study_dir), "--worker-only"]
        if trials:
            cmd += ["--trials", str(trials)]
        if timeout:
            cmd += ["--timeout", str(timeout)]
        for key, value in (tracking or {}).items():  # every worker logs where the first one does
            cmd += [f"--{key}", str(value)]
        procs.append(subprocess.Popen(cmd, env=env))
    try:
        if threads:
            from threadpoolctl import threadpool_limits
            with threadpool_limits(limits=threads):
                run_worker(cfg, spec, name, storage, study_dir, trials, timeout, finish=not worker_only)
        else:
            run_worker(cfg, spec, name, storage, study_dir, trials, timeout, finish=not worker_only)
    finally:
        for p in procs:
            p.wait()
    seconds = time.perf_counter() - t0
    if worker_only:
        return {}
    return write_summary(cfg, spec, name, storage, study_dir, seconds, log)


def write_summary(cfg, spec, name, storage, study_dir: Path, seconds: float, log=print) -> dict[str, Any]:
    """best_config.toml (runnable with layerwise train --config), results.csv, summary.json and plots."""
    optuna = _optuna()
    from optuna.trial import TrialState

    from ..formats.atomic import atomic_write_csv, atomic_write_text
    study = optuna.load_study(study_name=name, storage=storage_for(storage))
    trials = study.get_trials(deepcopy=False)
    trials = [t for t in trials if spec["sampler"] != "grid" or t.user_attrs.get("grid_point")]
    rows = [{"number": t.number, "state": t.state.name, "value": t.value, **{k: v for k, v in t.params.items()},
             "seconds": (t.datetime_complete - t.datetime_start).total_seconds()
             if t.datetime_complete and t.datetime_start else None,
             "run_dir": t.user_attrs.get("run_dir")} for t in trials]
    atomic_write_csv(study_dir / "results.csv", rows)
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    summary: dict[str, Any] = {"study": name, "storage": storage.split("@")[-1], "trials": len(trials),
                               "complete": len(complete),
                               "pruned": sum(t.state == TrialState.PRUNED for t in trials),
                               "failed": sum(t.state == TrialState.FAIL for t in trials),
                               "metric": spec["metric"], "direction": spec["direction"], "wall_seconds": seconds}
    if complete:
        best = study.best_trial
        best_cfg = apply_params(cfg, best.params)
        atomic_write_text(study_dir / "best_config.toml", config_mod.dumps(best_cfg))
        summary.update(best_value=best.value, best_params=best.params, best_trial=best.number,
                       best_run_dir=best.user_attrs.get("run_dir"))
        log(f"best {spec['metric']} {best.value:.4f} with {best.params} (trial {best.number}); "
            f"config: {study_dir / 'best_config.toml'}")
        try:
            _plots(study, study_dir / "plots")
        except ImportError:
            pass
    atomic_write_text(study_dir / "summary.json", json.dumps(summary, indent=2, default=str))
    return summary


def _plots(study, out_dir: Path) -> None:
    import matplotlib
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    from optuna.visualization import matplotlib as ovm
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, fn in (("optimization_history", ovm.plot_optimization_history),
                     ("param_importances", ovm.plot_param_importances),
                     ("parallel_coordinate", ovm.plot_parallel_coordinate)):
        try:
            ax: Any = fn(study)  # an Axes, or (some optuna versions and plots) an array of them
            fig = ax.figure if hasattr(ax, "figure") else ax[0].figure
            fig.savefig(out_dir / f"{name}.png", dpi=100, bbox_inches="tight")
            plt.close(fig)
        except (ValueError, RuntimeError, ZeroDivisionError):
            continue  # e.g. importances need at least two distinct values per parameter
