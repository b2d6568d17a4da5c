"""keras.datasets.mnist / fashion_mnist: load_data() returns Keras's uint8 tuples, from local IDX files
first (``$LAYERWISE_DATA``, ``~/.cache/layerwise``, ``/usr/share/datasets``), downloading only if absent."""
from types import SimpleNamespace

from ._impl import idx_load_data

mnist = SimpleNamespace(load_data=idx_load_data("mnist"))
fashion_mnist = SimpleNamespace(load_data=idx_load_data("fashion-mnist"))
