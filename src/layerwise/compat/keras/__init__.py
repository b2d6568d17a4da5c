"""The notes' tf.keras programs, as written, on the layerwise engine.

    import layerwise.compat.keras as keras          # instead of: from tensorflow import keras

    model = keras.models.Sequential([keras.layers.Dense(3, activation="softmax",
                                                        kernel_regularizer=keras.regularizers.l2())])
    model.compile(optimizer=keras.optimizers.SGD(lr=0.1),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=False),
                  metrics=["sparse_categorical_accuracy"])
    model.fit(x, y, batch_size=32, epochs=500, validation_split=0.2, validation_freq=20)
    model.summary()

Mapped: Sequential (a list, ``add``, keras.Input, a trained Sequential as a layer), the layers
Dense, Flatten, Dropout, BatchNormalization, Activation, Softmax, ReLU, LeakyReLU with Keras's
argument names and defaults; the optimizers (``learning_rate`` and the legacy ``lr``, clipnorm,
clipvalue, global_clipnorm; Keras's ε = 1e-7), losses (``from_logits``, ``label_smoothing``),
metrics by Keras's names, regularizers l1/l2/l1_l2 (Keras's default 0.01), initializers,
MaxNorm, fit/evaluate/predict with Keras's arguments and return values, callbacks,
datasets.mnist/fashion_mnist.load_data() and utils.to_categorical. What cannot map —
convolutions, recurrent layers, the functional API (a layer called on keras.Input), subclassing
keras.Model, generators/tf.data/PyDataset given to fit, saving a whole model as .keras/.h5 —
fails at once with one line naming it (a ConfigError).
"""
from . import (  # noqa: F401  # noqa: F401
    callbacks,
    constraints,
    datasets,
    initializers,
    layers,
    losses,
    metrics,
    models,
    optimizers,
    regularizers,
    utils,
)
from ._common import refuse_name
from .layers import Input
from .models import Model, Sequential

__all__ = ["Input", "Sequential", "Model", "callbacks", "constraints", "datasets", "initializers", "layers",
           "losses", "metrics", "models", "optimizers", "regularizers", "utils"]


def __getattr__(name):
    if name.startswith("__"):  # Python's own probes (hasattr(module, "__wrapped__"), ...) get their AttributeError
        raise AttributeError(name)
    refuse_name(f"{name!r}")
