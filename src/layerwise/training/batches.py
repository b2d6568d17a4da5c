"""Batch sources: where a step's (x, y, labels) come from.

One small interface for in-memory arrays, memory-mapped files and device-resident data:

    batches.steps                     steps per epoch (the last batch may be smaller)
    batches.begin_epoch(order)        the epoch's sample order (a permutation, host int64)
    batches.get(step) -> (x, y, labels, weights)   views into buffers reused every step
    batches.close()

Gathering writes into preallocated buffers, so no array is allocated per step. On a GPU the
data set is moved to the device once and gathered there (no host round trip per step).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import checks
from ..data.inputs import FileRows, is_sparse_matrix, mapped_file


class ArrayBatches:
    """Batches gathered from arrays in memory (the XLA engine takes ``x``, ``y`` and ``order``
    whole and gathers an epoch's batches on its device)."""

    def __init__(self, x, y, labels, batch_size: int, xp=np, dtype=None, weights=None):
        self.xp, self.n = xp, int(x.shape[0])
        self.batch_size = min(check_batch_size(batch_size), self.n)
        self.steps = math.ceil(self.n / self.batch_size)
        self.x, self.y = self._resident(x), xp.asarray(y)
        self.labels = None if labels is None else xp.asarray(labels, dtype=np.int64)
        self.weights = None if weights is None else xp.asarray(weights, dtype=np.float64)
        bs = self.batch_size
        # x may stay in its own dtype (float32 pixels for a float64 model): each batch is gathered
        # into a staging buffer and cast, instead of a converted copy of the whole data set
        dtype = x.dtype if dtype is None else np.dtype(dtype)
        self.stage = None if dtype == x.dtype else xp.empty((bs,) + tuple(x.shape[1:]), dtype=x.dtype)
        self.xbuf = xp.empty((bs,) + tuple(x.shape[1:]), dtype=dtype)
        self.ybuf = xp.empty((bs,) + tuple(y.shape[1:]), dtype=y.dtype)
        # lbuf/wbuf are None exactly when labels/weights are
        self.lbuf: Any = None if labels is None else xp.empty(bs, dtype=np.int64)
        self.wbuf: Any = None if weights is None else xp.empty(bs, dtype=np.float64)
        self.order: Any = None  # the epoch's sample order, set by begin_epoch
        self._cut: dict[int, tuple] = {}  # m -> the buffers' first m rows (see _views)

    def _resident(self, x):
        return self.xp.asarray(x)

    def begin_epoch(self, order: np.ndarray) -> None:
        self.order = self.xp.asarray(order)

    def rows(self, step: int):
        return self.order[step * self.batch_size:(step + 1) * self.batch_size]

    def _gather_x(self, idx, out) -> None:
        self.x.take(idx, axis=0, out=out)  # the method: no dispatch wrapper on the per-step path

    def x_rows(self, rows: np.ndarray) -> np.ndarray:
        """x's ``rows`` (a flat index array) in x's own dtype, read as this source reads a batch (a
        file's rows by file reads, a sparse matrix's rows densified): the XLA engine's streamed runs."""
        out = np.empty((len(rows),) + tuple(self.x.shape[1:]), dtype=self.x.dtype)
        self._gather_x(rows, out)
        return out

    def _views(self, m: int):
        """The buffers' first m rows: the same view objects every step."""
        views = self._cut.get(m)
        if views is None:
            views = self._cut[m] = (self.xbuf[:m], self.ybuf[:m])
        return views

    def get(self, step: int):
        idx = self.rows(step)
        m = len(idx)
        xb, yb = self._views(m)
        if self.stage is None:
            self._gather_x(idx, xb)
        else:
            self._gather_x(idx, self.stage[:m])
            xb[...] = self.stage[:m]
        self.y.take(idx, axis=0, out=yb)
        lb = None
        if self.labels is not None:
            lb = self.lbuf[:m]
            self.labels.take(idx, axis=0, out=lb)
        wb = None
        if self.weights is not None:
            wb = self.wbuf[:m]
            self.weights.take(idx, axis=0, out=wb)
        return xb, yb, lb, wb

    def close(self) -> None:
        pass


class FileBatches(ArrayBatches):
    """x lives in a memory-mapped file: rows are read with plain file reads (pread), so a data
    set larger than RAM trains with bounded memory and identical results."""

    def __init__(self, x, y, labels, batch_size: int, reader: FileRows, weights=None):
        self.reader = reader
        super().__init__(x, y, labels, batch_size, np, weights=weights)

    def _resident(self, x):
        return x

    def _gather_x(self, idx, out) -> None:
        self.reader.gather(idx, out)

    def close(self) -> None:
        self.reader.close()


class SparseBatches(ArrayBatches):
    """x is a SciPy sparse matrix (CSR): each step's rows are densified into the x buffer; the
    whole matrix never is. The values are the same as the dense matrix's, so training matches a
    dense fit bit for bit."""

    def _resident(self, x):
        return x

    def _gather_x(self, idx, out) -> None:
        self.x[idx].toarray(out=out)


def dense_rows(x, rows):
    """``x[rows]`` (a slice or an index array) as a dense array: a SciPy sparse matrix's rows are
    densified, only those. The one place the inference batches (evaluate, predict, features) and
    the learning-rate finder read rows of x."""
    part = x[rows]
    return part.toarray() if is_sparse_matrix(part) else part


def check_batch_size(batch_size) -> int:
    """``batch_size`` as a positive int, or one ConfigError naming it (0, -1, 2.5, True, "32")."""
    return checks.check("batch_size", batch_size, checks.POSITIVE_INT)


def inference_batches(x, batch_size: int):
    """(rows, dense x batch) over x in order, ``batch_size`` rows at a time: ``rows`` is the slice,
    to cut targets and weights alike. The one place inference cuts batches (evaluate, predict,
    features, the book API); ``batch_size`` is checked at the call."""
    batch_size = check_batch_size(batch_size)
    n = int(x.shape[0])
    return ((rows, dense_rows(x, rows)) for rows in (slice(a, min(a + batch_size, n)) for a in range(0, n, batch_size)))


def batch_source(x, y, labels, batch_size: int, xp=np, weights=None) -> ArrayBatches:
    """The source for this data: rows densified per batch for a SciPy sparse x, a file reader for
    memory-mapped x, else arrays."""
    if is_sparse_matrix(x):
        return SparseBatches(x, y, labels, batch_size, xp, weights=weights)
    reader = FileRows.of(x) if mapped_file(x) is not None else None
    if reader is not None:
        return FileBatches(x, y, labels, batch_size, reader, weights)
    return ArrayBatches(x, y, labels, batch_size, xp, weights=weights)
