"""End-to-end runs: the README's commands, the examples, and full-data-set targets.

Tests on Fashion-MNIST skip when its files are not installed (Debian: dataset-fashion-mnist).
"""
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

import layerwise as lw

from layerwise.data import datasets as ds_mod

ROOT = Path(__file__).resolve().parents[1]
needs_fashion = pytest.mark.skipif(ds_mod.locate("fashion-mnist") is None,
                                   reason="Fashion-MNIST files not found (apt-get install dataset-fashion-mnist)")


def layerwise_cli(*args, timeout=600, cwd=None):
    exe = Path(sys.executable).with_name("layerwise")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "layerwise.cli"]
    return subprocess.run(cmd + list(args), capture_output=True, text=True, timeout=timeout, check=True,
                          cwd=cwd).stdout


def test_default_train_command_reaches_95_percent_on_digits(tmp_path):
    out = layerwise_cli("train", cwd=tmp_path)
    acc = float(out.split("test accuracy ")[1].split()[0])
    assert acc >= 0.95, out


def test_single_neuron_example_matches_the_hand_written_delta_rule(capsys):
    runpy.run_path(str(ROOT / "examples" / "single_neuron_delta_rule.py"), run_name="__main__")
    assert "training accuracy" in capsys.readouterr().out


@needs_fashion
def test_fashion_mnist_cli_five_epochs(tmp_path):
    out = layerwise_cli("train", "--dataset", "fashion-mnist", "--layers", "784,100,10", "--epochs", "5", "--quiet",
                        cwd=tmp_path)
    assert float(out.split("test accuracy ")[1].split()[0]) >= 0.85, out


@pytest.mark.slow
@needs_fashion
def test_keras_style_fashion_mlp_reaches_89_percent():
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        import fashion_mlp
        diagnostics = lw.Diagnostics(every=20, verbose=False)
        result = fashion_mlp.main(epochs=20, extra_callbacks=[diagnostics])
    finally:
        sys.path.pop(0)
    assert result["test_accuracy"] >= 0.89, result
    assert diagnostics.warnings == []  # a healthy run gets no advice


@pytest.mark.slow
@needs_fashion
def test_book_network_on_fashion_mnist_returns_four_monitors():
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        import book_network
        monitors, seconds = book_network.main(epochs=3)
    finally:
        sys.path.pop(0)
    assert [len(m) for m in monitors] == [3, 3, 3, 3]
    assert max(monitors[1]) >= 7000  # of 10,000 test images


def test_transfer_learning_example_runs(capsys):
    runpy.run_path(str(ROOT / "examples" / "transfer_learning.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "first layer reused, frozen" in out and "SVM on the saved network's 32 hidden features" in out


def test_the_transfer_learning_example_is_healthy(capsys):
    """Every fit of examples/transfer_learning.py runs without a diagnostics warning."""
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        import transfer_learning
        made = []

        def diagnostics():
            made.append(lw.Diagnostics(every=5, verbose=False))
            return [made[-1]]
        transfer_learning.main(diagnostics)
    finally:
        sys.path.pop(0)
    assert len(made) == 4 and all(d.warnings == [] for d in made), [[w.message for w in d.warnings] for d in made]


@pytest.mark.slow
@needs_fashion
def test_fashion_best_config_reaches_its_published_accuracy(tmp_path):
    """The shipped fashion-best config, run whole (about 14 minutes on 2 cores). Measured on the
    project machine: test accuracy 0.9062 (README). The bound leaves room for the last-bit BLAS
    differences another CPU may bring to a 60-epoch run; the run itself is seeded and repeatable.

    No bound on the time: wall-clock seconds depend on the machine and on whatever else runs on it
    (here 2 cores shared with other jobs), so any bound is a flake, not a check. The time is a
    benchmark figure (README: 13 min 48 s, measured at a recorded commit); train_seconds is still
    printed with the metrics when the accuracy assertion fails."""
    import json
    # The timeout is a hang guard, not a speed check: 4 h is ~17x the measured 13 min 48 s.
    layerwise_cli("train", "--config", str(ROOT / "examples" / "configs" / "fashion-best.toml"), "--quiet",
                  "--runs-dir", str(tmp_path), timeout=4 * 3600)
    metrics = json.loads(next(tmp_path.iterdir()).joinpath("metrics.json").read_text())
    assert metrics["test_accuracy"] >= 0.90, metrics
    assert metrics["train_seconds"] > 0, metrics  # recorded (a sanity check, not a speed bound)
