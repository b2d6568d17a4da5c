"""Metrics equal scikit-learn's on the same predictions, streaming over any batch size, through fit,
evaluate, History, checkpoints and the device stand-in; and they follow the targets' task."""
from __future__ import annotations


import numpy as np
import pytest
from sklearn import metrics as skm

import layerwise as lw
from layerwise.core import metrics as M
from layerwise.errors import ConfigError


def streamed(metric, y_pred, y, labels, batch=37, xp=np, on_host=True):
    """The metric's value accumulated batch by batch (as fit and evaluate do)."""
    state = metric.initial(xp, on_host)
    for s in range(0, len(y_pred), batch):
        state = metric.accumulate(state, y_pred[s:s + batch], y[s:s + batch],
                                  None if labels is None else labels[s:s + batch])
    return metric.result(state, len(y_pred))


@pytest.fixture
def multiclass():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 4, 500)
    logits = rng.normal(size=(500, 4)) + 1.2 * np.eye(4)[labels]
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    return probs.astype(np.float32), labels


@pytest.mark.parametrize("score", ["precision", "recall", "f1"])
@pytest.mark.parametrize("average", ["macro", "micro", "weighted"])
def test_precision_recall_f1_equal_sklearn(multiclass, score, average):
    probs, labels = multiclass
    sk = {"precision": skm.precision_score, "recall": skm.recall_score, "f1": skm.f1_score}[score]
    expected = sk(labels, probs.argmax(1), average=average, zero_division=0)
    metric = M.get(f"{score}_{average}")
    assert streamed(metric, probs, np.eye(4)[labels], labels) == pytest.approx(expected, abs=1e-12)


def test_macro_average_counts_only_classes_present_like_sklearn():
    labels = np.array([0, 0, 1, 1, 3, 3])  # class 2 never appears, in truth or prediction
    pred = np.array([0, 1, 1, 1, 3, 0])
    probs = np.eye(4)[pred]
    for score, sk in (("precision", skm.precision_score), ("f1", skm.f1_score)):
        assert streamed(M.get(f"{score}_macro"), probs, probs, labels) == pytest.approx(
            sk(labels, pred, average="macro", zero_division=0))


def test_plain_names_are_binary_for_two_classes_and_macro_otherwise(multiclass):
    probs, labels = multiclass
    assert streamed(M.get("f1"), probs, probs, labels) == pytest.approx(
        skm.f1_score(labels, probs.argmax(1), average="macro"))
    rng = np.random.default_rng(1)
    yb = rng.integers(0, 2, 300)
    p = np.clip(0.3 * yb + 0.7 * rng.random(300), 0, 1).reshape(-1, 1).astype(np.float32)
    for name, sk in (("precision", skm.precision_score), ("recall", skm.recall_score), ("f1", skm.f1_score)):
        assert streamed(M.get(name), p, yb.reshape(-1, 1), yb) == pytest.approx(sk(yb, (p[:, 0] > 0.5).astype(int)))


def test_auc_equals_roc_auc_score_for_one_sigmoid_or_two_softmax_outputs():
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, 400)
    score = np.clip(0.25 * y + rng.random(400) * 0.75, 0, 1)
    one = score.reshape(-1, 1)
    two = np.stack([1 - score, score], axis=1)
    expected = skm.roc_auc_score(y, score)
    assert streamed(M.get("auc"), one, one, y) == pytest.approx(expected, abs=1e-12)
    assert streamed(M.get("auc"), two, two, y, batch=11) == pytest.approx(expected, abs=1e-12)
    with pytest.raises(ConfigError, match="auc needs a binary classifier"):
        M.get("auc").check("classification", 5)


def test_regression_metrics_equal_sklearn_for_several_outputs():
    rng = np.random.default_rng(3)
    y = rng.normal(size=(333, 3)) * [1, 10, 0.1]
    p = (y + rng.normal(size=y.shape) * [0.5, 3, 0.05]).astype(np.float32)
    cases = {"mae": skm.mean_absolute_error(y, p), "mse": skm.mean_squared_error(y, p),
             "rmse": skm.root_mean_squared_error(y, p), "r2": skm.r2_score(y, p)}
    for name, expected in cases.items():
        assert streamed(M.get(name), p, y, None) == pytest.approx(expected, rel=1e-9), name


