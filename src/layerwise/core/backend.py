"""Arrays: the namespace ``xp`` that owns an array (NumPy, or jax.numpy while the XLA engine
traces a step), the default float dtype, and the seeded random generator threaded through
initialisation, shuffling and dropout.

Every question about arrays is answered here, once: which namespace computes on an array
(:func:`array_module_of`), whether it is being traced (:func:`traced`), and how to bring it to
the host (:func:`to_numpy`). Where a fit runs (CPU or GPU) is the engine's business
(``training/xla.py``), not the arrays': the model's own arrays are always NumPy's.

The only global mutable state in layerwise is the default dtype here.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ConfigError

_state: dict[str, np.dtype] = {"floatx": np.dtype(np.float32)}


def floatx() -> np.dtype:
    """The default float dtype (float32 unless changed with :func:`set_floatx`)."""
    return _state["floatx"]


def check_dtype(dtype: Any) -> np.dtype:
    dt = np.dtype(dtype)
    if dt not in (np.float32, np.float64):
        raise ConfigError(f"dtype must be float32 or float64, got {dt}")
    return dt


def set_floatx(dtype: Any) -> None:
    """Set the default float dtype: that of models made afterwards without a ``dtype``.

    Parameters
    ----------
    dtype : str or numpy dtype
        "float32" (the default) or "float64"; anything else is a ConfigError. Models already
        made keep theirs.
    """
    _state["floatx"] = check_dtype(dtype)


def check_seed(seed):
    """None, an integer >= 0 (Python or NumPy) or a NumPy Generator; anything else is a ConfigError."""
    if seed is None or isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ConfigError(f"seed must be None or an integer >= 0, got {type(seed).__name__} {seed!r}")
    return int(seed)


def make_rng(seed: int | np.random.Generator | None) -> np.random.Generator:
    """A numpy Generator from a seed (None: fresh entropy); a Generator passes through."""
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)


def traced(x) -> bool:
    """Whether ``x`` is a JAX array or tracer (the XLA engine is tracing or ran the step).

    Parameters
    ----------
    x : object
        An array, or any value.

    Returns
    -------
    bool
        True for JAX arrays and tracers, False for NumPy arrays and everything else.
    """
    return type(x).__module__.startswith(("jax", "jaxlib"))


def array_module_of(x) -> Any:
    """The array namespace ``xp`` that owns ``x``: jax.numpy for JAX arrays and tracers, else
    numpy. The layers, activations, losses and rules are written once against it.

    Parameters
    ----------
    x : array
        A NumPy array, a JAX array or a tracer (a value the XLA engine is tracing).

    Returns
    -------
    module
        ``jax.numpy`` for JAX arrays and tracers, else ``numpy``.
    """
    if traced(x):
        import jax.numpy as jnp
        return jnp
    return np


def special(xp) -> Any:
    """The special functions (``expit``, ``erf``) for the namespace ``xp``: SciPy's ufuncs for
    NumPy, jax.scipy's for jax.numpy."""
    if xp is np:
        import scipy.special
        return scipy.special
    import jax.scipy.special
    return jax.scipy.special


def store(value, out):
    """``value`` written into ``out`` when one is given (a NumPy buffer), else ``value``.
    The one place where a pure definition meets the in-place callers of the NumPy path."""
    if out is None or out is value:
        return value
    out[...] = value
    return out


def to_numpy(x) -> np.ndarray:
    """A NumPy array from a NumPy or JAX array (copied from the device if needed) or anything
    ``np.asarray`` reads.

    Parameters
    ----------
    x : array_like
        A NumPy array (returned as it is), a JAX array, a list, a number, ...

    Returns
    -------
    ndarray
        ``np.asarray(x)``.
    """
    return np.asarray(x)
