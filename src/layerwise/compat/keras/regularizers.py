"""keras.regularizers: l1, l2, l1_l2 with Keras's default factor 0.01 (penalty l·Σ|w| or l·Σw²)."""
from ...core.regularizers import L1, L1L2, L2


def l1(l1=0.01):
    return L1(l1)


def l2(l2=0.01):
    return L2(l2)


def l1_l2(l1=0.01, l2=0.01):
    return L1L2(l1, l2)
