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
    client = mlflow.MlflowClient(tracking_uri=store.resolve().as_uri())
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
    client = mlflow.MlflowClient(tracking_uri=(tmp_path / "mlruns").resolve().as_uri())
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
def test_mlflow_local_file_uri_is_a_plain_path(tmp_path, monkeypatch, spelling):
    """`--mlflow file:<dir>` and `--mlflow <dir>` are one rule: the local file store, opted in for
    (MLflow 3 refuses it unless MLFLOW_ALLOW_FILE_STORE is set), and MLflow reads the run back."""
    mlflow = pytest.importorskip("mlflow")
    from layerwise.app import cli
    monkeypatch.delenv("MLFLOW_ALLOW_FILE_STORE", raising=False)  # as in a fresh shell
    store = tmp_path / "mlruns"
    uri = {"plain path": str(store), "file:/abs": f"file:{store}", "file:///abs": store.as_uri(),
           "file://localhost/abs": f"file://localhost{store}"}[spelling]
    cfg = tmp_path / "quick.toml"
    cfg.write_text("[run]\nplots = false\nreport = false\n")
    rc = cli.main(["train", "--config", str(cfg), "--epochs", "1", "--runs-dir", str(tmp_path / "runs"), "--quiet",
                   "--mlflow", uri])
    assert rc == 0
    client = mlflow.MlflowClient(tracking_uri=store.as_uri())
    (run,) = client.search_runs([e.experiment_id for e in client.search_experiments()])
    assert run.info.status == "FINISHED" and "test_accuracy" in run.data.metrics
    assert "model.lwm" in {a.path for a in client.list_artifacts(run.info.run_id)}


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
