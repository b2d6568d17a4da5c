import numpy as np
import pytest
from sklearn.svm import SVC

import layerwise as lw
from layerwise.errors import ConfigError


@pytest.fixture(scope="module")
def digits():
    return lw.datasets.load("digits")


@pytest.fixture(scope="module")
def base(digits, tmp_path_factory):
    low = digits.y_train < 5
    model = lw.Sequential([lw.Dense(64, "relu"), lw.BatchNorm(), lw.Dense(32, "relu"), lw.Dense(5, "softmax")],
                          seed=0)
    model.compile(lw.Adam(3e-3), "categorical_crossentropy", metrics=["accuracy"])
    model.fit(digits.x_train[low], digits.y_train[low], epochs=15, verbose=0)
    path = tmp_path_factory.mktemp("base") / "base.lwm"
    model.save(path)
    return path


def test_reused_frozen_layers_are_unchanged_and_the_head_learns(digits, base):
    source = lw.load(base)
    new = lw.Sequential([*source.copy_layers(upto=3, trainable=False), lw.Dense(10, "softmax")], seed=1)
    new.compile(lw.Adam(1e-2), "categorical_crossentropy", metrics=["accuracy"])
    new.build((64,))
    for i in range(3):
        for key in source.layers[i].params:
            np.testing.assert_array_equal(new.layers[i].params[key], source.layers[i].params[key])
    frozen_before = [{k: v.copy() for k, v in l.params.items()} for l in new.layers[:3]]
    stats_before = {k: v.copy() for k, v in new.layers[1].state.items()}
    head_before = new.layers[3].params["kernel"].copy()
    new.fit(digits.x_train, digits.y_train, epochs=10, verbose=0)
    for layer, before in zip(new.layers[:3], frozen_before):
        for key, value in before.items():
            np.testing.assert_array_equal(layer.params[key], value)
    for key, value in stats_before.items():  # frozen BatchNorm keeps its statistics too
        np.testing.assert_array_equal(new.layers[1].state[key], value)
    assert not np.array_equal(new.layers[3].params["kernel"], head_before)
    assert new.evaluate(digits.x_test, digits.y_test)["accuracy"] > 0.9


def test_hidden_features_feed_an_svm(digits, base):
    source = lw.load(base)
    f_train = source.features(digits.x_train, upto=3)
    f_test = source.features(digits.x_test, upto=3)
    assert f_train.shape == (len(digits.x_train), 32)
    svm = SVC().fit(f_train, digits.y_train)
    assert svm.score(f_test, digits.y_test) > 0.9


def test_copy_layers_checks(base):
    source = lw.load(base)
    with pytest.raises(ConfigError, match="upto must be an integer in 1..4"):
        source.copy_layers(upto=9)
    wrong = lw.Sequential(source.copy_layers(upto=1), input_shape=(10,))
    with pytest.raises(ConfigError, match="copied layer 'dense_1': kernel has shape"):
        wrong.build()


def test_the_transfer_example_prints_what_its_docstring_says(capsys):
    """examples/transfer_learning.py quotes its own output in its docstring: the numbers must be the
    ones it prints (to the last digit here; 0.01 leaves room for another CPU's BLAS)."""
    import re
    import runpy
    from pathlib import Path
    path = Path(__file__).resolve().parents[1] / "examples" / "transfer_learning.py"
    module = runpy.run_path(str(path), run_name="transfer_example")
    module["main"]()
    printed = [line.strip() for line in capsys.readouterr().out.splitlines() if line.strip()]
    quoted = module["__doc__"].split("printed:", 1)[1].strip().splitlines()[:len(printed)]
    quoted = [line.strip() for line in quoted]

    def words_and_numbers(line):
        return re.sub(r"\d\.\d{3}", "#", line), [float(v) for v in re.findall(r"\d\.\d{3}", line)]
    for said, got in zip(quoted, printed, strict=True):
        (said_words, said_values), (got_words, got_values) = words_and_numbers(said), words_and_numbers(got)
        assert said_words == got_words
        np.testing.assert_allclose(said_values, got_values, atol=0.0105)
    assert "first layer reused, frozen" in printed[3] and "SVM on the saved network's 32 hidden features" in printed[-1]
