"""Your own CSV without traps: the label column by name or index, header detection, class names,
warnings for unscaled pixels and 1-based labels, and run configs that work from anywhere."""
from __future__ import annotations

import os
import warnings

import numpy as np
import pytest

from layerwise.data import datasets
from layerwise.errors import DataError


def _write(path, rows, header=None):
    lines = ([",".join(header)] if header else []) + [",".join(str(c) for c in r) for r in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def _pixels(n=60, seed=0, scale=255):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    x = np.clip(rng.normal(0.3 + 0.2 * y[:, None], 0.1, size=(n, 4)), 0, 1) * scale
    return np.round(x).astype(int) if scale > 1 else x, y


def test_label_first_with_a_header_is_found_by_name(tmp_path):
    x, y = _pixels(scale=1)
    f = _write(tmp_path / "d.csv", [[c, *r] for c, r in zip(y, x)], header=["label", "p1", "p2", "p3", "p4"])
    ds = datasets.load(str(f))
    assert ds.n_features == 4 and ds.n_classes == 3
    ds2 = datasets.load(str(f), label_column="label")
    np.testing.assert_array_equal(ds.y_train, ds2.y_train)
    ds3 = datasets.load(str(f), label_column=0)
    np.testing.assert_array_equal(ds.y_train, ds3.y_train)
    with pytest.raises(DataError, match="no column named 'kind'; columns: label, p1"):
        datasets.load(str(f), label_column="kind")


def test_string_class_labels_map_to_sorted_classes_and_back(tmp_path):
    x, y = _pixels(scale=1)
    names = np.array(["cat", "dog", "emu"])
    f = _write(tmp_path / "d.csv", [[*r, names[c]] for c, r in zip(y, x)])  # no header
    ds = datasets.load(str(f))
    assert ds.class_names == ["cat", "dog", "emu"] and ds.n_classes == 3
    total = len(ds.y_train) + len(ds.y_test)
    assert total == 60


def test_unscaled_pixels_warn_and_scale_fixes_them(tmp_path):
    x, y = _pixels()
    f = _write(tmp_path / "d.csv", [[*r, c] for c, r in zip(y, x)])
    with pytest.warns(UserWarning, match=r"feature values go up to \d+ \(pixel values 0–255\?\).*scale=255"):
        datasets.load(str(f))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ds = datasets.load(str(f), scale=255)
    assert ds.x_train.max() <= 1.0


def test_one_based_labels_warn(tmp_path):
    x, y = _pixels(scale=1)
    f = _write(tmp_path / "d.csv", [[*r, c + 1] for c, r in zip(y, x)])
    with pytest.warns(UserWarning, match="labels start at 1, so class 0 has no samples"):
        datasets.load(str(f))


def test_cli_label_column_scale_and_absolute_paths(tmp_path, monkeypatch):
    from layerwise.app import cli, config as config_mod
    x, y = _pixels(n=90)
    work = tmp_path / "work"
    work.mkdir()
    _write(work / "mine.csv", [[c, *r] for c, r in zip(y, x)], header=["kind", "a", "b", "c", "d"])
    monkeypatch.chdir(work)
    rc = cli.main(["train", "--dataset", "mine.csv", "--label-column", "kind", "--scale", "255", "--epochs", "2",
                   "--runs-dir", str(tmp_path / "runs"), "--quiet"])
    assert rc == 0
    run = next((tmp_path / "runs").iterdir())
    cfg = config_mod.load(run / "config.toml")
    assert os.path.isabs(cfg["data"]["dataset"]) and cfg["data"]["label_column"] == "kind"
    monkeypatch.chdir(tmp_path)  # elsewhere: the run's config still finds its data
    assert cli.main(["evaluate", str(run / "model.lwm")]) == 0  # the model file knows its data and options
    assert cli.main(["train", "--config", str(run / "config.toml"), "--epochs", "1", "--quiet",
                     "--runs-dir", str(tmp_path / "runs2")]) == 0
