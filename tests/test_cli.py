import pytest

from layerwise.cli import main


def test_train_digits_end_to_end(capsys):
    assert main(["train", "--epochs", "15", "--quiet"]) == 0
    out = capsys.readouterr().out
    acc = float(out.split("test accuracy ")[1].split()[0])
    assert acc >= 0.93


def test_train_prints_epochs_and_saves(tmp_path, capsys):
    path = tmp_path / "m.lwm"
    assert main(["train", "--epochs", "2", "--layers", "64,32,10", "--activation", "tanh",
                 "--optimizer", "adam", "--save", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out and "val_accuracy" in out
    assert path.is_file()


def test_bad_layers_are_a_clear_error(capsys):
    assert main(["train", "--layers", "50,10"]) == 2
    assert "--layers starts with 50 inputs but digits has 64 features" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["train", "--layers", "64,x,10"])
    with pytest.raises(SystemExit):
        main(["train", "--epochs", "-3"])
