import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def make_blobs(n=300, n_features=8, n_classes=3, seed=0, spread=0.6):
    """A small, learnable classification problem (Gaussian blobs), float32."""
    r = np.random.default_rng(seed)
    centers = r.normal(0, 2.0, size=(n_classes, n_features))
    y = r.integers(0, n_classes, size=n)
    x = centers[y] + r.normal(0, spread, size=(n, n_features))
    return x.astype(np.float32), y.astype(np.int64)


def write_fake_mnist(folder, n_train=50, n_test=20, compress=True, seed=0):
    """The four IDX files of an MNIST-style set (random uint8 images, labels 0..9) in ``folder``;
    returns the arrays written, by file stem."""
    from layerwise.data import write_idx
    rng = np.random.default_rng(seed)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte": rng.integers(0, 10, n_train, dtype=np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, n_test, dtype=np.uint8),
    }
    folder.mkdir(parents=True, exist_ok=True)
    for stem, arr in arrays.items():
        write_idx(folder / (stem + (".gz" if compress else "")), arr)
    return arrays
