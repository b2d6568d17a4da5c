"""Process and numerical faults: kills during checkpoint writes, a full disk, NaN recovery."""
import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import layerwise as lw
from layerwise.checkpoint import load_checkpoint
from layerwise.errors import FileWriteError

from conftest import make_blobs

WRITER = Path(__file__).parent / "helpers" / "checkpoint_writer.py"
KILLS = int(os.environ.get("LAYERWISE_FAULT_KILLS", "12"))


def test_sigkill_during_checkpoint_writes_always_leaves_a_loadable_checkpoint(tmp_path):
    path = tmp_path / "c.ckpt"
    rng = np.random.default_rng(0)
    loaded = 0
    for _ in range(KILLS):
        proc = subprocess.Popen([sys.executable, str(WRITER), str(path)])
        deadline = time.time() + 60
        while not path.exists() and time.time() < deadline:
            time.sleep(0.01)
        time.sleep(float(rng.uniform(0.0, 0.4)))  # a random moment: often in the middle of a write
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        tensors, meta = load_checkpoint(path)  # must never be torn
        assert meta["fit"]["n_train"] == 4096
        loaded += 1
    assert loaded == KILLS
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "c.ckpt"]
    assert all(name.startswith(".c.ckpt.") and name.endswith(".tmp") for name in leftovers)


def test_a_full_disk_gives_a_clear_error_and_keeps_the_old_checkpoint(tmp_path, monkeypatch):
    x, y = make_blobs(n=64)
    path = tmp_path / "c.ckpt"
    model = lw.Sequential([lw.Dense(8, "relu"), lw.Dense(3, "softmax")], seed=0)
    model.compile("adam", "categorical_crossentropy")
    model.fit(x, y, epochs=1, verbose=0, checkpoint=path)
    before = path.read_bytes()
    real_fsync = os.fsync

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(FileWriteError, match=r"cannot write .*c\.ckpt: No space left on device; the previous "
                                             r"c\.ckpt is kept unchanged"):
        model.fit(x, y, epochs=2, verbose=0, checkpoint=path)
    monkeypatch.setattr(os, "fsync", real_fsync)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["c.ckpt"]
    load_checkpoint(path)
    with pytest.raises(FileWriteError, match="cannot write"):
        lw.io.atomic_write_text(tmp_path / "c.ckpt" / "inside-a-file", "x")


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_rollback_on_nan_recovers_by_halving_the_learning_rate():
    x, y = make_blobs(n=256)
    model = lw.Sequential([lw.Dense(32, "relu"), lw.Dense(32, "relu"), lw.Dense(3)], seed=0)
    model.compile(lw.SGD(2.0), "mse")  # above the threshold: the loss overflows within the first epoch
    recover = lw.RollbackOnNaN(max_rollbacks=20, verbose=False)
    hist = model.fit(x, y, epochs=6, batch_size=16, verbose=0, callbacks=[recover])
    assert recover.rollbacks and "rolled back to the last good epoch end" in recover.rollbacks[0]
    assert model.optimizer.lr == pytest.approx(2.0 * 0.5 ** len(recover.rollbacks))
    assert hist.history["loss"][-1] < 0.05  # it trains on at the lower rate
    assert all(np.isfinite(w).all() for w in model.get_weights())
    assert len(hist.history["loss"]) == 6 and np.isfinite(hist.history["loss"][-1])


def test_rollback_gives_up_after_max_rollbacks():
    x, y = make_blobs(n=64)
    model = lw.Sequential([lw.Dense(4, "relu"), lw.Dense(3, "softmax")], seed=0)
    model.compile("sgd", "categorical_crossentropy")
    model.build((8,))
    model.layers[1].params["kernel"][0, 0] = np.nan  # broken at the start: no good state to return to
    recover = lw.RollbackOnNaN(max_rollbacks=2, verbose=False)
    model.fit(x, y, epochs=3, verbose=0, callbacks=[recover])
    assert len(recover.rollbacks) == 2 and model.nonfinite_report is not None


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_rollback_restores_the_generator_and_the_average_count():
    """A rollback puts back everything the epoch end held: weights, optimizer state, the moving
    average with its update count, and the generator (so dropout and shuffling replay from there)."""
    from layerwise.training import snapshot

    x, y = make_blobs(n=64)
    model = lw.Sequential([lw.Dense(8, "relu"), lw.Dropout(0.2), lw.Dense(3, "softmax")], seed=0)
    model.compile(lw.Adam(1e-2), "categorical_crossentropy", ema=0.9)
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    recover = lw.RollbackOnNaN(verbose=False)
    policy = recover.nonfinite_policy  # what the loop applies
    policy.begin(model)
    good_tensors, good_meta = snapshot.capture(model)
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)  # moves weights, average count and generator on
    assert model.ema.num_updates != good_meta["ema"]["num_updates"]
    assert model.rng.bit_generator.state != good_meta["rng"]
    assert policy.recover(model, "step 9: planted") is not None
    assert recover.rollbacks[0].startswith("step 9: planted; rolled back")
    assert model.ema.num_updates == good_meta["ema"]["num_updates"]
    assert model.rng.bit_generator.state == good_meta["rng"]
    now, _ = snapshot.capture(model)
    for name, value in good_tensors.items():
        np.testing.assert_array_equal(now[name], value, err_msg=name)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_terminate_on_nan_waits_while_a_rollback_recovers():
    x, y = make_blobs(n=256)
    model = lw.Sequential([lw.Dense(32, "relu"), lw.Dense(32, "relu"), lw.Dense(3)], seed=0)
    model.compile(lw.SGD(2.0), "mse")
    recover, stop = lw.RollbackOnNaN(max_rollbacks=20, verbose=False), lw.TerminateOnNaN(raise_error=True)
    hist = model.fit(x, y, epochs=4, batch_size=16, verbose=0, callbacks=[recover, stop])
    assert recover.rollbacks and stop.message is None and len(hist.history["loss"]) == 4
