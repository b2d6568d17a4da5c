"""Hyperparameter search: grids that run every point exactly once, with two workers on a real
PostgreSQL server, surviving a SIGKILLed worker; resumed studies rerun nothing."""
import collections
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

optuna = pytest.importorskip("optuna", reason="tuning tests need Optuna: pip install 'layerwise[tune]'")

from layerwise import tune as tune_mod  # noqa: E402
from layerwise.errors import ConfigError  # noqa: E402

CONFIG = """
name = "{name}"
seed = 0
[data]
dataset = "digits"
[model]
sizes = [64, 32, 10]
[compile]
optimizer = "sgd"
learning_rate = 0.1
[fit]
epochs = {epochs}
[run]
plots = false
report = false
[tune]
sampler = "{sampler}"
pruner = "{pruner}"
trials = 6
[tune.params]
{params}
"""
GRID = '"compile.learning_rate" = { grid = [0.01, 0.1] }\n"model.sizes.1" = { grid = [16, 64] }'


def write_config(tmp_path, name="s", epochs=3, sampler="grid", pruner="none", params=GRID):
    path = tmp_path / f"{name}.toml"
    path.write_text(CONFIG.format(name=name, epochs=epochs, sampler=sampler, pruner=pruner, params=params))
    return path


def completed_points(storage, name):
    study = optuna.load_study(study_name=name, storage=tune_mod.storage_for(storage))
    trials = study.get_trials(deepcopy=False)
    done = collections.Counter(tuple(sorted(t.params.items())) for t in trials
                               if t.state == optuna.trial.TrialState.COMPLETE)
    return done, trials


@pytest.fixture
def fast_heartbeat(monkeypatch):
    monkeypatch.setenv("LAYERWISE_TUNE_HEARTBEAT", "1")


