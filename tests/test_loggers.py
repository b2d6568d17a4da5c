"""TensorBoard and MLflow callbacks, read back with each library's own reader."""
from __future__ import annotations

import numpy as np
import pytest

import layerwise as lw

pytest.importorskip("tensorboardX")


def _fit(callbacks, epochs=3):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 6)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64) + (x[:, 1] > 0)
    model = lw.Sequential([lw.Dense(8, "relu"), lw.Dense(3, "softmax")], input_shape=(6,), seed=0)
    model.compile(lw.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy", "f1_macro"])
    hist = model.fit(x, y, epochs=epochs, batch_size=32, verbose=0, validation_split=0.25, callbacks=callbacks)
    return model, hist.history


def test_tensorboard_scalars_histograms_and_statistics_read_back(tmp_path):
    ea_mod = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    model, hist = _fit([lw.callbacks.TensorBoard(tmp_path / "tb")])
    acc = ea_mod.EventAccumulator(str(tmp_path / "tb"), size_guidance={"histograms": 0, "scalars": 0})
    acc.Reload()
    tags = acc.Tags()
    for key in ("loss", "accuracy", "f1_macro", "val_loss", "val_accuracy", "lr"):
        events = acc.Scalars(f"epoch/{key}")
        assert [e.step for e in events] == [1, 2, 3]
        np.testing.assert_allclose([e.value for e in events], hist[key], rtol=1e-6)
    name = model.layers[0].name
    assert {f"{name}/kernel", f"{name}/kernel_grad", f"{name}/bias"} <= set(tags["histograms"])
    assert f"stats/{name}/grad_norm" in tags["scalars"] and f"stats/{name}/act_std" in tags["scalars"]
    final_w = acc.Histograms(f"{name}/kernel")[-1].histogram_value
    assert final_w.num == model.layers[0].params["kernel"].size


def test_mlflow_run_has_params_metrics_and_the_model(tmp_path):
    mlflow = pytest.importorskip("mlflow")
    store = tmp_path / "mlruns"
    model, hist = _fit([lw.callbacks.MLflowLogger(str(store), experiment="exp", run_name="r1")])
    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{store.resolve() / 'mlflow.db'}")
    exp = client.get_experiment_by_name("exp")
    (run,) = client.search_runs([exp.experiment_id])
    assert run.info.run_name == "r1" and run.info.status == "FINISHED"
    assert run.data.params["optimizer.name"] == "adam" and "crossentropy" in run.data.params["loss"]
    for key in ("loss", "val_accuracy", "f1_macro", "lr"):
        values = [m.value for m in sorted(client.get_metric_history(run.info.run_id, key), key=lambda m: m.step)]
        np.testing.assert_allclose(values, hist[key], rtol=1e-6)
    local = client.download_artifacts(run.info.run_id, "model.lwm", str(tmp_path))
    np.testing.assert_array_equal(lw.load(local).get_weights()[0], model.get_weights()[0])


def test_cli_train_logs_to_tensorboard_and_mlflow(tmp_path):
    mlflow = pytest.importorskip("mlflow")
    from layerwise.app import cli
    rc = cli.main(["train", "--epochs", "2", "--runs-dir", str(tmp_path / "runs"), "--quiet",
                   "--tensorboard", str(tmp_path / "tb"), "--mlflow", str(tmp_path / "mlruns")])
    assert rc == 0
    run_dir = next((tmp_path / "runs").iterdir())
    assert any((tmp_path / "tb" / run_dir.name).iterdir())
    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{(tmp_path / 'mlruns').resolve() / 'mlflow.db'}")
    (run,) = client.search_runs([e.experiment_id for e in client.search_experiments()])
    names = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert {"model.lwm", "report.html", "metrics.json", "history.csv", "config.toml"} <= names
    assert "test_accuracy" in run.data.metrics and run.info.status == "FINISHED"


def test_missing_tracker_package_is_named(monkeypatch):
    import builtins
    real = builtins.__import__

    def fake(name, *args, **kwargs):
        if name.startswith("tensorboardX"):
            raise ImportError(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake)
    with pytest.raises(lw.errors.MissingDependencyError, match=r'pip install "layerwise\[tensorboard\]"'):
        _fit([lw.callbacks.TensorBoard("unused")], epochs=1)


@pytest.mark.parametrize("spelling", ["plain path", "file:/abs", "file:///abs", "file://localhost/abs"])
def test_mlflow_local_folder_opens_in_a_users_own_client(tmp_path, monkeypatch, capsys, spelling):
    """`--mlflow <dir>` and `--mlflow file:<dir>` are one rule: a local folder gets the store MLflow 3
    recommends (a SQLite database in it), and a user's own MLflow client, in a fresh process with no
    MLFLOW_* setting, opens the run with the URI the CLI printed."""
    pytest.importorskip("mlflow")
    import json
    import os
    import subprocess
    import sys

    from layerwise.app import cli
    monkeypatch.delenv("MLFLOW_ALLOW_FILE_STORE", raising=False)  # as in a fresh shell
    store = tmp_path / "mlruns"
    uri = {"plain path": str(store), "file:/abs": f"file:{store}", "file:///abs": store.as_uri(),
           "file://localhost/abs": f"file://localhost{store}"}[spelling]
    cfg = tmp_path / "quick.toml"
    cfg.write_text("[run]\nplots = false\nreport = false\n")
    rc = cli.main(["train", "--config", str(cfg), "--epochs", "1", "--runs-dir", str(tmp_path / "runs"),
                   "--mlflow", uri])
    assert rc == 0
    printed = " ".join(capsys.readouterr().out.split())
    assert f"open it with: mlflow ui --backend-store-uri sqlite:///{store / 'mlflow.db'}" in printed
    assert (store / "mlflow.db").is_file()
    reader = ("import json, sys, mlflow\n"
              "c = mlflow.MlflowClient(tracking_uri=sys.argv[1])\n"
              "(r,) = c.search_runs([e.experiment_id for e in c.search_experiments()])\n"
              "print(json.dumps([r.info.status, sorted(r.data.metrics), [a.path for a in c.list_artifacts(r.info.run_id)]]))")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    done = subprocess.run([sys.executable, "-c", reader, f"sqlite:///{store / 'mlflow.db'}"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    status, metrics, artifacts = json.loads(done.stdout.strip().splitlines()[-1])
    assert status == "FINISHED" and "test_accuracy" in metrics and "model.lwm" in artifacts


def test_mlflow_folder_holding_a_file_store_keeps_it(tmp_path, monkeypatch):
    """A folder that already holds an MLflow file store (runs logged before) goes on in that store,
    and the note says how to open it."""
    from layerwise.training.loggers import store_for
    monkeypatch.delenv("MLFLOW_ALLOW_FILE_STORE", raising=False)
    (tmp_path / "0").mkdir()
    (tmp_path / "0" / "meta.yaml").write_text("name: Default\n")
    store = store_for(str(tmp_path))
    assert store.uri == tmp_path.resolve().as_uri()
    assert store.open_command.startswith("MLFLOW_ALLOW_FILE_STORE=true mlflow ui")
    fresh = store_for(str(tmp_path / "new"))
    assert fresh.uri.startswith("sqlite:///") and fresh.open_command == f"mlflow ui --backend-store-uri {fresh.uri}"


def test_local_store_names_one_directory_for_every_local_spelling(tmp_path, monkeypatch):
    from layerwise.training.loggers import local_store
    monkeypatch.chdir(tmp_path)
    here = (tmp_path / "mlruns").resolve()
    for uri in (None, "mlruns", "./mlruns", str(here), f"file:{here}", here.as_uri(), f"file://localhost{here}",
                "file:mlruns"):
        assert local_store(uri) == here, uri
    for uri in ("sqlite:///mlflow.db", "http://localhost:5000", "https://example.org", "databricks",
                "databricks://profile", "file://otherhost/share/mlruns"):
        assert local_store(uri) is None, uri
