"""keras.optimizers with Keras's arguments and defaults (``lr`` accepted as in older Keras)."""
from ._impl import SGD, Adagrad, Adam, Adamax, AdamW, Nadam, RMSprop  # noqa: F401
