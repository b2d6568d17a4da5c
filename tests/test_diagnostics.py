"""Networks that provably show each pathology get the right warning; healthy runs get none."""
import json

import numpy as np
import pytest

import layerwise as lw

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


@pytest.fixture(scope="module")
def ds():
    return lw.datasets.load("digits", validation_size=0.2)


def train(model, opt, x, y, epochs, val=None, batch_size=32, **kw):
    model.compile(opt, "categorical_crossentropy", metrics=["accuracy"])
    diag = lw.Diagnostics(every=5, verbose=False, **kw)
    model.fit(x, y, epochs=epochs, batch_size=batch_size, verbose=0, callbacks=[diag], validation_data=val)
    return diag


def kinds(diag):
    return {(w.kind, w.layer) for w in diag.warnings}


def test_deep_sigmoid_with_large_init_has_vanishing_gradients(ds):
    layers = [lw.Dense(30, "sigmoid", kernel_initializer="normal", bias_initializer="normal") for _ in range(10)]
    diag = train(lw.Sequential([*layers, lw.Dense(10, "softmax")], seed=0), lw.SGD(0.1), ds.x_train, ds.y_train, 2)
    assert ("vanishing", "dense_1") in kinds(diag)
    w = next(w for w in diag.warnings if w.kind == "vanishing")
    assert w.value < 1e-2 and "dense_1" in w.message and "He or Xavier" in w.message
    e = diag.epochs[-1]
    assert e["dense_1/grad_norm"] < e["dense_11/grad_norm"] / 100  # the book's picture, in numbers


def test_relu_net_with_a_huge_learning_rate_dies_and_diverges(ds):
    model = lw.Sequential([lw.Dense(64, "relu", kernel_initializer="he_normal"), lw.Dense(64, "relu"),
                           lw.Dense(10, "softmax")], seed=0)
    diag = train(model, lw.SGD(5.0), ds.x_train, ds.y_train, 3)
    assert {("dying", "dense_1"), ("lr", None)} <= kinds(diag)
    dying = next(w for w in diag.warnings if w.kind == "dying")
    assert dying.value > 0.5 and "LeakyReLU" in dying.message


def test_exploding_gradients_and_nan_are_reported(ds):
    model = lw.Sequential([lw.Dense(64, "relu", kernel_initializer="he_normal"), lw.Dense(64, "relu"), lw.Dense(10)],
                          seed=0)
    # a linear output under cross-entropy: the loss pushes the outputs without bound
    diag = train(model, lw.SGD(0.5), ds.x_train, ds.y_train, 2)
    assert any(w.kind == "exploding" for w in diag.warnings)
    assert any(w.kind == "lr" for w in diag.warnings)


def test_saturated_sigmoids_are_reported(ds):
    model = lw.Sequential([lw.Dense(50, "sigmoid", kernel_initializer={"name": "normal", "stddev": 10.0}),
                           lw.Dense(10, "softmax")], seed=0)
    diag = train(model, lw.SGD(0.1), ds.x_train, ds.y_train, 2)
    assert ("saturation", "dense_1") in kinds(diag)


def test_a_tiny_training_set_overfits(ds):
    model = lw.Sequential([lw.Dense(256, "relu"), lw.Dense(10, "softmax")], seed=0)
    diag = train(model, lw.Adam(1e-2), ds.x_train[:40], ds.y_train[:40], 60, val=(ds.x_val, ds.y_val), batch_size=8)
    assert ("overfitting", None) in kinds(diag)
    assert "early stopping" in next(w for w in diag.warnings if w.kind == "overfitting").message


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("opt", [lambda: lw.Adam(1e-3), lambda: lw.SGD(0.1)])
def test_healthy_runs_raise_no_warning(ds, seed, opt):
    model = lw.Sequential([lw.Dense(100, "relu", kernel_initializer="he_normal"), lw.Dense(10, "softmax")], seed=seed)
    diag = train(model, opt(), ds.x_train, ds.y_train, 15, val=(ds.x_val, ds.y_val))
    assert diag.warnings == []
    e = diag.epochs[-1]
    assert {"dense_1/grad_norm", "dense_1/weight_norm", "dense_1/update_ratio", "dense_1/act_mean",
            "dense_1/act_std", "dense_1/dead", "dense_1/nonfinite"} <= set(e)
    assert 0 < e["dense_1/update_ratio"] < 0.1 and e["dense_1/nonfinite"] == 0


