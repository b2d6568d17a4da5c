"""Checks at the entry points (fit, evaluate, predict, data loaders): bad input raises
:class:`~layerwise.errors.DataError` (a ValueError) naming the problem and the value,
before any work starts."""
from __future__ import annotations

import numpy as np

from ..errors import DataError
def mapped_file(a):
    """The mmap behind an array (a numpy.memmap or a view of one), or None."""
    import mmap
    while a is not None:
        if isinstance(a, mmap.mmap):
            return a
        m = getattr(a, "_mmap", None)
        if m is not None:
            return m
        a = getattr(a, "base", None)
    return None


CONVERT_LIMIT = 1 << 30  # bytes: a memory-mapped array of another dtype is converted only below this


class FileRows:
    """Reads rows of a C-contiguous array that lives in a file (a numpy.memmap or a view of one)
    with plain file reads, so batches drawn from a data set larger than RAM never map the file
    into this process's memory."""

    def __init__(self, filename, row0_offset: int, row_bytes: int):
        import os
        self.fd = os.open(filename, os.O_RDONLY)
        self.row0, self.row_bytes = row0_offset, row_bytes

    @classmethod
    def of(cls, a) -> "FileRows | None":
        base = a
        while base is not None and not isinstance(base, np.memmap):
            base = getattr(base, "base", None)
        if base is None or getattr(base, "filename", None) is None or not a.flags["C_CONTIGUOUS"]:
            return None
        start = a.__array_interface__["data"][0] - base.__array_interface__["data"][0] + base.offset
        return cls(base.filename, start, a.strides[0])

    def gather(self, rows, out) -> None:
        """out[j] = a[rows[j]] for every j."""
        import os
        for j, r in enumerate(np.asarray(rows).tolist()):
            view = memoryview(out[j]).cast("B")
            got = os.preadv(self.fd, [view], self.row0 + r * self.row_bytes)
            if got != self.row_bytes:
                raise DataError(f"short read from the data file at row {r} (file truncated while training?)")

    def close(self) -> None:
        import os
        os.close(self.fd)


def release_pages(a) -> None:
    """Drop a memory-mapped array's pages from this process's resident set (they stay in the
    OS page cache): streaming over a file larger than RAM then keeps memory use bounded."""
    import mmap
    m = mapped_file(a)
    if m is not None and hasattr(mmap, "MADV_DONTNEED"):
        try:
            m.madvise(mmap.MADV_DONTNEED)
        except (OSError, ValueError):
            pass


def _first_nonfinite(a: np.ndarray) -> tuple[int, ...]:
    bad = np.argwhere(~np.isfinite(a))[0]
    return tuple(int(i) for i in bad)


