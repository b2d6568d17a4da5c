"""keras.utils.to_categorical and set_random_seed."""
from ._impl import set_random_seed, to_categorical  # noqa: F401
