"""keras.callbacks with Keras's arguments."""
from ...training.hooks import Callback  # noqa: F401
from ._impl import (CSVLogger, EarlyStopping, History, LearningRateScheduler, ModelCheckpoint,  # noqa: F401
                    ReduceLROnPlateau, TensorBoard)
