"""Matrix products on two lanes, with results that never depend on the lanes: the thread policy.

A product C = op(A)·op(B) (float32/float64 NumPy views; either operand may be a transposed view)
is cut into fixed blocks of C's columns or rows, chosen from the shapes alone. Every block is one
single-threaded BLAS call, so the result never depends on which lane ran which block, on how many
lanes there are or on how busy the machine is: runs stay bit-reproducible. (It is also, as
measured, the whole product's result for float32: see :func:`blocks`.)

The lanes are the calling thread and one helper thread of the C module ``_lanes``. Blocks are
claimed first come, first served: a helper whose core is taken by another program claims nothing,
and a helper that keeps stalling is left out for a while. Why, and what was measured, in
``benchmarks/README.md``.

    table = Products()
    k = table.add(x, W, z)          # z = x·W (views into buffers that stay put)
    table.run(k)                    # per step: the blocks, on both lanes, GIL released

Without the compiled module (no C compiler at install time) the same blocks run through NumPy on
the calling thread: the same numbers, one core.
"""
from __future__ import annotations

import ctypes
import os
from contextlib import contextmanager

import numpy as np

from .. import settings

try:
    from . import _lanes  # type: ignore[attr-defined,unused-ignore]
except ImportError:  # pragma: no cover - built by setup.py where a C compiler exists
    _lanes = None

WORDS = 14               # int64 words per task (see _lanes.c)
SPLIT_FLOPS = 1 << 21    # products smaller than this (2·m·n·k) stay one block: the hand-off would cost more
_READY: bool | None = None


def _blas_address(name: str) -> int:
    """The address of SciPy's BLAS routine ``name`` (scipy.linalg.cython_blas's capsule)."""
    from scipy.linalg import cython_blas
    capsule = cython_blas.__pyx_capi__[name]  # type: ignore[attr-defined,unused-ignore]
    get_name = ctypes.pythonapi.PyCapsule_GetName
    get_name.restype, get_name.argtypes = ctypes.c_char_p, [ctypes.py_object]
    get_pointer = ctypes.pythonapi.PyCapsule_GetPointer
    get_pointer.restype, get_pointer.argtypes = ctypes.c_void_p, [ctypes.py_object, ctypes.c_char_p]
    return int(get_pointer(capsule, get_name(capsule)))


def available() -> bool:
    """The compiled lanes can run (built, SciPy's BLAS found, not turned off by ``LAYERWISE_LANES=1``)."""
    global _READY
    if _READY is None:
        _READY = False
        if _lanes is not None and settings.get("LAYERWISE_LANES") != 1:
            try:
                spin_us = settings.get("LAYERWISE_LANES_SPIN_US")
                stall_us = settings.get("LAYERWISE_LANES_STALL_US")
                _lanes.init(_blas_address("sgemm"), _blas_address("dgemm"), spin_us * 1000, stall_us * 1000)
                _READY = True
            except (ImportError, KeyError, AttributeError, OSError):  # pragma: no cover - an unusual SciPy
                _READY = False
    return _READY


def stats() -> dict:
    """Jobs run, jobs run on one lane, and the time the caller waited for the helper (ns)."""
    return dict(_lanes.stats()) if available() else {"jobs": 0, "single": 0, "waited_ns": 0, "lanes": 1}


def set_lanes(n: int) -> None:
    """1 or 2 lanes (the results are the same either way)."""
    if available():
        _lanes.set_lanes(int(n))


@contextmanager
def single_threaded_blas():
    """SciPy's BLAS (the one the lanes call) on one thread inside the block: what makes a block of
    a product equal to the same part of the whole product. Restored afterwards."""
    from threadpoolctl import ThreadpoolController
    controller = ThreadpoolController()
    libs = [lib for lib in controller.lib_controllers
            if lib.user_api == "blas" and "scipy" in os.path.dirname(str(lib.filepath)).lower()
            and "numpy" not in os.path.dirname(str(lib.filepath)).lower()]
    before = [lib.num_threads for lib in libs]
    for lib in libs:
        lib.set_num_threads(1)
    try:
        yield
    finally:
        for lib, n in zip(libs, before):
            lib.set_num_threads(n)


