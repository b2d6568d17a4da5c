"""keras.layers: the dense layers layerwise has, under Keras's names and arguments."""
from ._impl import (  # noqa: F401
    OUT_OF_SCOPE_LAYERS,
    Activation,
    BatchNormalization,
    Dense,
    Dropout,
    Flatten,
    Input,
    InputLayer,
    LeakyReLU,
    ReLU,
    Softmax,
    refuse_name,
)


def __getattr__(name):
    if name in OUT_OF_SCOPE_LAYERS or name[:1].isupper():
        refuse_name(f"layers.{name}")
    raise AttributeError(name)
