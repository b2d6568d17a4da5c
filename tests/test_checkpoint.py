import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import layerwise as lw
from layerwise.errors import ConfigError, ModelFileError

from conftest import make_blobs

JOB = Path(__file__).parent / "helpers" / "resume_job.py"


def run_job(ckpt, out, resume, size="small"):
    subprocess.run([sys.executable, str(JOB), str(ckpt), str(out), "1" if resume else "0", size], check=True,
                   timeout=120)
    return dict(np.load(out))


@pytest.mark.parametrize("size", ["small", "wide", "xla"])  # xla: the XLA engine, checkpoint_every=7
def test_sigkill_then_resume_is_bit_identical(tmp_path, size):
    if size == "xla":
        pytest.importorskip("jax")
    reference = run_job(tmp_path / "ref.ckpt", tmp_path / "ref.npz", resume=False, size=size)
    rng = np.random.default_rng(0)
    kills = 0
    for trial in range(3):
        ckpt, out = tmp_path / f"t{trial}.ckpt", tmp_path / f"t{trial}.npz"
        proc = subprocess.Popen([sys.executable, str(JOB), str(ckpt), str(out), "0", size])
        deadline = time.time() + 60
        while not ckpt.exists() and time.time() < deadline and proc.poll() is None:
            time.sleep(0.01)
        time.sleep(float(rng.uniform(0.0, 0.5)))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        if proc.returncode == -signal.SIGKILL and not out.exists():
            kills += 1
        got = run_job(ckpt, out, resume=True, size=size)
        assert set(got) == set(reference)
        for key in reference:
            np.testing.assert_array_equal(got[key], reference[key], err_msg=key)
    assert kills >= 1  # at least one run really died mid-training


def test_resume_in_process_mid_epoch_and_at_epoch_end(tmp_path):
    x, y = make_blobs(n=200)

    def make():
        m = lw.Sequential([lw.Dense(16, "tanh"), lw.Dropout(0.3), lw.Dense(3, "softmax")], seed=1)
        m.compile(lw.SGD(0.05, momentum=0.9), "categorical_crossentropy", metrics=["accuracy"])
        return m

    full = make()
    full.fit(x, y, epochs=4, batch_size=16, verbose=0)

    class StopAt(lw.callbacks.Callback):
        def __init__(self, step):
            super().__init__()
            self.step = step

        def on_batch_end(self, batch, logs=None):
            if self.model.optimizer.iterations == self.step:
                raise KeyboardInterrupt

    for stop in (20, 26):  # 13 steps per epoch: 26 is an epoch boundary, 20 is inside epoch 2
        ckpt = tmp_path / f"c{stop}.ckpt"
        first = make()
        with pytest.raises(KeyboardInterrupt):
            first.fit(x, y, epochs=4, batch_size=16, verbose=0, checkpoint=ckpt, checkpoint_every=2,
                      callbacks=[StopAt(stop)])
        second = make()
        hist = second.fit(x, y, epochs=4, batch_size=16, verbose=0, checkpoint=ckpt, resume=True,
                          callbacks=[StopAt(-1)])
        for a, b in zip(second.get_weights(), full.get_weights()):
            np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(hist.history["loss"], full.history.history["loss"])


def test_resume_without_a_checkpoint_starts_fresh_and_mismatches_are_refused(tmp_path):
    x, y = make_blobs(n=100)
    ckpt = tmp_path / "c.ckpt"
    m = lw.Sequential([lw.Dense(3, "softmax")], seed=0)
    m.compile("adam", "categorical_crossentropy")
    m.fit(x, y, epochs=2, verbose=0, checkpoint=ckpt, resume=True)  # no file yet: a fresh start
    assert ckpt.exists()
    other = lw.Sequential([lw.Dense(4, "relu"), lw.Dense(3, "softmax")], seed=0)
    other.compile("adam", "categorical_crossentropy")
    with pytest.raises(ConfigError, match="different architecture"):
        other.fit(x, y, epochs=3, verbose=0, checkpoint=ckpt, resume=True)
    sgd = lw.Sequential([lw.Dense(3, "softmax")], seed=0)
    sgd.compile(lw.SGD(0.1, momentum=0.9), "categorical_crossentropy")
    with pytest.raises(ConfigError, match="optimizer state"):
        sgd.fit(x, y, epochs=3, verbose=0, checkpoint=ckpt, resume=True)
    same = lw.Sequential([lw.Dense(3, "softmax")], seed=0)
    same.compile("adam", "categorical_crossentropy")
    with pytest.raises(ConfigError, match="callbacks"):
        same.fit(x, y, epochs=3, verbose=0, checkpoint=ckpt, resume=True, callbacks=[lw.EarlyStopping("loss")])
    with pytest.raises(ConfigError, match="batches of"):
        same.fit(x, y, epochs=3, batch_size=7, verbose=0, checkpoint=ckpt, resume=True)
    with pytest.raises(ConfigError, match="need checkpoint=PATH"):
        same.fit(x, y, epochs=3, verbose=0, resume=True)
    ckpt.write_bytes(ckpt.read_bytes()[:100])
    with pytest.raises(ModelFileError):
        same.fit(x, y, epochs=3, verbose=0, checkpoint=ckpt, resume=True)
    with pytest.raises(ModelFileError, match="not a layerwise-checkpoint"):
        m.save(tmp_path / "model.lwm")
        same.fit(x, y, epochs=3, verbose=0, checkpoint=tmp_path / "model.lwm", resume=True)


