"""compat.mnist_loader.load_data_wrapper() without a name: MNIST when its files are found, else
Fashion-MNIST, with a one-line notice, in the book's shapes (small IDX files written here, and the
installed Fashion-MNIST when it is there)."""
import numpy as np
import pytest

from layerwise.compat import mnist_loader
from layerwise.data import datasets as ds_mod
from conftest import write_fake_mnist
from layerwise.errors import DataError


def write_idx_set(folder, seed, n_train=30, n_test=12):
    """The four IDX files of an MNIST-style set; returns the arrays written."""
    return write_fake_mnist(folder, n_train, n_test, compress=True, seed=seed)


@pytest.fixture
def data_root(tmp_path, monkeypatch):
    """Only folders under tmp_path are searched (not the cache, not /usr/share/datasets), and
    nothing is downloaded."""
    monkeypatch.setattr(ds_mod, "search_dirs", lambda name: [tmp_path / name])

    def offline(name, *args, **kwargs):
        raise DataError(f"{name}: could not download (offline)")
    monkeypatch.setattr(ds_mod, "download", offline)
    return tmp_path


def check_book_format(data, arrays, n_val):
    training, validation, test = data
    n_train = len(arrays["train-labels-idx1-ubyte"]) - n_val
    assert (len(training), len(validation), len(test)) == (n_train, n_val, len(arrays["t10k-labels-idx1-ubyte"]))
    x, y = training[0]
    assert x.shape == (784, 1) and y.shape == (10, 1) and y.sum() == 1
    assert int(np.argmax(y)) == arrays["train-labels-idx1-ubyte"][0]
    np.testing.assert_allclose(x[:, 0], arrays["train-images-idx3-ubyte"][0].reshape(-1) / 255, rtol=1e-6)
    x, label = test[3]
    assert x.shape == (784, 1) and isinstance(label, int) and label == arrays["t10k-labels-idx1-ubyte"][3]
    assert isinstance(validation[0][1], int) and validation[-1][1] == arrays["train-labels-idx1-ubyte"][-1]


def test_fashion_mnist_when_mnist_is_missing(data_root, capsys):
    fashion = write_idx_set(data_root / "fashion-mnist", seed=1)
    assert mnist_loader.default_data_set() == "fashion-mnist"
    data = mnist_loader.load_data_wrapper(validation_size=5)
    check_book_format(data, fashion, 5)
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Fashion-MNIST" in err[0] and "MNIST's files were not found" in err[0]
    assert str(data_root / "fashion-mnist") in err[0]


def test_mnist_first_when_both_are_there(data_root, capsys):
    mnist = write_idx_set(data_root / "mnist", seed=2)
    write_idx_set(data_root / "fashion-mnist", seed=3)
    assert mnist_loader.default_data_set() == "mnist"
    check_book_format(mnist_loader.load_data_wrapper(validation_size=4), mnist, 4)
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "loading MNIST from" in err[0]


def test_a_name_is_taken_as_given(data_root, capsys):
    write_idx_set(data_root / "fashion-mnist", seed=4)
    with pytest.raises(DataError, match="offline"):  # MNIST asked for, not there: no substitute
        mnist_loader.load_data_wrapper("mnist", validation_size=4)
    assert capsys.readouterr().err == ""


def test_nothing_installed_says_what_to_install(data_root):
    with pytest.raises(DataError, match="dataset-fashion-mnist"):
        mnist_loader.load_data_wrapper(validation_size=4)


@pytest.mark.skipif(ds_mod.locate("mnist") is None and ds_mod.locate("fashion-mnist") is None,
                    reason="neither MNIST nor Fashion-MNIST installed (apt-get install dataset-fashion-mnist)")
def test_the_default_loads_what_is_installed_in_the_books_shapes(capsys):
    training, validation, test = mnist_loader.load_data_wrapper()
    assert (len(training), len(validation), len(test)) == (50_000, 10_000, 10_000)
    assert training[0][0].shape == (784, 1) and training[0][1].shape == (10, 1)
    assert validation[0][0].shape == (784, 1) and isinstance(validation[0][1], int)
    name = mnist_loader.default_data_set()
    assert f"loading {mnist_loader.TITLES[name]} from" in capsys.readouterr().err
