"""keras.callbacks with Keras's arguments."""
from ...training.hooks import Callback  # noqa: F401
from ._impl import (  # noqa: F401
                    CSVLogger,
                    EarlyStopping,
                    History,
                    LearningRateScheduler,
                    ModelCheckpoint,
                    ReduceLROnPlateau,
                    TensorBoard,
)
