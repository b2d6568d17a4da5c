import pytest

from layerwise import config
from layerwise.errors import ConfigError


@pytest.mark.parametrize("raw, message", [
    ({"fit": {"epochs": -3}}, "fit.epochs: expected a positive integer, got -3"),
    ({"fit": {"epochs": 2.5}}, "fit.epochs: expected a positive integer, got 2.5"),
    ({"fit": {"batch_size": "32"}}, "fit.batch_size: expected a positive integer, got '32'"),
    ({"fit": {"epoch": 3}}, "fit.epoch: unknown key; valid keys in fit: batch_size, .*epochs"),
    ({"modle": {}}, "modle: unknown key; valid keys: augment, compile, data, fit, model"),
    ({"model": {"sizes": [784]}}, "model.sizes: expected a list of at least two positive integers"),
    ({"model": {"sizes": [784, 0, 10]}}, r"model.sizes\[1\]: expected a positive integer, got 0"),
    ({"model": {"activation": "mish"}}, "model.activation: expected one of .*sigmoid"),  # (swish exists)
    ({"model": {"dropout": 1.0}}, r"model.dropout: expected a number in \[0, 1\), got 1.0"),
    ({"model": {"batch_norm": "yes"}}, "model.batch_norm: expected true or false"),
    ({"compile": {"learning_rate": 0}}, "compile.learning_rate: expected a number > 0, got 0"),
    ({"compile": {"optimizer": "lion"}}, "compile.optimizer: expected one of .*sgd"),  # (adamax exists now)
    ({"compile": {"loss": 3}}, "compile.loss: expected a name or a table with a name"),
    ({"fit": {"early_stopping": {"patience": -1}}}, "fit.early_stopping.patience: expected an integer >= 0"),
    ({"fit": {"reduce_lr_on_plateau": {"factor": 2}}}, r"fit.reduce_lr_on_plateau.factor: expected a number in \(0, 1\)"),
    ({"seed": -1}, "seed: expected an integer >= 0"),
    ({"model": {"sizes": [4, 3], "layers": [{"type": "Dense", "units": 3}]}}, "either sizes or layers"),
])
def test_invalid_configs_name_the_key(raw, message):
    with pytest.raises(ConfigError, match=message):
        config.validate(raw)


def test_file_errors(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[fit]\nepochs = = 3\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        config.load(bad)
    bad.write_text("[fit]\nepochs = -3\n")
    with pytest.raises(ConfigError, match=r"bad.toml: fit.epochs: expected a positive integer, got -3"):
        config.load(bad)
    with pytest.raises(ConfigError, match="no such config file"):
        config.load(tmp_path / "missing.toml")


def test_defaults_resolution_and_round_trip(tmp_path):
    cfg = config.resolve(config.validate({"compile": {"optimizer": "adam"}}), n_features=64, n_classes=10)
    assert cfg["model"]["sizes"] == [64, 100, 10]
    assert cfg["compile"]["learning_rate"] == 0.001 and cfg["name"] == "digits"
    path = tmp_path / "c.toml"
    path.write_text(config.dumps(cfg))
    assert config.load(path) == cfg
    with pytest.raises(ConfigError, match="model.sizes starts with 10 inputs but the data has 64"):
        config.resolve(config.validate({"model": {"sizes": [10, 10]}}), 64, 10)


def test_overrides_are_validated_like_the_file():
    cfg = config.validate({})
    config.set_path(cfg, "fit.epochs", 5)
    assert cfg["fit"]["epochs"] == 5
    with pytest.raises(ConfigError, match="compile.learning_rate: expected a number > 0"):
        config.set_path(cfg, "compile.learning_rate", -1.0)


def test_example_configs_are_valid():
    from pathlib import Path
    for path in (Path(__file__).parents[1] / "examples" / "configs").glob("*.toml"):
        cfg = config.load(path)
        model = config.build_model(config.resolve(cfg, 784 if "fashion" in cfg["data"]["dataset"] else 64, 10))
        assert model.layers
        config.build_optimizer(cfg)
        config.build_callbacks(cfg)