def as_features(x, name: str = "x", sample_shape: tuple[int, ...] | None = None,
                dtype=np.float32) -> np.ndarray:
    """x as a float array (n, *sample_shape), checked for type, shape and finiteness."""
    if x is None:
        raise DataError(f"{name} is None; expected an array of shape (samples, features)")
    if hasattr(x, "get") and type(x).__module__.startswith("cupy"):
        x = x.get()  # validate on the host; the model moves data to the device itself
    try:
        arr = np.asarray(x)
    except Exception as exc:  # ragged nested lists and the like
        raise DataError(f"{name} cannot be read as an array: {exc}") from None
    if arr.dtype == object:
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError):
            raise DataError(f"{name} has dtype object with non-numeric or ragged entries; "
                            "expected a numeric array") from None
    if arr.dtype.kind in "USVM":
        raise DataError(f"{name} has dtype {arr.dtype}; expected numbers (convert strings first)")
    if arr.dtype.kind == "c":
        raise DataError(f"{name} has complex dtype {arr.dtype}; expected real numbers")
    if arr.ndim < 2:
        raise DataError(f"{name} must be at least 2-D (samples, features), got shape {arr.shape}; "
                        "for one sample use x.reshape(1, -1)")
    if arr.shape[0] == 0:
        raise DataError(f"{name} is empty (shape {arr.shape})")
    if sample_shape is not None and tuple(arr.shape[1:]) != tuple(sample_shape):
        if len(sample_shape) == 1 and arr.ndim == 2:
            raise DataError(f"{name} has {arr.shape[1]} features but the model expects {sample_shape[0]}")
        raise DataError(f"{name} has samples of shape {tuple(arr.shape[1:])} but the model expects "
                        f"{tuple(sample_shape)}")
    mapped = mapped_file(arr) is not None
    if mapped and arr.dtype != np.dtype(dtype):
        if arr.size * np.dtype(dtype).itemsize > CONVERT_LIMIT:
            raise DataError(f"{name} is memory-mapped with dtype {arr.dtype}; store it as {np.dtype(dtype)} so "
                            "training can stream it without loading a converted copy into memory")
        mapped = False  # small enough: it is converted into memory like any other array
    if arr.dtype.kind == "f":
        # in blocks of rows: no full-size boolean temporary, and memmaps are streamed, not loaded
        step = max(1, (1 << 22) // max(1, int(np.prod(arr.shape[1:]))))
        for start in range(0, arr.shape[0], step):
            block = arr[start:start + step]
            finite = bool(np.isfinite(block).all())
            if mapped:
                release_pages(arr)
            if not finite:
                idx = _first_nonfinite(block)
                idx = (idx[0] + start,) + idx[1:]
                raise DataError(f"{name} contains {arr[idx]} at index {idx}; remove or impute non-finite values")
    return arr.astype(dtype, copy=False)


def check_lengths(x: np.ndarray, y, x_name="x", y_name="y") -> None:
    n_y = len(y) if hasattr(y, "__len__") else None
    if n_y != x.shape[0]:
        raise DataError(f"{x_name} has {x.shape[0]} samples but {y_name} has {n_y}")


def as_labels(y, n_classes: int | None = None, name: str = "y") -> np.ndarray:
    """Integer class labels (n,) in [0, n_classes); floats must be whole numbers."""
    arr = np.asarray(y)
    if arr.dtype.kind in "USO":
        raise DataError(f"{name} has dtype {arr.dtype}; class labels must be integers 0..k-1")
    if arr.ndim != 1:
        raise DataError(f"{name} must be 1-D class labels, got shape {arr.shape}")
    if arr.size == 0:
        raise DataError(f"{name} is empty")
    if arr.dtype.kind == "b":
        arr = arr.astype(np.int64)
    if arr.dtype.kind == "f":
        if not np.isfinite(arr).all():
            i = int(np.argwhere(~np.isfinite(arr))[0, 0])
            raise DataError(f"{name} has non-finite label {arr[i]} at index {i}")
        frac = arr != np.round(arr)
        if frac.any():
            i = int(np.argmax(frac))
            raise DataError(f"{name} has non-integer label {arr[i]} at index {i}; class labels must be integers")
    arr = arr.astype(np.int64)
    if (arr < 0).any():
        i = int(np.argmax(arr < 0))
        raise DataError(f"{name} has negative label {arr[i]} at index {i}")
    if n_classes is not None and (arr >= n_classes).any():
        i = int(np.argmax(arr >= n_classes))
        raise DataError(f"{name} has label {arr[i]} at index {i} but the model has {n_classes} outputs "
                        f"(labels must be in 0..{n_classes - 1})")
    return arr


def as_targets(y, n_samples: int, n_outputs: int, sparse_ok: bool, dtype=np.float32,
               name: str = "y") -> tuple[np.ndarray, np.ndarray | None]:
    """Targets in the form the loss wants, plus integer class labels (None unless the targets are
    classes: see ``_labels_of_targets``).

    - 1-D y with several outputs: class labels, kept as integers when the loss takes them
      (sparse) and one-hot encoded otherwise;
    - 1-D y with one output: reshaped to (n, 1);
    - 2-D y: must be (n, n_outputs).
    """
    if y is None:
        raise DataError(f"{name} is None; fit and evaluate need targets")
    if hasattr(y, "get") and type(y).__module__.startswith("cupy"):
        y = y.get()
    arr = np.asarray(y)
    if arr.dtype.kind in "USO":
        raise DataError(f"{name} has dtype {arr.dtype}; expected numbers "
                        "(encode class labels as integers 0..k-1)")
    if arr.shape[:1] != (n_samples,):
        raise DataError(f"x has {n_samples} samples but {name} has "
                        f"{arr.shape[0] if arr.ndim else 'a scalar'}")
    if arr.ndim == 1 and n_outputs > 1:
        labels = as_labels(arr, n_outputs, name)
        if sparse_ok:
            return labels, labels
        onehot = np.zeros((n_samples, n_outputs), dtype=dtype)
        onehot[np.arange(n_samples), labels] = 1.0
        return onehot, labels
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    if arr.ndim != 2 or arr.shape[1] != n_outputs:
        raise DataError(f"{name} has shape {arr.shape} but the model has {n_outputs} outputs; "
                        f"expected ({n_samples},) labels or ({n_samples}, {n_outputs}) targets")
    arr = arr.astype(dtype, copy=False)
    if not np.isfinite(arr).all():
        idx = _first_nonfinite(arr)
        raise DataError(f"{name} contains {arr[idx]} at index {idx}")
    return arr, _labels_of_targets(arr)


def _labels_of_targets(arr: np.ndarray) -> np.ndarray | None:
    """Class labels of 2-D targets when they are classes: one output of 0/1 values, or rows of
    probabilities (one-hot, or soft labels summing to 1); None for multi-label rows and real values."""
    if arr.shape[1] == 1:
        col = arr[:, 0]
        return col.astype(np.int64) if bool(((col == 0) | (col == 1)).all()) else None
    if bool((arr >= 0).all()) and np.allclose(arr.sum(axis=1), 1.0, atol=1e-3):
        return arr.argmax(axis=1)
    return None


def target_task(y, labels, n_outputs: int) -> str:
    """What the targets are: "classification" (labels exist), "multilabel" (several outputs, 0/1
    rows that are not one-hot) or "regression" (real values)."""
    if labels is not None:
        return "classification"
    arr = np.asarray(y) if not hasattr(y, "__cuda_array_interface__") else y.get()
    if n_outputs > 1 and bool(((arr == 0) | (arr == 1)).all()):
        return "multilabel"
    return "regression"


def as_sample_weights(sample_weight, n_samples: int, labels=None, class_weight=None,
                      name: str = "sample_weight") -> np.ndarray | None:
    """Per-sample weights (n,) as float64, or None: ``sample_weight`` times ``class_weight[label]``
    (a dict class → weight, as Keras's; classes it leaves out weigh 1). Weights must be finite and
    ≥ 0 with a positive sum."""
    if sample_weight is None and class_weight is None:
        return None
    w = np.ones(n_samples, dtype=np.float64)
    if sample_weight is not None:
        arr = np.asarray(sample_weight)
        if arr.dtype.kind not in "biuf":
            raise DataError(f"{name} has dtype {arr.dtype}; expected numbers")
        arr = arr.reshape(-1) if arr.ndim == 2 and 1 in arr.shape else arr
        if arr.shape != (n_samples,):
            raise DataError(f"{name} has shape {arr.shape}; expected ({n_samples},), one weight per sample")
        w = arr.astype(np.float64)
    if class_weight is not None:
        if not isinstance(class_weight, dict):
            raise DataError(f"class_weight must be a dict {{class: weight}}, got {type(class_weight).__name__}")
        if labels is None:
            raise DataError("class_weight needs class labels, but the targets are not classes "
                            "(regression or multi-label); use sample_weight")
        k = int(labels.max()) + 1 if len(labels) else 0
        table = np.ones(max(k, 1 + max((int(c) for c in class_weight), default=-1)), dtype=np.float64)
        for c, cw in class_weight.items():
            if isinstance(c, bool) or not isinstance(c, (int, np.integer)) or c < 0:
                raise DataError(f"class_weight keys must be class labels 0..k-1, got {c!r}")
            if not isinstance(cw, (int, float, np.number)) or isinstance(cw, bool):
                raise DataError(f"class_weight[{c}] must be a number, got {cw!r}")
            table[int(c)] = float(cw)
        w = w * table[np.asarray(labels, dtype=np.int64)]
    if not np.isfinite(w).all():
        i = int(np.flatnonzero(~np.isfinite(w))[0])
        raise DataError(f"{name} contains {w[i]} at index {i}")
    if (w < 0).any():
        i = int(np.flatnonzero(w < 0)[0])
        raise DataError(f"{name} contains the negative weight {w[i]} at index {i}; weights must be >= 0")
    if not w.sum() > 0:
        raise DataError(f"{name}: every weight is 0; at least one sample must count")
    return w