def test_r2_of_a_constant_target_follows_sklearn():
    y = np.full((10, 1), 3.0)
    assert streamed(M.get("r2"), y.copy(), y, None) == skm.r2_score(y, y) == 1.0
    assert streamed(M.get("r2"), y + 1, y, None) == skm.r2_score(y, y + 1) == 0.0


def test_multilabel_metrics_equal_sklearn():
    rng = np.random.default_rng(4)
    y = (rng.random((250, 6)) < 0.3).astype(np.float32)
    p = np.clip(0.6 * y + 0.5 * rng.random(y.shape), 0, 1).astype(np.float32)
    hard = (p > 0.5).astype(int)
    assert streamed(M.get("hamming_loss"), p, y, None) == pytest.approx(skm.hamming_loss(y, hard))
    assert streamed(M.get("binary_accuracy"), p, y, None) == pytest.approx(1 - skm.hamming_loss(y, hard))
    assert streamed(M.get("subset_accuracy"), p, y, None) == pytest.approx(skm.accuracy_score(y, hard))


def test_device_stand_in_streams_the_same_values(multiclass):
    probs, labels = multiclass
    for name in ("accuracy", "f1_macro", "top_2_accuracy"):
        metric = M.get(name)
        host = streamed(metric, probs, probs, labels)
        device = streamed(metric, probs, probs, labels, on_host=False)
        assert host == pytest.approx(device)
    two = np.stack([probs[:, 0], 1 - probs[:, 0]], axis=1)
    binary = (labels == 1).astype(np.int64)
    assert streamed(M.get("auc"), two, two, binary, on_host=False) == pytest.approx(streamed(M.get("auc"), two, two, binary))


# -- through the model ------------------------------------------------------------------------
def _data(task, n=240, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 6)).astype(np.float32)
    w = rng.normal(size=(6, 3))
    if task == "classification":
        return x, (x @ w).argmax(1)
    if task == "multilabel":
        return x, (x @ w > 0).astype(np.float32)
    return x, (x @ w).astype(np.float32)


def test_fit_and_evaluate_report_sklearn_values_for_a_classifier():
    x, y = _data("classification")
    model = lw.Sequential([lw.Dense(3, "softmax")], input_shape=(6,), seed=0)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy", "f1_macro", "precision_weighted"])
    hist = model.fit(x, y, epochs=2, batch_size=32, verbose=0, validation_split=0.25)
    assert {"f1_macro", "val_f1_macro", "precision_weighted", "val_precision_weighted"} <= set(hist.history)
    res = model.evaluate(x, y, batch_size=50)
    pred = model.predict(x).argmax(1)
    assert res["f1_macro"] == pytest.approx(skm.f1_score(y, pred, average="macro"))
    assert res["precision_weighted"] == pytest.approx(skm.precision_score(y, pred, average="weighted", zero_division=0))
    assert res["accuracy"] == pytest.approx(skm.accuracy_score(y, pred))


def test_regression_skips_accuracy_with_a_warning_and_auto_gives_mae_rmse():
    x, y = _data("regression")
    model = lw.Sequential([lw.Dense(3)], input_shape=(6,), seed=0)
    model.compile("adam", "mse", metrics=["accuracy", "r2"])
    with pytest.warns(UserWarning, match="'accuracy' means nothing for real-valued"):
        hist = model.fit(x, y, epochs=1, verbose=0)
    assert "accuracy" not in hist.history and "r2" in hist.history
    model.compile("adam", "mse", metrics="auto")
    res = model.evaluate(x, y)
    assert set(res) == {"loss", "mae", "rmse"}
    assert res["rmse"] == pytest.approx(skm.root_mean_squared_error(y, model.predict(x)), rel=1e-6)


