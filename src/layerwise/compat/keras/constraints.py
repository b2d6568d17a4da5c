"""keras.constraints.MaxNorm (max_value, axis=0: the norm of each unit's incoming weights)."""
from ...core import regularizers as R
from ._common import refuse


def MaxNorm(max_value=2, axis=0):
    if axis != 0:
        refuse(f"MaxNorm(axis={axis})")
    return R.MaxNorm(max_value)
