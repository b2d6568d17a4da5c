"""keras.datasets.mnist / fashion_mnist: load_data() returns Keras's uint8 tuples, from local IDX files
first (``$LAYERWISE_DATA``, ``~/.cache/layerwise``, ``/usr/share/datasets``), downloading only if absent."""
from types import SimpleNamespace


def idx_load_data(name):
    def load_data(path=None):
        from ...data import datasets, idx
        paths = datasets.locate(name) or datasets.download(name)
        a = {k: idx.read_idx(p) for k, p in paths.items()}
        return (a["train_images"], a["train_labels"]), (a["test_images"], a["test_labels"])
    load_data.__doc__ = (f"Keras's {name}.load_data(): uint8 arrays ((x_train, y_train), (x_test, y_test)), "
                         "local files first.")
    return load_data


mnist = SimpleNamespace(load_data=idx_load_data("mnist"))
fashion_mnist = SimpleNamespace(load_data=idx_load_data("fashion-mnist"))