def test_multilabel_accuracy_is_per_label_not_argmax():
    x, y = _data("multilabel")
    model = lw.Sequential([lw.Dense(16, "relu"), lw.Dense(3, "sigmoid")], input_shape=(6,), seed=0)
    model.compile(lw.Adam(0.01), "binary_crossentropy", metrics=["accuracy", "subset_accuracy"])
    model.fit(x, y, epochs=30, batch_size=32, verbose=0)
    res = model.evaluate(x, y)
    hard = (model.predict(x) > 0.5).astype(int)
    assert res["accuracy"] == pytest.approx(1 - skm.hamming_loss(y, hard))
    assert res["subset_accuracy"] == pytest.approx(skm.accuracy_score(y, hard))
    assert res["accuracy"] > 0.9


def test_label_metrics_refuse_regression_targets_with_a_clear_error():
    x, y = _data("regression")
    model = lw.Sequential([lw.Dense(3)], input_shape=(6,), seed=0)
    model.compile("adam", "mse", metrics=["f1"])
    with pytest.raises(ConfigError, match="metric 'f1' needs classification targets, but the targets are regression"):
        model.fit(x, y, epochs=1, verbose=0)


def test_target_metrics_refuse_sparse_labels():
    x, y = _data("classification")
    model = lw.Sequential([lw.Dense(3, "softmax")], input_shape=(6,), seed=0)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["mae"])
    with pytest.raises(ConfigError, match="loss takes integer labels"):
        model.fit(x, y, epochs=1, verbose=0)


def test_confusion_metrics_resume_mid_epoch_exactly(tmp_path):
    x, y = _data("classification", n=400)
    names = ["f1_macro", "recall_weighted", "accuracy"]

    def make():
        m = lw.Sequential([lw.Dense(8, "relu"), lw.Dense(3, "softmax")], input_shape=(6,), seed=1)
        m.compile("adam", "sparse_categorical_crossentropy", metrics=names)
        return m

    full = make().fit(x, y, epochs=2, batch_size=16, verbose=0).history

    class Stop(lw.callbacks.Callback):
        def __init__(self, armed):
            self.armed = armed

        def on_batch_end(self, batch, logs=None):
            if self.armed and batch == 9:
                raise KeyboardInterrupt  # after the checkpoint at step 5 of the first epoch

    ck = tmp_path / "ck.lwc"
    with pytest.raises(KeyboardInterrupt):
        make().fit(x, y, epochs=2, batch_size=16, verbose=0, checkpoint=ck, checkpoint_every=5, callbacks=[Stop(True)])
    resumed = make().fit(x, y, epochs=2, batch_size=16, verbose=0, checkpoint=ck, resume=True,
                      callbacks=[Stop(False)]).history
    for name in names:
        assert resumed[name][-1] == pytest.approx(full[name][-1], abs=1e-12)


def test_every_metric_name_resolves_and_round_trips_through_save(tmp_path):
    x, y = _data("classification")
    model = lw.Sequential([lw.Dense(3, "softmax")], input_shape=(6,), seed=0)
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy", "f1_micro", "top_2_accuracy"])
    model.fit(x, y, epochs=1, verbose=0)
    model.save(tmp_path / "m.lw")
    loaded = lw.load(tmp_path / "m.lw")
    assert loaded.metrics == ["accuracy", "f1_micro", "top_2_accuracy"]
    assert loaded.evaluate(x, y) == pytest.approx(model.evaluate(x, y))
    for name in ("precision", "recall", "f1", "auc", "mae", "mse", "rmse", "r2", "binary_accuracy",
                 "hamming_loss", "subset_accuracy", "f1_weighted", "mean_absolute_error", "r2_score"):
        assert isinstance(M.get(name), M.Metric)


def test_cli_metrics_flag_reaches_history_and_the_report_shows_per_class_scores(tmp_path):
    from layerwise.app import cli
    rc = cli.main(["train", "--metrics", "accuracy,f1_macro", "--epochs", "2", "--runs-dir", str(tmp_path), "--quiet"])
    assert rc == 0
    run = next(tmp_path.iterdir())
    header = (run / "history.csv").read_text().splitlines()[0].split(",")
    assert {"f1_macro", "val_f1_macro"} <= set(header)
    page = (run / "report.html").read_text()
    assert "<th>precision</th><th>recall (accuracy)</th><th>F1</th>" in page and "macro average" in page
