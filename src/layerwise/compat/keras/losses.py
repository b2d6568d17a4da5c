"""keras.losses: classes (from_logits, label_smoothing) and the functions' names."""
from ._impl import (BinaryCrossentropy, CategoricalCrossentropy, Hinge, Huber, MeanAbsoluteError,  # noqa: F401
                    MeanSquaredError, SparseCategoricalCrossentropy, SquaredHinge)
