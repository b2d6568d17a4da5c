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
