"""Fuzzing every reader of untrusted files: model files, checkpoints, IDX data, config files and
the book's JSON. Only layerwise's own errors (or success) may come out — never another exception,
a hang, or an allocation sized by a field of the file. Bounded: FUZZ_EXAMPLES inputs per reader."""
import json
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import layerwise as lw
from layerwise import config, io
from layerwise.checkpoint import load_checkpoint
from layerwise.compat import nielsen
from layerwise.data import read_idx, write_idx
from layerwise.errors import LayerwiseError

FUZZ_EXAMPLES = int(os.environ.get("LAYERWISE_FUZZ_EXAMPLES", "500"))
FUZZ = settings(max_examples=FUZZ_EXAMPLES, deadline=2000, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
COUNTS: dict[str, int] = {}


@st.composite
def mutations(draw, data: bytes):
    """A valid file, damaged: truncated, bytes flipped, bytes inserted or deleted, or replaced."""
    kind = draw(st.sampled_from(["truncate", "flip", "insert", "delete", "random", "header"]))
    b = bytearray(data)
    if kind == "truncate":
        return bytes(b[:draw(st.integers(0, max(0, len(b) - 1)))])
    if kind == "flip":
        for _ in range(draw(st.integers(1, 8))):
            i = draw(st.integers(0, len(b) - 1))
            b[i] ^= 1 << draw(st.integers(0, 7))
        return bytes(b)
    if kind == "insert":
        i = draw(st.integers(0, len(b)))
        return bytes(b[:i]) + draw(st.binary(min_size=1, max_size=64)) + bytes(b[i:])
    if kind == "delete":
        i = draw(st.integers(0, len(b) - 1))
        return bytes(b[:i] + b[i + draw(st.integers(1, 64)):])
    if kind == "header":  # damage the first 64 bytes, where sizes and lengths live
        for _ in range(draw(st.integers(1, 6))):
            b[draw(st.integers(0, min(63, len(b) - 1)))] = draw(st.integers(0, 255))
        return bytes(b)
    return draw(st.binary(max_size=4096))


def _survives(reader, path, data: bytes, name: str):
    path.write_bytes(data)
    COUNTS[name] = COUNTS.get(name, 0) + 1
    try:
        reader(path)
    except LayerwiseError:
        pass  # the one acceptable failure


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    d = tmp_path_factory.mktemp("fuzz")
    model = lw.Sequential([lw.Dense(4, "relu"), lw.BatchNorm(), lw.Dense(3, "softmax")], input_shape=(5,), seed=0)
    model.compile("adam", "categorical_crossentropy", ema=0.9)
    x = np.random.default_rng(0).normal(size=(20, 5)).astype(np.float32)
    model.fit(x, np.arange(20) % 3, epochs=1, batch_size=8, verbose=0, checkpoint=d / "c.ckpt", checkpoint_every=1)
    model.save(d / "m.lwm")
    write_idx(d / "i.idx", np.arange(60, dtype=np.uint8).reshape(3, 4, 5))
    (d / "c.toml").write_text((__import__("pathlib").Path(__file__).parents[1] / "examples" / "configs" /
                               "fashion.toml").read_text())
    nielsen.Network([5, 3, 2], seed=0).save(d / "n.json")
    return {k: (d / f).read_bytes() for k, f in
            {"model": "m.lwm", "checkpoint": "c.ckpt", "idx": "i.idx", "config": "c.toml", "book": "n.json"}.items()}


@FUZZ
@given(data=st.data())
def test_fuzz_model_files(samples, tmp_path, data):
    _survives(io.load_model, tmp_path / "f.lwm", data.draw(mutations(samples["model"])), "model file")


@FUZZ
@given(data=st.data())
def test_fuzz_checkpoints(samples, tmp_path, data):
    _survives(load_checkpoint, tmp_path / "f.ckpt", data.draw(mutations(samples["checkpoint"])), "checkpoint")


def _resume_from(path):
    """The whole resume path: parse, check against a fresh model, restore, train on."""
    model = lw.Sequential([lw.Dense(4, "relu"), lw.BatchNorm(), lw.Dense(3, "softmax")], input_shape=(5,), seed=0)
    model.compile("adam", "categorical_crossentropy", ema=0.9)
    x = np.random.default_rng(0).normal(size=(20, 5)).astype(np.float32)
    model.fit(x, np.arange(20) % 3, epochs=2, batch_size=8, verbose=0, checkpoint=path, resume=True)


@settings(max_examples=max(20, FUZZ_EXAMPLES // 5), deadline=5000, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzz_checkpoint_resume(samples, tmp_path, data):
    _survives(_resume_from, tmp_path / "r.ckpt", data.draw(mutations(samples["checkpoint"])), "checkpoint resume")


@FUZZ
@given(data=st.data())
def test_fuzz_idx_files(samples, tmp_path, data):
    _survives(read_idx, tmp_path / "f.idx", data.draw(mutations(samples["idx"])), "IDX file")


@FUZZ
@given(data=st.data())
def test_fuzz_config_files(samples, tmp_path, data):
    _survives(config.load, tmp_path / "f.toml", data.draw(mutations(samples["config"])), "config file")


@FUZZ
@given(data=st.data())
def test_fuzz_book_json(samples, tmp_path, data):
    _survives(nielsen.load, tmp_path / "f.json", data.draw(mutations(samples["book"])), "book JSON")


@FUZZ
@given(field=st.sampled_from(["units", "input_shape", "sizes"]), value=st.sampled_from([10**12, 2**40, -1, 0]))
def test_huge_size_fields_are_refused_before_allocating(samples, tmp_path, field, value):
    """Files whose size fields claim ~10^12 items: refused by checks, not by running out of memory."""
    if field == "sizes":
        doc = json.loads(samples["book"])
        doc["sizes"] = [5, value, 2]
        (tmp_path / "n.json").write_text(json.dumps(doc))
        with pytest.raises(LayerwiseError):
            nielsen.load(tmp_path / "n.json")
        return
    tensors, meta = io.unpack(samples["model"])
    if field == "units":
        meta["config"]["layers"][0]["units"] = value
    else:
        meta["config"]["input_shape"] = [value]
    (tmp_path / "m.lwm").write_bytes(io.pack(tensors, meta))
    with pytest.raises(LayerwiseError):
        io.load_model(tmp_path / "m.lwm")
    header = b"\x00\x00\x08\x03" + (10**6).to_bytes(4, "big") * 3  # 10^18 bytes claimed
    (tmp_path / "h.idx").write_bytes(header)
    with pytest.raises(LayerwiseError, match="refusing to allocate"):
        read_idx(tmp_path / "h.idx")


@pytest.fixture(scope="module", autouse=True)
def report_counts():
    """After the module: how many inputs each reader got (for the README's reliability table; use -s)."""
    yield
    print("\nfuzz inputs per reader:", json.dumps(COUNTS))
