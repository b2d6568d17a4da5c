"""Array backend: the array module ``xp`` (NumPy or CuPy), the default float dtype,
and the seeded random generator threaded through initialisation, shuffling and dropout.

Every question about the backend is answered here, once: where an array lives
(:func:`on_gpu`, :func:`array_module_of`), how to bring it to the host (:func:`to_numpy`),
and whether a backend trains with the device's bookkeeping (:func:`is_device`).

The only global mutable state in layerwise is the default backend and dtype here.
"""
from __future__ import annotations

import types
from typing import Any, TypedDict

import numpy as np

from ..errors import BackendError, ConfigError

BACKENDS = ("numpy", "cupy", "numpy-device")
# "numpy-device" is the stand-in of the GPU path that CI runs: NumPy arrays, trained with the
# device's bookkeeping (running sums stay arrays, read back once per epoch), so the device path's
# logic is tested without a GPU.
class _State(TypedDict):
    backend: str
    floatx: np.dtype


_state: _State = {"backend": "numpy", "floatx": np.dtype(np.float32)}


def get_array_module(name: str | None = None):
    """The array module for backend ``name`` ("numpy" or "cupy"; default: the current one).

    Raises BackendError with the reason when CuPy or a CUDA GPU is missing.
    """
    name = _state["backend"] if name is None else name
    if name in ("numpy", "numpy-device"):
        return np
    if name == "cupy":
        try:
            import cupy
        except ImportError as exc:  # pragma: no cover - depends on the machine
            raise BackendError(
                "backend 'cupy' needs CuPy: pip install 'layerwise[gpu]' "
                "(or the cupy-cudaXX wheel matching your CUDA)") from exc
        try:
            count = cupy.cuda.runtime.getDeviceCount()
        except Exception as exc:  # pragma: no cover - depends on the machine
            raise BackendError(f"backend 'cupy': no usable CUDA GPU ({exc})") from exc
        if count < 1:  # pragma: no cover
            raise BackendError("backend 'cupy': CuPy is installed but no CUDA GPU was found")
        return cupy
    raise ConfigError(f"unknown backend {name!r}; valid backends: {', '.join(BACKENDS)}")


def set_backend(name: str) -> None:
    """Set the default backend for models built from now on."""
    get_array_module(name)  # validates, and fails early if CuPy/GPU is missing
    _state["backend"] = name


def get_backend() -> str:
    return _state["backend"]


def floatx() -> np.dtype:
    """The default float dtype (float32 unless changed with :func:`set_floatx`)."""
    return _state["floatx"]


def check_dtype(dtype: Any) -> np.dtype:
    dt = np.dtype(dtype)
    if dt not in (np.float32, np.float64):
        raise ConfigError(f"dtype must be float32 or float64, got {dt}")
    return dt


def set_floatx(dtype: Any) -> None:
    _state["floatx"] = check_dtype(dtype)


def check_seed(seed):
    """None, an integer >= 0 (Python or NumPy) or a NumPy Generator; anything else is a ConfigError."""
    from ..errors import ConfigError
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


def is_device(name: str) -> bool:
    """Whether a backend trains with the device bookkeeping (no host round trip per step)."""
    return name != "numpy"


def on_gpu(x) -> bool:
    """Whether ``x``, an array or an array module, is CuPy's: its arrays live in GPU memory.

    The one test of where arrays live (``xp is np``, ``isinstance(a, np.ndarray)`` and module-name
    checks are not used elsewhere). It is not :func:`is_device`, which asks about the bookkeeping:
    the "numpy-device" stand-in trains like the device on NumPy arrays, so ``on_gpu`` is False
    there. CuPy's sparse matrices (``cupyx``) count as on the GPU."""
    name = x.__name__ if isinstance(x, types.ModuleType) else type(x).__module__
    return name.startswith("cupy")


def traced(x) -> bool:
    """Whether ``x`` is a JAX array or tracer (the XLA engine is tracing or ran the step)."""
    return type(x).__module__.startswith(("jax", "jaxlib"))


def array_module_of(x) -> Any:
    """The array namespace ``xp`` that owns ``x``: numpy, cupy, or jax.numpy for JAX arrays and
    tracers. The layers, activations, losses and rules are written once against it."""
    if on_gpu(x):
        import cupy
        return cupy
    if traced(x):
        import jax.numpy as jnp
        return jnp
    return np


def special(xp) -> Any:
    """The special functions (``expit``, ``erf``) for the namespace ``xp``: SciPy's ufuncs for
    NumPy, cupyx's for CuPy, jax.scipy's for jax.numpy."""
    if xp is np:
        import scipy.special
        return scipy.special
    if on_gpu(xp):
        import cupyx.scipy.special
        return cupyx.scipy.special
    import jax.scipy.special
    return jax.scipy.special


def store(value, out):
    """``value`` written into ``out`` when one is given (NumPy/CuPy buffers), else ``value``.
    The one place where a pure definition meets the in-place callers of the NumPy path."""
    if out is None or out is value:
        return value
    out[...] = value
    return out


def to_numpy(x) -> np.ndarray:
    """A NumPy array from a NumPy or CuPy array (copying from the device if needed); anything
    else goes through ``np.asarray``."""
    if on_gpu(x) and hasattr(x, "get"):
        return x.get()
    return np.asarray(x)
