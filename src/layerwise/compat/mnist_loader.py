"""The book's ``mnist_loader`` on layerwise's data sets, so the book's programs run unchanged:

    import layerwise.compat.mnist_loader as mnist_loader
    import layerwise.compat.nielsen as network2
    training_data, validation_data, test_data = mnist_loader.load_data_wrapper()

``load_data_wrapper(name)`` returns lists in the book's format: 50,000 training pairs of an
(784, 1) input column and a one-hot (10, 1) target column, then 10,000 validation and 10,000 test
pairs of an input column and an integer label. ``name`` is any layerwise data set with images
("mnist" as in the book, "fashion-mnist", ...); the columns are views of one float32 array.

Without a name it loads what is installed (``default_data_set``): MNIST, as in the book, when its
files are found; otherwise Fashion-MNIST when its files are (Debian's ``dataset-fashion-mnist``
installs them) — the same shapes and ten classes, so the book's programs run as written. A one-line
notice on stderr says which it loaded. Give the name ("mnist") to insist on one.
"""
from __future__ import annotations

import sys

import numpy as np

from ..data import datasets
from ..errors import DataError

TITLES = {"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST"}


def default_data_set() -> str:
    """The data set ``load_data_wrapper()`` loads when given no name: "mnist" when MNIST's four IDX
    files are found (in the folders ``layerwise.datasets.search_dirs`` lists), else "fashion-mnist"
    when its files are, else "mnist" (which ``layerwise.datasets.load`` then downloads).

    Returns
    -------
    str
        "mnist" or "fashion-mnist".
    """
    for name in ("mnist", "fashion-mnist"):
        if datasets.locate(name) is not None:
            return name
    return "mnist"


def load_data_wrapper(name: str | None = None, validation_size: int = 10_000):
    """(training_data, validation_data, test_data) in the book's format (see the module docstring).
    ``name=None``: the installed data set ``default_data_set`` picks, with a notice on stderr.

    Parameters
    ----------
    name : str or None, default None
        A layerwise data set with images ("mnist", "fashion-mnist", ...); None: what
        :func:`default_data_set` picks.
    validation_size : int, default 10000
        The last training images held out as validation data (the book's 50,000/10,000 split).

    Returns
    -------
    tuple of three lists
        (training_data, validation_data, test_data): training pairs of an (784, 1) float32 input
        column and a one-hot (10, 1) target column; validation and test pairs of an input column
        and an int label.
    """
    chosen = name if name is not None else default_data_set()
    if name is None:
        found = datasets.locate(chosen)
        if found is not None:
            missing = "" if chosen == "mnist" else "MNIST's files were not found; "
            print(f"mnist_loader: {missing}loading {TITLES[chosen]} from {found['train_images'].parent}",
                  file=sys.stderr)
    try:
        ds = datasets.load(chosen, validation_size=validation_size)
    except DataError as exc:
        if name is not None:
            raise
        raise DataError(f"{exc} Or install Fashion-MNIST (Debian: apt-get install dataset-fashion-mnist): "
                        "load_data_wrapper() uses it when MNIST is not there.") from None
    n_out = int(ds.n_classes)
    eye = np.eye(n_out)
    training = [(x.reshape(-1, 1), eye[y].reshape(-1, 1)) for x, y in zip(ds.x_train, ds.y_train)]
    validation = [] if ds.x_val is None or ds.y_val is None else \
        [(x.reshape(-1, 1), int(y)) for x, y in zip(ds.x_val, ds.y_val)]
    test = [(x.reshape(-1, 1), int(y)) for x, y in zip(ds.x_test, ds.y_test)]
    return training, validation, test