def test_run_directory_outputs_and_report(tmp_path, monkeypatch, capsys):
    from layerwise.cli import main
    monkeypatch.chdir(tmp_path)
    assert main(["train", "--epochs", "3", "--quiet", "--diagnostics"]) == 0
    (run,) = (tmp_path / "runs").iterdir()
    assert (run / "diagnostics.csv").exists() and json.loads((run / "warnings.json").read_text()) == []
    plots = {p.name for p in (run / "plots").iterdir()}
    assert {"gradient_norms.png", "unit_health.png", "update_ratios.png"} <= plots
    html = (run / "report.html").read_text()
    for caption in ("Gradient norm per layer", "Dead and saturated units", "Update-to-weight ratio"):
        assert f"<figcaption>{caption}</figcaption>" in html


def test_lr_finder_finds_a_threshold_and_leaves_the_model_unchanged(ds):
    model = lw.Sequential([lw.Dense(64, "relu", kernel_initializer="he_normal"), lw.Dense(10, "softmax")], seed=0)
    model.compile(lw.SGD(0.01), "categorical_crossentropy", metrics=["accuracy"])
    model.build((64,))
    before = model.get_weights()
    rng_state = model.rng.bit_generator.state
    result = model.find_lr(ds.x_train, ds.y_train, start_lr=1e-4, end_lr=100.0, steps=80)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert model.rng.bit_generator.state == rng_state and model.optimizer.iterations == 0
    assert model.optimizer.lr == 0.01
    assert 1e-3 < result.threshold < 100 and result.suggestion == pytest.approx(result.threshold / 2)
    assert result.steepest <= result.threshold
    assert min(result.losses) < result.losses[0]  # the loss fell before the threshold


def test_lr_find_command(tmp_path, capsys):
    from layerwise.cli import main
    out = tmp_path / "lr.png"
    assert main(["lr-find", "--steps", "40", "--end", "100", "--output", str(out)]) == 0
    text = capsys.readouterr().out
    assert "suggested rate" in text and "threshold" in text and out.exists()


def test_the_readme_default_run_raises_no_warning(tmp_path, monkeypatch):
    """`layerwise train --diagnostics` on digits: the loss falls every epoch, so no advice."""
    from layerwise.cli import main
    monkeypatch.chdir(tmp_path)
    assert main(["train", "--diagnostics", "--quiet"]) == 0
    (run,) = (tmp_path / "runs").iterdir()
    assert json.loads((run / "warnings.json").read_text()) == []


def test_lr_finder_is_honest_about_what_it_measured(ds):
    model = lw.Sequential([lw.Dense(100, "relu"), lw.Dense(10, "softmax")], seed=0)
    model.compile(lw.SGD(0.1), "categorical_crossentropy")
    fresh = model.find_lr(ds.x_train, ds.y_train)
    assert 0.1 < fresh.threshold < 5 and fresh.steepest > fresh.lrs[max(5, len(fresh.lrs) // 10) - 1]
    assert fresh.note == ""
    short = model.find_lr(ds.x_train, ds.y_train, start_lr=0.01, end_lr=0.4, steps=40)  # ends before the threshold
    assert not short.diverged and "never blew up" in short.note
    model.fit(ds.x_train, ds.y_train, epochs=15, verbose=0)
    weights = model.get_weights()
    trained = model.find_lr(ds.x_train, ds.y_train)
    assert np.isnan(trained.threshold) and "already trained" in trained.note
    for a, b in zip(weights, model.get_weights()):
        np.testing.assert_array_equal(a, b)
