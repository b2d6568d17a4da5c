"""keras.regularizers: l1, l2, l1_l2 with Keras's default factor 0.01 (penalty l·Σ|w| or l·Σw²)."""
from ...core.regularizers import L1, L1L2, L2  # noqa: F401
from ._impl import l1, l1_l2, l2  # noqa: F401
