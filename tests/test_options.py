"""One option table (app/options.py) behind the CLI and TOML configs: every registered name is
accepted by both, the help states the defaults actually used, and --resume refuses every option
that would change the run (--augment included)."""
import re

import pytest

from layerwise import registry
from layerwise.app import config, options
from layerwise.app.cli import build_parser, main

KINDS = {"model.activation": "activation", "model.initializer": "initializer",
         "compile.optimizer": "optimizer", "compile.loss": "loss"}


@pytest.mark.parametrize("path, kind", list(KINDS.items()))
def test_every_registered_name_is_accepted_in_toml_and_on_the_command_line(path, kind):
    option = options.BY_PATH[path]
    parser = build_parser()
    for name in registry.names(kind):
        cfg = config.validate({})
        config.set_path(cfg, path, name)
        assert cfg[path.split(".")[0]][path.split(".")[1]] == name
        if option.flag:
            args = parser.parse_args(["train", option.flag, name])
            assert options.given(args, "train")[path] == name


def test_every_registered_metric_is_accepted_in_toml_and_on_the_command_line():
    names = [n for n in registry.names("metric")]
    cfg = config.validate({"compile": {"metrics": names}})
    assert cfg["compile"]["metrics"] == names
    args = build_parser().parse_args(["train", "--metrics", ",".join(names)])
    assert options.given(args, "train")["compile.metrics"] == names


@pytest.mark.parametrize("activation", sorted(set(registry.names("activation")) - {"softmax"}))
def test_train_with_every_registered_activation(activation, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["train", "--activation", activation, "--epochs", "1", "--layers", "64,16,10", "--quiet",
                 "--runs-dir", "runs"]) == 0
    saved = next((tmp_path / "runs").iterdir()) / "config.toml"
    assert f'activation = "{activation}"' in saved.read_text()


def test_the_help_states_the_defaults_actually_used():
    help_text = build_parser()._subparsers._group_actions[0].choices["train"].format_help()
    flat = " ".join(help_text.split())
    rates = options.default_learning_rates()
    for optimizer, rate in rates.items():
        cfg = config.resolve(config.validate({"compile": {"optimizer": optimizer}}), 64, 10)
        assert cfg["compile"]["learning_rate"] == rate
        groups = re.findall(r"([0-9.e-]+) for ([a-z_, ]+?)(?:;|\))", flat)
        assert any(float(r) == rate and optimizer in [n.strip() for n in names.split(",")] for r, names in groups), \
            f"--help does not say {optimizer}'s default rate {rate}"
    assert rates["adamax"] == 0.002 and rates["nadam"] == 0.002
    defaults = config.validate({})
    for option in options.OPTIONS:
        match = re.search(r"\(default ([^;)]+)\)", option.help)
        if option.flag and match and not option.help.startswith("{"):
            section, _, key = option.path.partition(".")
            used = defaults[section][key] if key else defaults[section]
            stated = match.group(1).split(":")[0].strip().removeprefix("./")
            if isinstance(used, (int, float)) and not isinstance(used, bool):
                assert float(stated) == used, option.path
            else:
                assert stated == str(used), option.path


def test_resume_refuses_every_option_that_would_change_the_run(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["train", "--epochs", "1", "--quiet", "--runs-dir", "runs"]) == 0
    run = str(next((tmp_path / "runs").iterdir()))
    for argv in (["--augment"], ["--activation", "gelu"], ["--lr", "0.5"], ["--diagnostics"]):
        capsys.readouterr()
        assert main(["train", "--resume", run, *argv]) == 2
        assert "cannot change it" in capsys.readouterr().err
    assert main(["train", "--resume", run, "--epochs", "2", "--quiet"]) == 0  # --epochs extends it


def test_augment_turns_on_the_defaults_unless_the_config_sets_them():
    cfg = config.validate({})
    config.apply_overrides(cfg, {"augment": dict(options.AUGMENT_DEFAULTS)})
    assert cfg["augment"] == options.AUGMENT_DEFAULTS
    cfg = config.validate({"augment": {"shift": 0.2}})
    config.apply_overrides(cfg, {"augment": dict(options.AUGMENT_DEFAULTS)})
    assert cfg["augment"] == {"shift": 0.2}


def test_the_schema_and_defaults_come_from_the_table():
    assert set(config.SPEC) == {o.path.split(".")[0] for o in options.OPTIONS}
    for option in options.OPTIONS:
        section, _, key = option.path.partition(".")
        if option.default is not None:
            assert (config.DEFAULTS[section][key] if key else config.DEFAULTS[section]) == option.default


def test_an_optimizer_without_a_rate_default_gets_one(monkeypatch):
    import layerwise as lw

    class Plain(lw.Adam):
        def __init__(self, extra=1, **kwargs):
            super().__init__(**kwargs)

    saved = dict(registry._entries["optimizer"]), dict(registry._canonical["optimizer"])
    try:
        registry.register("optimizer", Plain, name="plain_for_test")
        cfg = config.resolve(config.validate({"compile": {"optimizer": "plain_for_test"}}), 64, 10)
        assert cfg["compile"]["learning_rate"] == 0.001  # Adam's default, found up the classes
    finally:
        registry._entries["optimizer"], registry._canonical["optimizer"] = saved


def test_the_saved_config_names_the_initializer_auto_chose():
    for activation, expected in (("relu", "he_normal"), ("gelu", "he_normal"), ("selu", "lecun_normal"),
                                 ("tanh", "glorot_uniform")):
        cfg = config.resolve(config.validate({"model": {"activation": activation}}), 64, 10)
        assert cfg["model"]["initializer"] == expected
