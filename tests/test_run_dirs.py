"""What a run directory holds at the edges: no empty plots/ without matplotlib, no directory left by a
run that failed before training (and never one removed that holds a checkpoint or a model), and a
per-class chart whose class names can be read."""
import builtins
import sys
from pathlib import Path

import numpy as np
import pytest

from layerwise.app import config as config_mod
from layerwise.app import runs
from layerwise.cli import main
from layerwise.training.callbacks import Callback

QUICK = "[run]\nplots = false\nreport = false\n"


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def entries(folder) -> list[str]:
    folder = Path(folder)
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# -- item: no empty plots/ -----------------------------------------------------------------------
def test_without_matplotlib_there_is_no_plots_folder(in_tmp, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib → ImportError
    assert main(["train", "--epochs", "2", "--quiet", "--diagnostics"]) == 0
    (run,) = (in_tmp / "runs").iterdir()
    assert (run / "model.lwm").is_file() and not (run / "plots").exists(), entries(run)
    assert "no plots or report" in capsys.readouterr().err


def test_with_matplotlib_plots_are_written(in_tmp, capsys):
    pytest.importorskip("matplotlib")
    assert main(["train", "--epochs", "1", "--quiet"]) == 0
    (run,) = (in_tmp / "runs").iterdir()
    assert "per_class_accuracy.png" in entries(run / "plots")


# -- item: a failed run leaves no directory with only config.toml --------------------------------
def test_missing_tensorboardx_leaves_no_run_directory(in_tmp, monkeypatch, capsys):
    real = builtins.__import__

    def fake(name, *args, **kwargs):
        if name.startswith("tensorboardX"):
            raise ImportError(name)
        return real(name, *args, **kwargs)
    monkeypatch.setattr(builtins, "__import__", fake)
    assert main(["train", "--epochs", "1", "--quiet", "--tensorboard", str(in_tmp / "tb")]) == 2
    assert 'pip install "layerwise[tensorboard]"' in capsys.readouterr().err
    assert entries(in_tmp / "runs") == []


def test_unwritable_tensorboard_directory_is_refused_before_a_run_directory_exists(in_tmp, capsys):
    (in_tmp / "afile").write_text("not a folder")
    assert main(["train", "--epochs", "1", "--quiet", "--tensorboard", str(in_tmp / "afile" / "tb")]) == 1
    err = capsys.readouterr().err
    assert "cannot write TensorBoard files" in err and "is a file" in err
    assert not (in_tmp / "runs").exists()


def test_tensorboard_directory_without_permission_is_refused(in_tmp, monkeypatch, capsys):
    import os
    real = os.access
    locked = in_tmp / "locked"
    locked.mkdir()
    monkeypatch.setattr(os, "access", lambda p, mode, **kw: False if Path(p) == locked else real(p, mode, **kw))
    assert main(["train", "--epochs", "1", "--quiet", "--tensorboard", str(locked / "tb")]) == 1
    assert "permission denied" in capsys.readouterr().err
    assert not (in_tmp / "runs").exists()


class Boom(Callback):
    def __init__(self, at_epoch=None):
        super().__init__()
        self.at_epoch = at_epoch

    def on_train_begin(self, logs=None):
        if self.at_epoch is None:
            raise RuntimeError("a tracker that cannot start")

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.at_epoch:
            raise RuntimeError("failed after training began")


def _cfg(tmp_path, epochs=3):
    (tmp_path / "c.toml").write_text(QUICK)
    cfg = config_mod.load(tmp_path / "c.toml")
    config_mod.set_path(cfg, "fit.epochs", epochs)
    return cfg


def test_a_run_that_fails_at_its_start_is_removed(in_tmp):
    with pytest.raises(RuntimeError, match="cannot start"):
        runs.train(_cfg(in_tmp), extra_callbacks=[Boom()], verbose=0, log=lambda m: None)
    assert entries(in_tmp / "runs") == []
    # a run directory given by the caller (as tuning does) that this call made goes too
    with pytest.raises(RuntimeError, match="cannot start"):
        runs.train(_cfg(in_tmp), run_dir=in_tmp / "trial-0000", extra_callbacks=[Boom()], verbose=0,
                   log=lambda m: None)
    assert not (in_tmp / "trial-0000").exists()


def test_a_run_that_fails_after_training_began_is_kept(in_tmp):
    with pytest.raises(RuntimeError, match="after training began"):
        runs.train(_cfg(in_tmp), extra_callbacks=[Boom(at_epoch=1)], verbose=0, log=lambda m: None)
    (run,) = (in_tmp / "runs").iterdir()
    assert {"config.toml", "history.csv", "checkpoint.lwc"} <= set(entries(run))


def test_a_directory_that_existed_before_is_never_removed(in_tmp):
    given = in_tmp / "mine"
    given.mkdir()
    with pytest.raises(RuntimeError, match="cannot start"):
        runs.train(_cfg(in_tmp), run_dir=given, extra_callbacks=[Boom()], verbose=0, log=lambda m: None)
    assert entries(given) == ["config.toml"]


@pytest.mark.parametrize("keep", ["checkpoint.lwc", "model.lwm", "metrics.json", "notes.txt"])
def test_discard_keeps_anything_with_a_checkpoint_a_model_or_unknown_files(in_tmp, keep):
    run = in_tmp / "run"
    run.mkdir()
    (run / "config.toml").write_text("name = 'x'\n")
    (run / keep).write_bytes(b"x")
    assert runs.discard_untrained_run(run) is False
    assert entries(run) == sorted(["config.toml", keep])


def test_discard_keeps_a_history_with_an_epoch_and_removes_an_untrained_one(in_tmp):
    run = in_tmp / "run"
    run.mkdir()
    (run / "config.toml").write_text("name = 'x'\n")
    (run / "history.csv").write_text("epoch,loss\n1,0.5\n")
    assert runs.discard_untrained_run(run) is False and (run / "config.toml").is_file()
    (run / "history.csv").write_text("epoch,loss\n")
    (run / "plots").mkdir()
    assert runs.discard_untrained_run(run) is True and not run.exists()


# -- item: readable per-class chart --------------------------------------------------------------
def test_per_class_chart_names_do_not_overlap(in_tmp, monkeypatch):
    pytest.importorskip("matplotlib")
    from layerwise.app.report import plots
    from layerwise.data.datasets import SOURCES
    names = list(SOURCES["fashion-mnist"]["classes"])
    seen = {}
    real = plots._save

    def keep(fig, path):
        fig.canvas.draw()
        ax = fig.axes[0]
        seen["labels"] = [(t.get_text(), t.get_window_extent()) for t in ax.get_yticklabels() + ax.get_xticklabels()
                          if t.get_text() in names]
        return real(fig, path)
    monkeypatch.setattr(plots, "_save", keep)
    cm = np.diag(np.arange(10, 20)) + 1
    path = plots.per_class_accuracy(cm, names, in_tmp / "per_class_accuracy.png")
    assert path.is_file() and path.read_bytes()[:4] == b"\x89PNG"
    labels = seen["labels"]
    assert sorted(t for t, _ in labels) == sorted(names)  # every class named once
    boxes = [box for _, box in labels]
    for i in range(len(boxes)):
        for j in range(i + 1, len(boxes)):
            assert not boxes[i].overlaps(boxes[j]), (labels[i][0], labels[j][0])


# -- which engine trained: in the fit's params, metrics.json, the report and the last line -------
def test_the_run_says_which_engine_trained_it(in_tmp, capsys):
    import json

    pytest.importorskip("jax")
    Path("quick.toml").write_text(QUICK)
    assert main(["train", "--config", "quick.toml", "--epochs", "1", "--quiet"]) == 0  # digits, 64-100-10: NumPy
    assert main(["train", "--config", "quick.toml", "--epochs", "1", "--quiet", "--engine", "xla"]) == 0
    out = capsys.readouterr().out
    assert "(1 epoch, " in out and "per epoch on NumPy)" in out and "per epoch on XLA (cpu))" in out, out
    engines = sorted(json.loads((run / "metrics.json").read_text())["engine"] for run in (in_tmp / "runs").iterdir())
    assert engines == ["numpy", "xla (cpu)"]


def test_the_fits_params_name_the_engine():
    import layerwise as lw
    pytest.importorskip("jax")
    x = np.random.default_rng(0).normal(size=(64, 8)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    for engine, want in (("numpy", {"engine": "numpy"}), ("xla", {"engine": "xla", "device": "cpu"})):
        model = lw.Sequential([lw.Dense(8, "relu"), lw.Dense(2, "softmax")], seed=0)
        model.compile("sgd", "sparse_categorical_crossentropy")
        params = model.fit(x, y, epochs=1, verbose=0, engine=engine, device="cpu" if engine == "xla" else None).params
        assert {k: params.get(k) for k in want} == want and ("device" in params) == (engine == "xla")
