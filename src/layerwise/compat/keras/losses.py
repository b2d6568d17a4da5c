"""keras.losses: classes (from_logits, label_smoothing) and the functions' names."""
from ._impl import (  # noqa: F401
                    BinaryCrossentropy,
                    CategoricalCrossentropy,
                    Hinge,
                    Huber,
                    MeanAbsoluteError,
                    MeanSquaredError,
                    SparseCategoricalCrossentropy,
                    SquaredHinge,
)
