"""A corpus of bad or unusual command lines, run in-process: every one must end with exit status 1
or 2 and exactly one line on stderr that starts "layerwise: error:" — never a traceback."""
import json
import os
from pathlib import Path

import numpy as np
import pytest

from layerwise.cli import main


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A finished digits run and an assortment of broken files, made once for the module."""
    d = tmp_path_factory.mktemp("corpus")
    old = os.getcwd()
    os.chdir(d)
    try:
        assert main(["train", "--epochs", "2", "--quiet", "--runs-dir", "runs"]) == 0
    finally:
        os.chdir(old)
    run = next((d / "runs").iterdir())
    (d / "noclass.csv").write_text("a,b,label\n" + "".join(f"{i},{i + 1},0\n" for i in range(20)))
    (d / "biglabel.csv").write_text("a,b,label\n1,2,0\n3,4,50000\n5,6,1\n7,8,0\n")
    (d / "hugelabel.csv").write_text("a,b,label\n1,2,0\n3,4,1e9\n5,6,1\n7,8,0\n")
    (d / "strings.csv").write_text("a,b,label\nx,y,0\n")
    (d / "empty.csv").write_text("")
    (d / "ragged.csv").write_text("a,b,label\n1,2,0\n3,0\n")
    (d / "nan.csv").write_text("a,b,label\n1,nan,0\n3,4,1\n5,6,0\n7,8,1\n")
    np.savez(d / "nokeys.npz", a=np.zeros(3))
    np.save(d / "flat.npy", np.zeros(5))
    np.save(d / "x.npy", np.zeros((4, 64), dtype=np.float32))
    np.save(d / "x5.npy", np.zeros((4, 5), dtype=np.float32))
    (d / "junk.lwm").write_bytes(os.urandom(300))
    (d / "text.lwm").write_text("not a model")
    model = (run / "model.lwm").read_bytes()
    (d / "truncated.lwm").write_bytes(model[: len(model) // 2])
    flipped = bytearray(model)
    flipped[-3] ^= 1
    (d / "flipped.lwm").write_bytes(bytes(flipped))
    (d / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nbroken")
    (d / "bad.toml").write_text("[fit\nepochs = 3")
    (d / "unknown.toml").write_text("[fit]\nepoch = 3\n")
    (d / "wrongtype.toml").write_text('[fit]\nepochs = "many"\n')
    (d / "notune.toml").write_text("[fit]\nepochs = 1\n")
    (d / "tune.toml").write_text('[fit]\nepochs = 1\n[tune]\nsampler = "grid"\n[tune.params]\n'
                                 '"compile.learning_rate" = { grid = [0.1] }\n')
    (d / "book.json").write_text(json.dumps({"sizes": [2, 1], "weights": [[[1.0, 1.0]]], "biases": [[[0.0]]],
                                             "cost": "CrossEntropyCost"}))
    (d / "a_file").write_text("x")
    (d / "adir").mkdir()
    half = d / "half_run"
    half.mkdir()
    (half / "config.toml").write_text((run / "config.toml").read_text())
    return d, run


def cases(d: Path, run: Path):
    m = str(run / "model.lwm")
    train = [
        ["--epochs", "0"], ["--epochs", "-1"], ["--epochs", "abc"], ["--epochs", "1.5"],
        ["--batch-size", "0"], ["--batch-size", "-3"], ["--batch-size", "x"],
        ["--lr", "0"], ["--lr", "-1"], ["--lr", "abc"], ["--lr", "inf"],
        ["--layers", ""], ["--layers", "10"], ["--layers", "a,b"], ["--layers", "64,0,10"], ["--layers", "63,10"],
        ["--layers", "64,10,3"],
        ["--dropout", "1.5"], ["--dropout", "-0.1"], ["--dropout", "abc"], ["--l2", "-1"], ["--momentum", "2"],
        ["--optimizer", "bogus"], ["--activation", "bogus"], ["--init", "bogus"], ["--seed", "abc"],
        ["--dataset", "cifar"], ["--dataset", str(d / "missing.csv")], ["--dataset", str(d / "adir")],
        ["--dataset", str(d / "a_file")], ["--dataset", str(d / "empty.csv")], ["--dataset", str(d / "strings.csv")],
        ["--dataset", str(d / "ragged.csv")], ["--dataset", str(d / "nan.csv")],
        ["--dataset", str(d / "noclass.csv")], ["--dataset", str(d / "biglabel.csv")],
        ["--dataset", str(d / "hugelabel.csv")], ["--dataset", str(d / "nokeys.npz")],
        ["--dataset", str(d / "flat.npy")],
        ["--validation-size", "1.5"], ["--validation-size", "-1"], ["--validation-size", "100000"],
        ["--config", str(d / "missing.toml")], ["--config", str(d / "adir")], ["--config", str(d / "bad.toml")],
        ["--config", str(d / "unknown.toml")], ["--config", str(d / "wrongtype.toml")],
        ["--runs-dir", str(d / "a_file")], ["--runs-dir", "/proc/nowhere"],
        ["--name", "../.."], ["--name", ".hidden"], ["--name", "a/b"],
        ["--resume", str(d / "nowhere")], ["--resume", str(d / "a_file")], ["--resume", str(d / "half_run")],
        ["--resume", str(run), "--lr", "0.5"], ["--resume", str(run), "--epochs", "1"],
        ["--restart"], ["--checkpoint-every", "0"], ["--save", str(d / "adir")],
        ["--save", str(d / "nowhere" / "m.lwm")], ["--quiet", "--log-format", "jsonl"], ["--log-format", "xml"],
        ["--bogus-flag"],
    ]
    out = [["train", *a] for a in train]
    out += [["evaluate", *a] for a in [
        [str(d / "missing.lwm")], [str(d / "adir")], [str(d / "junk.lwm")], [str(d / "text.lwm")],
        [str(d / "truncated.lwm")], [str(d / "flipped.lwm")], [str(d / "book.json")], [m, "--dataset", "cifar"],
        [m, "--split", "validation"], [m, "--dataset", str(d / "biglabel.csv")], [m, "--dataset", "fashion-mnist"]
        if not Path("/usr/share/datasets/fashion-mnist").exists() else [m, "--dataset", str(d / "noclass.csv")], []]]
    out += [["predict", *a] for a in [
        [str(d / "missing.lwm"), str(d / "x.npy")], [m, str(d / "missing.npy")], [m, str(d / "x5.npy")],
        [m, str(d / "broken.png")], [m, str(d / "a_file")], [m, str(d / "flat.npy")], [m, str(d / "adir")],
        [m, str(d / "x.npy"), "--format", "xml"], [m], [str(d / "junk.lwm"), str(d / "x.npy")],
        [str(d / "flipped.lwm"), str(d / "x.npy")]]]
    out += [["summary", *a] for a in [[str(d / "missing.lwm")], [str(d / "junk.lwm")], [str(d / "adir")],
                                       [str(d / "truncated.lwm")], []]]
    out += [["report", *a] for a in [[str(d / "nowhere")], [str(d / "adir")], [str(d / "half_run")],
                                      [str(d / "a_file")], []]]
    out += [["export", *a] for a in [
        [str(d / "missing.lwm"), str(d / "o.onnx")], [m, str(d / "adir")],
        [str(d / "junk.lwm"), str(d / "o.onnx")], [m]]]
    out += [["lr-find", *a] for a in [["--start", "0"], ["--start", "1", "--end", "0.5"], ["--steps", "1"],
                                       ["--dataset", "cifar"], ["--output", str(d / "adir")]]]
    out += [["tune", *a] for a in [
        [str(d / "missing.toml")], [str(d / "notune.toml")], [str(d / "tune.toml"), "--storage", "bogus://x"],
        [str(d / "tune.toml"), "--storage", "postgresql://nobody@127.0.0.1:1/none"],
        [str(d / "tune.toml"), "--workers", "0"], [str(d / "tune.toml"), "--trials", "0"],
        [str(d / "adir")]]]
    out += [[], ["bogus-command"], ["--version-x"]]
    return out


def test_the_corpus_is_large_enough(files):
    assert len(cases(*files)) >= 100


@pytest.mark.filterwarnings("ignore")
def test_every_bad_command_line_gets_one_line_and_a_status(files, capsys, monkeypatch):
    d, run = files
    monkeypatch.chdir(d)
    failures = []
    for argv in cases(d, run):
        capsys.readouterr()
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse
            code = exc.code
        except BaseException as exc:  # noqa: BLE001 - the point is that nothing escapes
            failures.append(f"{argv}: raised {type(exc).__name__}: {exc}")
            continue
        err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
        if code not in (1, 2) or len(err) != 1 or not err[0].startswith("layerwise: error:") \
                or "Traceback" in err[0]:
            failures.append(f"{argv}: status {code}, stderr {err}")
    assert not failures, f"{len(failures)} bad answers:\n" + "\n".join(failures)


def test_the_main_job_works_without_matplotlib(tmp_path, monkeypatch, capsys):
    """`pip install .` has no matplotlib: `layerwise train` trains, saves and says there is no report."""
    import sys
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib → ImportError
    assert main(["train", "--epochs", "2", "--quiet"]) == 0
    out, err = capsys.readouterr()
    assert "test accuracy" in out
    assert err.strip().splitlines() == ["layerwise: note: no plots or report (plots need matplotlib: "
                                        "pip install 'layerwise[plot]')"]
    (run,) = (tmp_path / "runs").iterdir()
    assert (run / "model.lwm").is_file() and (run / "metrics.json").is_file() and not (run / "report.html").exists()


def test_resume_is_explicit(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["train", "--epochs", "2", "--quiet"]) == 0
    (run,) = (tmp_path / "runs").iterdir()
    before = (run / "metrics.json").read_text()
    capsys.readouterr()
    assert main(["train", "--resume", str(run)]) == 0  # finished: says so, changes nothing
    assert "is finished (2 epochs); nothing changed" in capsys.readouterr().out
    assert (run / "metrics.json").read_text() == before
    assert main(["train", "--resume", str(run), "--epochs", "4", "--quiet"]) == 0  # extends
    metrics = json.loads((run / "metrics.json").read_text())
    history = (run / "history.csv").read_text().splitlines()
    assert metrics["epochs"] == 4 and len(history) == 5
    assert history[0] == "epoch,loss,accuracy,val_loss,val_accuracy,lr,time"  # columns keep their order
    assert metrics["train_seconds"] == pytest.approx(sum(metrics["epoch_seconds"]))  # all four epochs
    assert "epochs = 4" in (run / "config.toml").read_text()
    (run / "checkpoint.lwc").unlink()
    assert main(["train", "--resume", str(run), "--epochs", "5"]) == 2
    assert "no checkpoint.lwc" in capsys.readouterr().err
    assert main(["train", "--resume", str(run), "--epochs", "3", "--restart", "--quiet"]) == 0
    assert json.loads((run / "metrics.json").read_text())["epochs"] == 3


def test_a_closed_pipe_ends_the_command_quietly(tmp_path):
    import subprocess
    import sys
    proc = subprocess.run(f"{sys.executable} -m layerwise train --epochs 3 --log-format jsonl | head -1",
                          shell=True, cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.count("\n") == 1 and "Traceback" not in proc.stderr
    assert proc.stderr == ""


def test_a_run_directory_counts_epochs_from_one_everywhere(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["train", "--epochs", "3", "--lr", "30", "--diagnostics", "--log-format", "jsonl"]) == 0
    (run,) = (tmp_path / "runs").iterdir()
    printed = [json.loads(l)["epoch"] for l in capsys.readouterr().out.splitlines() if '"epoch"' in l and "result" not in l]
    history = [int(line.split(",")[0]) for line in (run / "history.csv").read_text().splitlines()[1:]]
    assert printed == history == [1, 2, 3]
    warnings = json.loads((run / "warnings.json").read_text())
    assert warnings and all(1 <= w["epoch"] <= 3 for w in warnings)  # a rate of 30 draws advice
