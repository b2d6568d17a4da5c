import signal
from pathlib import Path

import pytest

from layerwise.cli import main


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # run directories go to ./runs
    return tmp_path


def accuracy_of(out: str) -> float:
    return float(out.split("test accuracy ")[1].split()[0])


def test_train_digits_end_to_end(capsys):
    assert main(["train", "--epochs", "15", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert accuracy_of(out) >= 0.93


def test_train_prints_epochs_and_saves(tmp_path, capsys):
    path = tmp_path / "m.lwm"
    assert main(["train", "--epochs", "2", "--layers", "64,32,10", "--activation", "tanh",
                 "--optimizer", "adam", "--save", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out and "val_accuracy" in out
    assert path.is_file()


def test_bad_layers_are_a_clear_error(capsys):
    assert main(["train", "--layers", "50,10"]) == 2
    assert "model.sizes starts with 50 inputs but the data has 64 features" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["train", "--layers", "64,x,10"])
    with pytest.raises(SystemExit):
        main(["train", "--epochs", "-3"])


def test_interrupted_run_resumes_to_the_same_result(capsys, in_tmp, monkeypatch):
    args = ["train", "--epochs", "6", "--quiet", "--checkpoint-every", "10", "--dropout", "0.1"]
    assert main(args + ["--runs-dir", "full"]) == 0
    full = accuracy_of(capsys.readouterr().out)

    from layerwise.training import step as step_mod
    real_step = step_mod.train_step
    calls = {"n": 0}

    def interrupting(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 95:  # a real Ctrl-C inside epoch 3 (41 steps per epoch)
            signal.raise_signal(signal.SIGINT)
        return real_step(*args, **kwargs)

    monkeypatch.setattr(step_mod, "train_step", interrupting)
    assert main(args + ["--runs-dir", "cut"]) == 130
    (run,) = Path("cut").iterdir()
    out = capsys.readouterr().out
    assert "stopped after step 95; checkpoint saved to" in out and f"layerwise train --resume {run}" in out
    monkeypatch.setattr(step_mod, "train_step", real_step)
    assert main(["train", "--resume", str(run), "--quiet"]) == 0
    assert accuracy_of(capsys.readouterr().out) == full


def test_resume_of_something_that_is_not_a_run(capsys, in_tmp):
    assert main(["train", "--resume", str(in_tmp)]) == 2
    assert "not a run directory" in capsys.readouterr().err