def test_grid_runs_every_point_once_and_resumes_without_rerunning(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = write_config(tmp_path)
    summary = tune_mod.tune(cfg, workers=2, study_dir=tmp_path / "study", log=lambda m: None)
    storage = f"sqlite:///{(tmp_path / 'study' / 'study.db').resolve()}"
    done, trials = completed_points(storage, "s")
    assert len(done) == 4 and set(done.values()) == {1}
    assert summary["best_params"] == {"compile.learning_rate": 0.1, "model.sizes.1": 64}
    best = (tmp_path / "study" / "best_config.toml").read_text()
    assert "learning_rate = 0.1" in best and "tune" not in best
    assert len(list((tmp_path / "study" / "trials").iterdir())) == 4
    tune_mod.tune(cfg, study_dir=tmp_path / "study", log=lambda m: None)  # resume: nothing left to do
    assert len(completed_points(storage, "s")[1]) == len(trials)


def test_random_search_with_pruning(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    params = '"compile.learning_rate" = { low = 1e-4, high = 1.0, log = true }\n"model.dropout" = { low = 0.0, high = 0.5 }'
    cfg = write_config(tmp_path, name="r", epochs=4, sampler="random", pruner="median", params=params)
    summary = tune_mod.tune(cfg, study_dir=tmp_path / "study", log=lambda m: None)
    assert summary["complete"] + summary["pruned"] == 6 and summary["complete"] >= 1


@pytest.mark.parametrize("tune_table, message", [
    ("", "needs a \\[tune\\] table"),
    ('[tune]\nsampler = "annealing"\n[tune.params]\n"fit.epochs" = { grid = [1] }', "tune.sampler: expected one of"),
    ('[tune]\nsampler = "grid"\n[tune.params]\n"compile.learning_rate" = { low = 0.1, high = 1.0 }',
     "grid sampler needs explicit values"),
    ('[tune]\n[tune.params]\n"modle.sizes.1" = { grid = [1] }', "'modle' is not a config section"),
    ('[tune]\nwarmup = 3\n[tune.params]\n"fit.epochs" = { grid = [1] }', "tune.warmup: unknown key"),
])
def test_bad_tune_tables(tmp_path, tune_table, message):
    path = tmp_path / "bad.toml"
    path.write_text('[data]\ndataset = "digits"\n' + tune_table)
    with pytest.raises(ConfigError, match=message):
        tune_mod.tune(path, study_dir=tmp_path / "study")


# -- a real PostgreSQL server ---------------------------------------------------------------------------
def _pg_bin():
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return os.path.dirname(found[-1]) if found else None


@pytest.fixture
def postgres_url():
    """Start PostgreSQL (Debian's package) on a free loopback port in a temporary data directory."""
    pg = _pg_bin()
    if pg is None:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    pytest.importorskip("psycopg", reason="the PostgreSQL storage needs psycopg (pip install 'layerwise[tune]')")
    as_postgres = [] if os.geteuid() != 0 else ["runuser", "-u", "postgres", "--"]
    if as_postgres and shutil.which("runuser") is None:
        pytest.skip("running as root without runuser: cannot start PostgreSQL as its own user")
    data = tempfile.mkdtemp(prefix="layerwise-pg-")
    if as_postgres:
        shutil.chown(data, "postgres", "postgres")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    subprocess.run(as_postgres + [f"{pg}/initdb", "-D", data, "-A", "trust", "-U", "postgres"], check=True,
                   capture_output=True)
    subprocess.run(as_postgres + [f"{pg}/pg_ctl", "-D", data, "-w", "-l", f"{data}/log", "-o",
                                  f"-p {port} -k {data} -c listen_addresses=127.0.0.1", "start"],
                   check=True, capture_output=True)
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(as_postgres + [f"{pg}/pg_ctl", "-D", data, "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(data, ignore_errors=True)


def test_two_workers_on_postgres_run_each_grid_point_once(tmp_path, monkeypatch, postgres_url):
    monkeypatch.chdir(tmp_path)
    cfg = write_config(tmp_path, name="pg")
    summary = tune_mod.tune(cfg, storage=postgres_url, workers=2, study_dir=tmp_path / "study", log=lambda m: None)
    done, _ = completed_points(postgres_url, "pg")
    assert len(done) == 4 and set(done.values()) == {1}
    assert summary["complete"] == 4 and summary["storage"].startswith("127.0.0.1")


# The worker of the kill test: the CLI's `tune --worker-only` (layerwise.cli's entry), unchanged except that the first trial
# stops after its first epoch, once its heartbeat is in the database, writes READY and waits there.
# Killing it then lands mid-trial by construction (no sleeps, no race with a fast trial finishing).
HELD_WORKER = """
import sys, threading
from pathlib import Path
import optuna
import layerwise as lw
from layerwise.app import runs

ready = Path(sys.argv[1])
beat = threading.Event()
record = optuna.storages.RDBStorage.record_heartbeat

def recorded(self, trial_id):
    record(self, trial_id)
    beat.set()

optuna.storages.RDBStorage.record_heartbeat = recorded

class Hold(lw.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        beat.wait()                   # the heartbeat thread has committed a beat for this trial
        ready.write_text(str(epoch))
        threading.Event().wait()      # mid-trial until SIGKILL

train = runs.train

def held_train(cfg, **kwargs):
    return train(cfg, **{**kwargs, "extra_callbacks": [*kwargs.get("extra_callbacks", ()), Hold()]})

runs.train = held_train
sys.argv = ["layerwise", *sys.argv[2:]]
from layerwise.app.cli import entry  # what `python -m layerwise.cli` runs
entry()
"""


def test_a_worker_killed_mid_trial_is_survived(tmp_path, monkeypatch, postgres_url, fast_heartbeat):
    """Deterministic: the worker is killed while its first trial is RUNNING with a heartbeat
    recorded (it is held there, see HELD_WORKER), so exactly one trial goes stale, is failed by
    heartbeat and retried once. The only wait is for READY, bounded by a hang guard."""
    monkeypatch.chdir(tmp_path)
    cfg = write_config(tmp_path, name="kill", epochs=3)  # the held trial never finishes, whatever its length
    spec = tune_mod.tune_spec(tune_mod.config_mod.load(cfg))
    tune_mod.queue_grid(tune_mod.create_study(None, spec, "kill", postgres_url), spec)
    ready = tmp_path / "READY"
    worker = subprocess.Popen([sys.executable, "-c", HELD_WORKER, str(ready), "tune", str(cfg), "--storage",
                               postgres_url, "--study", "kill", "--study-dir", str(tmp_path / "study"),
                               "--worker-only"], env={**os.environ, "LAYERWISE_TUNE_HEARTBEAT": "1"})
    try:
        deadline = time.monotonic() + 600  # a hang guard only: the worker normally holds within seconds
        while not ready.exists() and worker.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert ready.exists(), f"the worker never reached its first epoch (exit code {worker.poll()})"
        study = optuna.load_study(study_name="kill", storage=tune_mod.storage_for(postgres_url))
        assert len(study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,))) == 1
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait()
    assert worker.returncode == -signal.SIGKILL
    tune_mod.tune(cfg, storage=postgres_url, study_name="kill", study_dir=tmp_path / "study", log=lambda m: None)
    done, trials = completed_points(postgres_url, "kill")
    assert len(done) == 4 and set(done.values()) == {1}  # every point finished exactly once
    states = collections.Counter(t.state for t in trials)
    assert states[optuna.trial.TrialState.FAIL] == 1  # the killed trial: failed by heartbeat, then retried


def test_the_tune_example_runs_and_reports_each_trial(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    example = Path(__file__).resolve().parents[1] / "examples" / "configs" / "tune.toml"
    summary = tune_mod.tune(example, study_dir=tmp_path / "study", log=lambda m: None)
    assert summary["trials"] == summary["complete"] == 4 and summary["best_value"] > 0.8
    lines = [l for l in capsys.readouterr().out.splitlines() if l.startswith("trial ")]
    assert len(lines) == 4 and all("complete val_accuracy" in l for l in lines)


def test_a_worker_never_starts_a_study(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = write_config(tmp_path, name="nobody")
    with pytest.raises(ConfigError, match="study 'nobody' does not exist"):
        tune_mod.tune(cfg, study_dir=tmp_path / "study", worker_only=True)


def test_tune_logs_every_trial_to_tensorboard_and_mlflow(tmp_path, monkeypatch):
    mlflow = pytest.importorskip("mlflow")
    pytest.importorskip("tensorboardX")
    from layerwise.app import cli
    monkeypatch.chdir(tmp_path)
    cfg = write_config(tmp_path, name="tracked", epochs=1,
                       params='"compile.learning_rate" = { grid = [0.01, 0.1] }')
    assert cli.main(["tune", str(cfg), "--study-dir", str(tmp_path / "study"),
                     "--tensorboard", str(tmp_path / "tb"), "--mlflow", str(tmp_path / "mlruns")]) == 0
    assert sorted(p.name for p in (tmp_path / "tb").iterdir()) == ["trial-0000", "trial-0001"]
    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{(tmp_path / 'mlruns').resolve() / 'mlflow.db'}")
    runs = client.search_runs([client.get_experiment_by_name("tracked").experiment_id])
    assert sorted(r.info.run_name for r in runs) == ["trial-0000", "trial-0001"]
    assert all("loss" in r.data.metrics for r in runs)
