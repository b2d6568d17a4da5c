"""keras.utils.to_categorical and set_random_seed; PyDataset and Sequence are refused (pass arrays)."""
import numpy as np

from ...errors import ConfigError
from ._common import PASS_ARRAYS, SEED, refuse, refuse_name


def set_random_seed(seed: int) -> None:
    """keras.utils.set_random_seed: seeds Python's and NumPy's generators and every model made
    after it (each model draws its own seed from one seeded stream, so a program repeats)."""
    import random
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ConfigError(f"keras.utils.set_random_seed: seed must be an integer >= 0, got "
                          f"{type(seed).__name__} {seed!r}")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed)
    SEED[0] = np.random.default_rng(seed)


def to_categorical(y, num_classes=None, dtype="float32"):
    y = np.asarray(y, dtype=np.int64).reshape(-1)
    k = int(num_classes) if num_classes is not None else int(y.max()) + 1
    if y.size and (y.min() < 0 or y.max() >= k):
        raise ConfigError(f"to_categorical: labels must be in 0..{k - 1}")
    out = np.zeros((len(y), k), dtype=dtype)
    out[np.arange(len(y)), y] = 1
    return out


def _refused_base(name: str, what: str) -> type:
    """A Keras data base class layerwise has no counterpart of: subclassing it (at the class
    statement) or making one is refused."""
    def __init_subclass__(cls, **kwargs):
        refuse(f"{what} (class {cls.__name__}(keras.{what}))", PASS_ARRAYS)

    def __new__(cls, *args, **kwargs):
        refuse(what, PASS_ARRAYS)

    doc = f"keras.{what}: layerwise trains on arrays; subclassing it or making one is refused at once."
    return type(name, (), {"__module__": __name__, "__doc__": doc, "__init_subclass__": __init_subclass__,
                           "__new__": __new__})


PyDataset = _refused_base("PyDataset", "utils.PyDataset")
Sequence = _refused_base("Sequence", "utils.Sequence")


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    refuse_name(f"utils.{name}")
