"""The book's ``mnist_loader`` on layerwise's data sets, so the book's programs run unchanged:

    import layerwise.compat.mnist_loader as mnist_loader
    import layerwise.compat.nielsen as network2
    training_data, validation_data, test_data = mnist_loader.load_data_wrapper()

``load_data_wrapper(name)`` returns lists in the book's format: 50,000 training pairs of an
(784, 1) input column and a one-hot (10, 1) target column, then 10,000 validation and 10,000 test
pairs of an input column and an integer label. ``name`` is any layerwise data set with images
("mnist" as in the book, "fashion-mnist", ...); the columns are views of one float32 array.
"""
from __future__ import annotations

import numpy as np

from ..data import datasets


def load_data_wrapper(name: str = "mnist", validation_size: int = 10_000):
    """(training_data, validation_data, test_data) in the book's format (see the module docstring)."""
    ds = datasets.load(name, validation_size=validation_size)
    n_out = int(ds.n_classes)
    eye = np.eye(n_out)
    training = [(x.reshape(-1, 1), eye[y].reshape(-1, 1)) for x, y in zip(ds.x_train, ds.y_train)]
    validation = [(x.reshape(-1, 1), int(y)) for x, y in zip(ds.x_val, ds.y_val)]
    test = [(x.reshape(-1, 1), int(y)) for x, y in zip(ds.x_test, ds.y_test)]
    return training, validation, test
