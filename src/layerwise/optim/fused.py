"""The optimizer step on the CPU as one pass over the flat parameter buffer (Numba kernels).

Each kernel reads a weight, its gradient and its state once and writes them once, running the
whole chain per element in one vectorised loop:

    g ← clip(g, −c, c) · s + λ·w        (clipvalue c; s from global_clipnorm; coupled decay λ)
    the rule's update of the state and of w   (AdamW's decoupled w ← (1 − ηλ)w first)
then, in the same call, shadow ← d·shadow + (1 − d)·w (the moving average of the weights, when
the model has one); every ``FLUSH_EVERY`` steps a ``flush`` kernel zeroes state below tiny·2²⁴.
That replaces a dozen NumPy passes. It runs on one core: a second thread (Numba's ``parallel``)
was measured slower inside training, because NumPy's OpenBLAS threads keep spinning on the other
core between matrix products (benchmarks/README.md). Arithmetic is in the buffer's dtype with the rule's formula
written as in ``optimizers`` (the NumPy rules stay the reference: tests compare the two over 100
steps). Kernels compile on first use and are cached on disk (Numba's ``cache=True``): the first
run on a machine pays the compile, later processes load them.

``LAYERWISE_FUSED=0`` in the environment turns the kernels off (the NumPy rules run instead).
"""
from __future__ import annotations

import os

import numpy as np

MIN_SIZE = 1 << 15  # smaller buffers keep the NumPy rules: loading the kernels would cost more than they save

_NUMBA = None  # the module, once imported; False when missing or disabled
_KERNELS: dict = {}


def available() -> bool:
    """Numba is importable and the kernels are not turned off (``LAYERWISE_FUSED=0``)."""
    global _NUMBA
    if _NUMBA is None:
        if os.environ.get("LAYERWISE_FUSED", "1").strip().lower() in ("0", "false", "no", "off"):
            _NUMBA = False
        else:
            try:
                import numba
                _NUMBA = numba
            except ImportError:  # pragma: no cover - numba is a dependency
                _NUMBA = False
    return _NUMBA is not False


def kernel(name: str):
    """The compiled kernel ``name`` (sgd, momentum, scaled, adam); compiles or loads on first use."""
    if not _KERNELS:
        if not available():
            raise RuntimeError("the fused kernels need Numba (pip install numba)")
        from ._fused_kernels import KERNELS
        _KERNELS.update(KERNELS)
    return _KERNELS[name]


def usable(params: list, grads: list, min_size: int = MIN_SIZE) -> bool:
    """The buffers suit a kernel: one flat, contiguous NumPy float32/float64 buffer of at least
    ``min_size`` entries, and Numba available."""
    if len(params) != 1 or len(grads) != 1:
        return False
    p, g = params[0], grads[0]
    return (type(p) is np.ndarray and type(g) is np.ndarray and p.ndim == 1 and p.size >= min_size
            and p.dtype in (np.float32, np.float64) and g.dtype == p.dtype and p.shape == g.shape
            and p.flags.c_contiguous and g.flags.c_contiguous and available())
