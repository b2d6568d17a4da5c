import gzip
import hashlib
import http.server
import struct
import threading
from functools import partial

import numpy as np
import pytest

from layerwise import datasets
from layerwise.data import read_idx, write_idx
from layerwise.data import datasets as ds_mod
from layerwise.errors import DataError
from conftest import write_fake_mnist


@pytest.fixture
def isolated(monkeypatch, tmp_path):
    """No real data or cache visible: LAYERWISE_DATA and the cache point into tmp_path."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("LAYERWISE_DATA", str(tmp_path / "data"))
    monkeypatch.setattr(ds_mod, "search_dirs", lambda name: [tmp_path / "data" / name, tmp_path / "data",
                                                             ds_mod.cache_dir(name)])
    return tmp_path


def test_digits_is_embedded_and_scaled():
    ds = datasets.load("digits", validation_size=0.1)
    assert ds.x_train.dtype == np.float32 and ds.x_train.shape[1] == 64
    assert 0.0 <= ds.x_train.min() and ds.x_train.max() <= 1.0
    assert len(ds.x_train) + len(ds.x_val) + len(ds.x_test) == 1797
    assert ds.n_classes == 10 and ds.image_shape == (8, 8)


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
def test_idx_roundtrip(tmp_path, dtype):
    arr = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    if dtype == np.uint8:
        arr = np.abs(arr).astype(np.uint8)
    for name in ("a.idx", "a.idx.gz"):
        write_idx(tmp_path / name, arr)
        back = read_idx(tmp_path / name)
        np.testing.assert_array_equal(back, arr)
        assert back.dtype == np.dtype(dtype)


def test_idx_errors_name_the_file(tmp_path):
    good = tmp_path / "good.idx"
    write_idx(good, np.zeros((10, 4, 4), dtype=np.uint8))
    raw = good.read_bytes()
    cases = {
        "short.idx": (raw[:2], "truncated IDX file"),
        "magic.idx": (b"\x01\x02" + raw[2:], "bad magic"),
        "code.idx": (raw[:2] + b"\x07" + raw[3:], "unknown IDX data type code 0x07"),
        "trunc.idx": (raw[:-5], r"truncated IDX file: header says \(10, 4, 4\)"),
        "extra.idx": (raw + b"xx", "data beyond"),
        "huge.idx": (b"\x00\x00\x08\x03" + struct.pack(">3I", 10**6, 10**4, 10**4), "refusing to allocate"),
        "badgz.idx.gz": (b"\x1f\x8b" + b"garbage" * 10, "corrupt IDX/gzip"),
        "truncgz.idx.gz": (gzip.compress(raw)[:-30], "corrupt|truncated"),
    }
    for name, (data, message) in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(DataError, match=message) as info:
            read_idx(tmp_path / name)
        assert name in str(info.value)
    with pytest.raises(DataError, match="no such file"):
        read_idx(tmp_path / "missing.idx")


@pytest.mark.parametrize("compress", [True, False])
def test_mnist_from_layerwise_data(isolated, compress):
    arrays = write_fake_mnist(isolated / "data" / "mnist", compress=compress)
    ds = datasets.load("mnist", validation_size=10)
    assert ds.x_train.shape == (40, 784) and ds.x_val.shape == (10, 784) and ds.x_test.shape == (20, 784)
    np.testing.assert_allclose(ds.x_test[3], arrays["t10k-images-idx3-ubyte"][3].reshape(-1) / 255.0)
    np.testing.assert_array_equal(ds.y_val, arrays["train-labels-idx1-ubyte"][-10:])
    assert ds.x_train.dtype == np.float32 and ds.x_train.max() <= 1.0


def test_mismatched_files_are_reported(isolated):
    folder = isolated / "data" / "fashion-mnist"
    write_fake_mnist(folder)
    write_idx(folder / "train-labels-idx1-ubyte.gz", np.zeros(49, dtype=np.uint8))
    with pytest.raises(DataError, match="same n"):
        datasets.load("fashion-mnist")


def test_offline_without_files_says_where_to_put_them(isolated, monkeypatch):
    monkeypatch.setitem(ds_mod.SOURCES["mnist"], "mirrors", ["http://127.0.0.1:9/"])
    with pytest.raises(DataError, match=r"Offline\? Put the four files .*LAYERWISE_DATA"):
        datasets.load("mnist")
    with pytest.raises(DataError, match="not found"):
        datasets.load("mnist", download=False)


def test_download_verifies_sha256_and_writes_atomically(isolated, monkeypatch, tmp_path):
    served = tmp_path / "served"
    write_fake_mnist(served)
    hashes = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in served.iterdir()}
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        monkeypatch.setitem(ds_mod.SOURCES, "mnist", {**ds_mod.SOURCES["mnist"], "mirrors": [url],
                                                      "sha256": hashes})
        ds = datasets.load("mnist")
        assert ds.x_train.shape == (50, 784)
        cached = sorted(p.name for p in ds_mod.cache_dir("mnist").iterdir())
        assert cached == sorted(hashes)  # no temporary files left behind
        # a mirror serving different bytes is rejected by the checksum
        bad = dict(hashes)
        bad["t10k-labels-idx1-ubyte.gz"] = "0" * 64
        (ds_mod.cache_dir("mnist") / "t10k-labels-idx1-ubyte.gz").unlink()
        monkeypatch.setitem(ds_mod.SOURCES["mnist"], "sha256", bad)
        with pytest.raises(DataError, match="SHA-256 mismatch"):
            ds_mod.download("mnist")
    finally:
        server.shutdown()


def test_user_files_npz_npy_csv(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3))
    y = rng.integers(0, 4, 40)
    np.savez(tmp_path / "d.npz", x=x, y=y)
    ds = datasets.load(str(tmp_path / "d.npz"), validation_size=4)
    assert len(ds.x_train) == 28 and len(ds.x_val) == 4 and len(ds.x_test) == 8 and ds.n_classes == 4
    np.save(tmp_path / "d.npy", np.column_stack([x, y]))
    assert datasets.load(str(tmp_path / "d.npy")).x_train.shape == (32, 3)
    lines = ["a,b,c,label"] + [",".join(map(str, [*row, lab])) for row, lab in zip(x, y)]
    (tmp_path / "d.csv").write_text("\n".join(lines) + "\n")
    ds = datasets.load(str(tmp_path / "d.csv"))
    assert ds.x_train.dtype == np.float32 and ds.x_train.shape == (32, 3)


def test_bad_user_files(tmp_path):
    (tmp_path / "ragged.csv").write_text("1,2,0\n3,4\n")
    with pytest.raises(DataError, match="row 2 has 2 columns but the first row has 3"):
        datasets.load(str(tmp_path / "ragged.csv"))
    (tmp_path / "text.csv").write_text("1,2,0\n3,x,1\n")
    with pytest.raises(DataError, match="row 2, column 2: 'x' is not a number"):
        datasets.load(str(tmp_path / "text.csv"))
    (tmp_path / "labels.csv").write_text("1,2,0.5\n3,4,1\n")
    with pytest.raises(DataError, match="non-integer label 0.5"):
        datasets.load(str(tmp_path / "labels.csv"))
    (tmp_path / "nan.csv").write_text("1,nan,0\n3,4,1\n")
    with pytest.raises(DataError, match="contains nan"):
        datasets.load(str(tmp_path / "nan.csv"))
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(DataError, match="cannot read"):
        datasets.load(str(tmp_path / "bad.npz"))
    with pytest.raises(DataError, match="unknown data set 'cifar'"):
        datasets.load("cifar")
    with pytest.raises(DataError, match="validation_size"):
        datasets.load("digits", validation_size=5000)