@pytest.fixture
def checkpointed(tmp_path):
    x, y = make_blobs(n=100)

    def make():
        m = lw.Sequential([lw.Dense(8, "relu"), lw.BatchNorm(), lw.Dense(3, "softmax")], seed=0)
        m.compile(lw.Adam(1e-2), "categorical_crossentropy", ema=0.9)
        return m

    path = tmp_path / "c.ckpt"
    make().fit(x, y, epochs=2, batch_size=16, verbose=0, checkpoint=path, checkpoint_every=3,
               callbacks=[lw.EarlyStopping("loss", patience=5, restore_best_weights=True)])
    return make, path, x, y


def _expect_clean_refusal(make, path, x, y, error=ModelFileError, match=None):
    model = make()
    model.build((8,))
    before = model.get_weights()
    with pytest.raises(error, match=match):
        model.fit(x, y, epochs=3, batch_size=16, verbose=0, checkpoint=path, resume=True,
                  callbacks=[lw.EarlyStopping("loss", patience=5, restore_best_weights=True)])
    for a, b in zip(before, model.get_weights()):  # never a half-loaded model
        np.testing.assert_array_equal(a, b)
    assert model.optimizer.iterations == 0


@pytest.mark.parametrize("fraction", [0.0, 0.01, 0.2, 0.5, 0.8, 0.99])
def test_truncated_checkpoints(checkpointed, tmp_path, fraction):
    make, path, x, y = checkpointed
    raw = path.read_bytes()
    bad = tmp_path / "t.ckpt"
    bad.write_bytes(raw[:int(len(raw) * fraction)])
    _expect_clean_refusal(make, bad, x, y)


def test_random_bytes_checkpoint(checkpointed, tmp_path):
    make, _, x, y = checkpointed
    bad = tmp_path / "r.ckpt"
    bad.write_bytes(np.random.default_rng(0).bytes(5000))
    _expect_clean_refusal(make, bad, x, y)


def _edit(path, tmp_path, meta_edit=None, tensor_edit=None):
    from layerwise import io
    tensors, meta = io.unpack(path.read_bytes())
    if meta_edit:
        meta_edit(meta)
    if tensor_edit:
        tensor_edit(tensors)
    out = tmp_path / "edited.ckpt"
    out.write_bytes(io.pack(tensors, meta))
    return out


@pytest.mark.parametrize("meta_edit, tensor_edit, error, match", [
    (lambda m: m.update(rng={"bit_generator": "PCG64", "state": "garbage"}), None, ModelFileError, "random-generator"),
    (lambda m: m["fit"].update(step=-1), None, ModelFileError, "training position"),
    (lambda m: m["optimizer_state"].update(iterations="many"), None, ModelFileError, "step count"),
    (lambda m: m.update(format_version=7), None, ModelFileError, "newer"),
    (lambda m: m["callbacks"][1]["state"].update(wait="x"), None, ModelFileError, "EarlyStopping"),
    (None, lambda t: t.update({"optimizer/m/0": np.zeros((2, 2), np.float32)}), ModelFileError, "optimizer/m/0"),
    (None, lambda t: t.update({"ema/0": np.zeros(99, np.float32)}), ModelFileError, "ema/0"),
    (None, lambda t: t.update({"fit/order": np.zeros(84, np.int64)}), ModelFileError, "permutation"),
    (None, lambda t: t.pop("dense_1/kernel"), ModelFileError, "missing tensors"),
])
def test_edited_checkpoints(checkpointed, tmp_path, meta_edit, tensor_edit, error, match):
    make, path, x, y = checkpointed
    _expect_clean_refusal(make, _edit(path, tmp_path, meta_edit, tensor_edit), x, y, error, match)


def test_ctrl_c_stops_at_the_end_of_the_batch_and_checkpoints(tmp_path):
    import signal
    x, y = make_blobs(n=200)

    def make():
        m = lw.Sequential([lw.Dense(16, "tanh"), lw.Dropout(0.3), lw.Dense(3, "softmax")], seed=1)
        m.compile(lw.Adam(1e-2), "categorical_crossentropy")
        return m

    full = make()
    full.fit(x, y, epochs=3, batch_size=16, verbose=0)

    class CtrlC(lw.callbacks.Callback):
        def on_batch_end(self, batch, logs=None):
            if self.model.optimizer.iterations == 17:
                signal.raise_signal(signal.SIGINT)

    ckpt = tmp_path / "c.ckpt"
    first = make()
    with pytest.raises(KeyboardInterrupt, match="stopped after step 17; checkpoint saved to"):
        first.fit(x, y, epochs=3, batch_size=16, verbose=0, checkpoint=ckpt, callbacks=[CtrlC()])
    assert first.optimizer.iterations == 17
    second = make()
    second.fit(x, y, epochs=3, batch_size=16, verbose=0, checkpoint=ckpt, resume=True, callbacks=[CtrlC()])
    for a, b in zip(second.get_weights(), full.get_weights()):
        np.testing.assert_array_equal(a, b)
