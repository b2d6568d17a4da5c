"""keras.utils.to_categorical."""
from ._impl import to_categorical  # noqa: F401
