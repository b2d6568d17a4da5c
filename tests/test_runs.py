"""The run directory, the report (in a real browser), and every command."""
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from layerwise.cli import main

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def only_run(base="runs"):
    (run,) = Path(base).iterdir()
    return run


@pytest.fixture
def run(capsys):
    assert main(["train", "--epochs", "4", "--quiet", "--name", "t"]) == 0
    capsys.readouterr()
    return only_run()


def test_run_directory_has_everything(run):
    names = {p.name for p in run.iterdir()}
    assert {"config.toml", "model.lwm", "history.csv", "metrics.json", "plots", "report.html",
            "checkpoint.lwc"} <= names
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["epochs"] == 4 and len(metrics["epoch_seconds"]) == 4
    assert metrics["parameters"] == 64 * 100 + 100 + 100 * 10 + 10 and metrics["seed"] == 0
    assert set(metrics["versions"]) >= {"layerwise", "numpy", "python"}
    plots = {p.name for p in (run / "plots").iterdir()}
    assert plots == {"learning_curves.png", "per_class_accuracy.png", "confusion_matrix.png",
                     "first_layer_weights.png", "misclassified.png"}  # constant rate: no learning-rate panel
    html = (run / "report.html").read_text()
    assert html.count("data:image/png;base64,") == 5 and "http://" not in html and "https://" not in html


def test_rerunning_the_saved_config_reproduces_the_metrics(run, capsys):
    first = json.loads((run / "metrics.json").read_text())
    assert main(["train", "--config", str(run / "config.toml"), "--quiet", "--runs-dir", "again"]) == 0
    second = json.loads((only_run("again") / "metrics.json").read_text())
    for key in ("test_accuracy", "test_loss", "best_val_accuracy", "best_val_loss", "parameters"):
        assert first[key] == second[key], key
    assert (run / "history.csv").read_text().split("\n")[1].split(",")[:5] == \
        (only_run("again") / "history.csv").read_text().split("\n")[1].split(",")[:5]


def test_flags_override_the_config_file(in_tmp, capsys):
    cfg = in_tmp / "c.toml"
    cfg.write_text((ROOT / "examples" / "configs" / "digits.toml").read_text())
    assert main(["train", "--config", str(cfg), "--epochs", "2", "--optimizer", "adam", "--quiet"]) == 0
    saved = (only_run() / "config.toml").read_text()
    assert "epochs = 2" in saved and 'optimizer = "adam"' in saved and "learning_rate = 0.1" in saved


def test_bad_config_is_rejected_before_training(in_tmp, capsys):
    cfg = in_tmp / "bad.toml"
    cfg.write_text("[fit]\nepochs = -3\n")
    assert main(["train", "--config", str(cfg)]) == 2
    assert "fit.epochs: expected a positive integer, got -3" in capsys.readouterr().err
    assert not Path("runs").exists()


def test_jsonl_log_format(capsys):
    assert main(["train", "--epochs", "2", "--log-format", "jsonl"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.strip().splitlines()]
    assert [l["event"] for l in lines] == ["epoch", "epoch", "result"]
    assert {"loss", "accuracy", "val_loss", "lr"} <= set(lines[0]) and "test_accuracy" in lines[-1]


def test_evaluate_summary_report_commands(run, capsys):
    assert main(["evaluate", str(run / "model.lwm")]) == 0
    out = capsys.readouterr().out
    metrics = json.loads((run / "metrics.json").read_text())
    assert f"accuracy {metrics['test_accuracy']:.4f}" in out and "360 test samples of digits" in out
    assert main(["summary", str(run / "model.lwm")]) == 0
    assert "dense_1" in capsys.readouterr().out
    (run / "report.html").unlink()
    shutil.rmtree(run / "plots")
    assert main(["report", str(run)]) == 0
    assert (run / "report.html").exists() and len(list((run / "plots").iterdir())) == 5


def test_predict_arrays_and_images(run, in_tmp, capsys):
    from PIL import Image
    from layerwise import datasets
    ds = datasets.load("digits")
    np.save("x.npy", ds.x_test[:3])
    np.savetxt("x.csv", ds.x_test[:2], delimiter=",")
    # a photo-like image: dark digit on light paper, larger than 8×8
    img = (255 - np.kron(ds.x_test[0].reshape(8, 8) * 255, np.ones((6, 6)))).astype(np.uint8)
    Image.fromarray(img).save("digit.png")
    model = str(run / "model.lwm")
    assert main(["predict", model, "x.npy", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 3 and abs(sum(rows[0]["probabilities"]) - 1) < 1e-4
    assert main(["predict", model, "x.csv", "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines()[0].startswith("input,label,class,p_0")
    assert main(["predict", model, "digit.png", "x.npy"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"digit.png: {rows[0]['label']}")  # the photo reads as the same digit
    np.save("wrong.npy", np.zeros((2, 10)))
    assert main(["predict", model, "wrong.npy"]) == 2
    assert "has 10 features per row but the model expects 64" in capsys.readouterr().err
    Path("broken.png").write_bytes(b"not an image")
    assert main(["predict", model, "broken.png"]) == 2
    assert "not a readable image" in capsys.readouterr().err


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium not installed (apt-get install chromium)")
@pytest.mark.parametrize("width", [1280, 390])
def test_report_renders_in_chromium(run, in_tmp, width):
    url = (run / "report.html").resolve().as_uri()
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={in_tmp / 'chr'}",
             f"--window-size={width},2400"]
    dom = subprocess.run([CHROMIUM, *flags, "--virtual-time-budget=5000", "--dump-dom", url],
                         capture_output=True, text=True, timeout=120).stdout
    metrics = json.loads((run / "metrics.json").read_text())
    assert f"Test accuracy <strong>{metrics['test_accuracy']:.4f}</strong>" in dom
    for key in ("test_accuracy", "test_loss", "best_val_accuracy"):  # the header's numbers are metrics.json's
        assert f'data-key="{key}"><div class="value">{metrics[key]:.4f}</div>' in dom
    assert f'data-key="epochs"><div class="value">{metrics["epochs"]}</div>' in dom
    assert 'data-images-loaded="5/5"' in dom  # every figure decoded and shown
    assert 'data-overflow-x="0"' in dom  # no horizontal scrolling, at this width either
    for caption in ("Learning curves", "Confusion matrix (test set)", "Per-class accuracy (test set)",
                    "First-layer weights (one unit per tile)", "Misclassified test examples"):
        assert f"<figcaption>{caption}" in dom
    assert "Learning rate</figcaption>" not in dom  # the rate was constant: no panel for it
    assert "<dt>Model</dt><dd>64 → Dense 100 relu → Dense 10 softmax" in dom and "<footer>made by layerwise" in dom
    shot = in_tmp / "report.png"
    subprocess.run([CHROMIUM, *flags, f"--screenshot={shot}", url], capture_output=True, timeout=120)
    assert shot.exists() and shot.stat().st_size > 10_000
