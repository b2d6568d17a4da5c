"""keras.utils.to_categorical and set_random_seed; PyDataset and Sequence are refused (pass arrays)."""
from ._impl import PyDataset, Sequence, refuse_name, set_random_seed, to_categorical  # noqa: F401


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    refuse_name(f"utils.{name}")
