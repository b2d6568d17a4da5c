"""keras.constraints.MaxNorm (max_value, axis=0: the norm of each unit's incoming weights)."""
from ._impl import MaxNorm  # noqa: F401