def gather(src: np.ndarray, rows: np.ndarray, out: np.ndarray) -> bool:
    """out[i] = src[rows[i]] on the lanes (a training batch); False, with nothing done, where the
    arrays do not suit (not C-contiguous, other dtypes, no compiled lanes): the caller uses take."""
    if not (available() and type(src) is np.ndarray and src.flags.c_contiguous and out.flags.c_contiguous
            and rows.dtype == np.int64 and rows.flags.c_contiguous and src.dtype == out.dtype
            and src.shape[1:] == out.shape[1:] and len(rows) == len(out) and len(rows) > 0 and len(src) > 0):
        return False
    _lanes.gather(src, len(src), rows, out)
    return True


def _operand(x: np.ndarray) -> tuple[int, int]:
    """(transposed?, leading dimension) of a 2-D view as a column-major BLAS operand of xᵀ."""
    item = x.itemsize
    s0, s1 = x.strides
    if s1 == item and s0 % item == 0 and s0 // item >= max(1, x.shape[1]):
        return 0, max(1, s0 // item) if x.shape[0] > 1 else max(1, x.shape[1])
    if s0 == item and s1 % item == 0 and s1 // item >= max(1, x.shape[0]):
        return 1, max(1, s1 // item) if x.shape[1] > 1 else max(1, x.shape[0])
    raise ValueError(f"a matrix operand with strides {x.strides} is neither row- nor column-contiguous")


def _task(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> list[int]:
    """One BLAS call computing row-major c = a·b as column-major cᵀ = bᵀ·aᵀ."""
    trans_b, ld_b = _operand(b)
    trans_a, ld_a = _operand(a)
    trans_c, ld_c = _operand(c)
    if trans_c:
        raise ValueError("the output of a product must be row-contiguous")
    m, k = a.shape
    n = b.shape[1]
    kind = 0 if c.dtype == np.float32 else 1
    return [kind, trans_b, trans_a, n, m, k, b.ctypes.data, ld_b, a.ctypes.data, ld_a, c.ctypes.data, ld_c, 0, 0]


def blocks(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The fixed blocks of c = a·b: two when the product is large enough, else the whole product.
    Depends only on the shapes, never on the lanes. Each block packs its own copy of the operand it
    shares, so the cut goes across the side that shares less: c's rows (both blocks read all of b)
    when a is the larger operand (m > n), else c's columns. The cut falls on a multiple of 64, which
    keeps BLAS's own tiles whole: for float32 the blocks then equal the same parts of the whole
    product (all of 150 random shapes tried but one; float64 mostly, not always)."""
    m, k = a.shape
    n = b.shape[1]
    if 2 * m * n * k < SPLIT_FLOPS:
        return [(a, b, c)]
    if m > n and m >= 128:
        h = max(64, int(round(m / 128)) * 64)
        return [(a[:h], b, c[:h]), (a[h:], b, c[h:])]
    if n >= 128:
        h = max(64, int(round(n / 128)) * 64)
        return [(a, b[:, :h], c[:, :h]), (a, b[:, h:], c[:, h:])]
    return [(a, b, c)]


class Products:
    """A table of products over fixed buffers, built once and run many times."""

    def __init__(self):
        self.rows: list[list[int]] = []
        self.spans: list[tuple[int, int]] = []
        self.parts: list[list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = []
        self.table = np.zeros((0, WORDS), dtype=np.int64)

    def add(self, a: np.ndarray, b: np.ndarray, c: np.ndarray) -> int:
        """Register c = a·b; returns the product's number for :meth:`run`. The arrays must stay
        where they are (the table holds their addresses; it keeps them alive)."""
        if a.ndim != 2 or b.ndim != 2 or c.shape != (a.shape[0], b.shape[1]) or a.shape[1] != b.shape[0]:
            raise ValueError(f"cannot multiply {a.shape} by {b.shape} into {c.shape}")
        if not (a.dtype == b.dtype == c.dtype) or c.dtype not in (np.float32, np.float64):
            raise ValueError(f"products need one float dtype, got {a.dtype}, {b.dtype}, {c.dtype}")
        parts = blocks(a, b, c)
        first = len(self.rows)
        self.rows.extend(_task(*part) for part in parts)
        self.spans.append((first, len(parts)))
        self.parts.append(parts)
        self.table = np.array(self.rows, dtype=np.int64).reshape(-1, WORDS)
        return len(self.spans) - 1

    def run(self, k: int) -> None:
        first, count = self.spans[k]
        if available():
            _lanes.run(self.table, first, count)
        else:
            for a, b, c in self.parts[k]:
                np.matmul(a, b, out=c)
