"""What the keras modules share: the one-line refusals, Keras's names as the registry's, the seed
that keras.utils.set_random_seed sets, and the refusal of Keras's model-file names."""
from __future__ import annotations

import re
from pathlib import Path

from ... import registry
from ...errors import ConfigError

SCOPE = "layerwise runs dense networks on arrays"


def refuse(what: str, instead: str = "use TensorFlow/Keras for it"):
    """The one-line error for what has no layerwise counterpart; ``instead`` says what to do."""
    raise ConfigError(f"keras {what} is outside layerwise's scope ({SCOPE}); {instead}")


class UnknownName(ConfigError, AttributeError):
    """A Keras name the namespace does not have: a ConfigError saying so, and an AttributeError, so
    that ``hasattr``/``getattr(..., default)`` answer as for any module."""


def refuse_name(what: str) -> None:
    """``refuse`` for a module attribute (``keras.layers.Conv2D``): raises :class:`UnknownName`."""
    raise UnknownName(f"keras {what} is outside layerwise's scope ({SCOPE}); use TensorFlow/Keras for it")


FUNCTIONAL = "functional API (calling a layer or model on keras.Input or on another layer's output)"
USE_SEQUENTIAL = "build the model with keras.Sequential([keras.Input(shape=...), keras.layers.Dense(...), ...])"
PASS_ARRAYS = ("pass the data as arrays (NumPy arrays, lists of rows, pandas DataFrames): "
               "fit(x_train, y_train, batch_size=32) cuts the batches itself")


# -- names: Keras's names are the registry's ---------------------------------------------------
def keras_name(kind: str, name):
    """A name as Keras spells it, as the registry knows it. The registry resolves Keras's names
    itself ("adam", "RMSprop": case is ignored; "sparse_categorical_crossentropy", "he_normal"); a
    Keras class name it does not hold is looked up by its snake-case function name, Keras's own
    pairing ("GlorotUniform" -> "glorot_uniform", "MeanSquaredError" -> "mean_squared_error").
    Anything else is returned as it is, for the registry to resolve or refuse by name."""
    if not isinstance(name, str) or name.lower() in registry.names(kind):
        return name
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()
    return snake if snake in registry.names(kind) else name


SEED: list = [None]  # keras.utils.set_random_seed's value: the next models' seeds derive from it


def next_seed():
    return None if SEED[0] is None else int(SEED[0].integers(2**31))


_KERAS_MODEL_SUFFIXES = (".keras", ".h5", ".hdf5")


def refuse_keras_model_file(filepath, where: str) -> None:
    """A whole model under Keras's extensions would be a layerwise file that only looks like Keras's
    (real Keras could not read it): refused, naming the two files layerwise does write."""
    name = Path(str(filepath)).name
    if not name.lower().endswith(_KERAS_MODEL_SUFFIXES):
        return
    stem = name[:-len(".weights.h5")] if name.endswith(".weights.h5") else name.rsplit(".", 1)[0]
    if where == "ModelCheckpoint":
        own, weights = f"ModelCheckpoint('{stem}.lwm')", f"ModelCheckpoint('{stem}.weights.h5', save_weights_only=True)"
    else:
        own, weights = f"model.save('{stem}.lwm')", f"model.save_weights('{stem}.weights.h5')"
    refuse(f"{where}({name!r}) (Keras's own {Path(name).suffix} model format)",
           f"use {own} (layerwise's model file; keras.models.load_model reads it) or {weights} "
           "(Keras 3's weights layout: real Keras loads it)")
