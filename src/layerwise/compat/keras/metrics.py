"""keras.metrics: objects; names (e.g. "sparse_categorical_accuracy") work as strings in compile."""
from ._impl import (  # noqa: F401
                    AUC,
                    BinaryAccuracy,
                    CategoricalAccuracy,
                    Precision,
                    Recall,
                    RootMeanSquaredError,
                    SparseCategoricalAccuracy,
                    SparseTopKCategoricalAccuracy,
                    TopKCategoricalAccuracy,
)
from ._impl import MetricMeanAbsoluteError as MeanAbsoluteError  # noqa: F401
from ._impl import MetricMeanSquaredError as MeanSquaredError  # noqa: F401
