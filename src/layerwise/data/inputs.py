"""Checks at the entry points (fit, evaluate, predict, data loaders): bad input raises
:class:`~layerwise.errors.DataError` (a ValueError) naming the problem and the value,
before any work starts."""
from __future__ import annotations

import numpy as np

from ..core.backend import to_numpy, traced
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
    def of(cls, a) -> FileRows | None:
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


def is_sparse_matrix(x) -> bool:
    """A SciPy sparse matrix or array (checked without importing SciPy)."""
    return type(x).__module__.startswith("scipy.sparse") and hasattr(x, "tocsr")


def _is_pandas(x) -> bool:
    return type(x).__module__.startswith("pandas")


def feature_names_of(x) -> list[str] | None:
    """The column names of a pandas DataFrame when every one is a string (scikit-learn's rule);
    None for arrays, lists, sparse matrices and frames with other column labels."""
    columns = getattr(x, "columns", None) if _is_pandas(x) else None
    if columns is None:
        return None
    names = list(columns)
    return names if names and all(isinstance(c, str) for c in names) else None


def check_feature_names(fitted: list[str] | None, given: list[str] | None, name: str = "x") -> None:
    """scikit-learn's check of the columns at predict time against those seen at fit time:
    different names or another order raise DataError listing the difference; names on one side
    only warn (UserWarning), since the columns may still be the right ones."""
    import warnings
    if fitted is None and given is None:
        return
    if fitted is None:
        warnings.warn(f"{name} has feature names, but the model was fitted without feature names",
                      UserWarning, stacklevel=4)
        return
    if given is None:
        shown = fitted if len(fitted) <= 10 else fitted[:10] + ["..."]
        warnings.warn(f"{name} has no feature names, but the model was fitted with feature names {shown}; "
                      "pass a DataFrame with those columns so their order is checked", UserWarning, stacklevel=4)
        return
    if list(given) == list(fitted):
        return
    if sorted(given) == sorted(fitted) and len(given) == len(fitted):
        moved = [f"{c!r} (column {given.index(c)}, fitted as {i})" for i, c in enumerate(fitted)
                 if given.index(c) != i]
        raise DataError(f"{name} has the model's feature names in a different order: {', '.join(moved[:5])}"
                        f"{' ...' if len(moved) > 5 else ''}; the model was fitted with columns {fitted}; "
                        f"reorder them: {name}[model.feature_names]")
    unseen = [c for c in given if c not in fitted]
    missing = [c for c in fitted if c not in given]
    parts = []
    if unseen:
        parts.append(f"feature names unseen at fit time: {unseen}")
    if missing:
        parts.append(f"feature names seen at fit time, yet now missing: {missing}")
    if not parts:  # same names, repeated differently
        parts.append(f"columns {list(given)} instead of {fitted}")
    raise DataError(f"{name}'s feature names do not match those the model was fitted with: {'; '.join(parts)}")


def _refuse_iterables(x, name: str) -> None:
    """Generators, iterators and data-set objects: refused by name (an array is needed)."""
    import inspect
    if inspect.isgenerator(x) or (hasattr(x, "__next__") and not hasattr(x, "__array__")):
        raise DataError(f"{name} must be an array (NumPy array, list of rows, pandas DataFrame or SciPy sparse "
                        f"matrix), got a {type(x).__name__}: generators/datasets are not supported; use numpy "
                        f"arrays (e.g. np.asarray(list({name})))")


def _check_pandas(x, name: str) -> None:
    """A pandas DataFrame or Series: each missing value (NaN, None, pd.NA) and each non-numeric
    column is named, with its row, before NumPy turns the frame into an object array."""
    if not _is_pandas(x) or not hasattr(x, "isna"):
        return
    import pandas as pd
    frame = x.to_frame() if not hasattr(x, "columns") else x
    na = frame.isna().to_numpy()
    if na.any():
        r, c = (int(i) for i in np.argwhere(na)[0])
        column, label = frame.columns[c], frame.index[r]
        where = f"row {r}" + (f" (index {label!r})" if label != r else "")
        raise DataError(f"{name} column {column!r} has a missing value ({frame.iat[r, c]!r}) in {where}; "
                        "fill or drop missing values first (e.g. .fillna(...) or .dropna())")
    for column, dtype in frame.dtypes.items():
        if not pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
            raise DataError(f"{name} column {column!r} has dtype {dtype}; expected numbers "
                            "(encode categories and strings first, e.g. pd.get_dummies)")


def _ragged_message(x, name: str) -> str:
    """Which rows of a nested list differ in length."""
    def length(row):
        return len(row) if isinstance(row, (list, tuple, np.ndarray)) else None

    def describe(n):
        return "a single value (not a row)" if n is None else f"{n} value{'s' if n != 1 else ''}"

    if isinstance(x, (list, tuple)) and len(x):
        first = length(x[0])
        for i, row in enumerate(x):
            if length(row) != first:
                return (f"{name} is ragged: row 0 has {describe(first)} but row {i} has {describe(length(row))}; "
                        "every row needs the same number of features")
    return f"{name} is ragged (nested sequences of different lengths); every row needs the same shape"


def _as_array(x, name: str) -> np.ndarray:
    """np.asarray(x) with a clear error for ragged lists, non-numeric entries and data-set objects."""
    try:
        arr = np.asarray(x)
    except ValueError as exc:
        if "inhomogeneous" in str(exc) or "sequence" in str(exc):
            raise DataError(_ragged_message(x, name)) from None
        raise DataError(f"{name} cannot be read as an array: {exc}") from None
    except Exception as exc:
        raise DataError(f"{name} cannot be read as an array: {exc}") from None
    if arr.dtype == object:
        if arr.ndim == 0 and hasattr(x, "__iter__"):
            raise DataError(f"{name} must be an array (NumPy array, list of rows, pandas DataFrame or SciPy sparse "
                            f"matrix), got a {type(x).__name__}: generators/datasets are not supported; use numpy "
                            "arrays")
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError):
            for idx, value in np.ndenumerate(arr):
                if isinstance(value, (list, tuple, np.ndarray)):
                    raise DataError(_ragged_message(x, name)) from None
                try:
                    float(value)
                except (TypeError, ValueError):
                    what = "a missing value (None)" if value is None else f"the non-numeric entry {value!r}"
                    raise DataError(f"{name} has {what} at index {idx}; expected numbers") from None
            raise DataError(f"{name} has entries that are not numbers; expected a numeric array") from None
    return arr


def _check_values(values: np.ndarray, name: str, dtype, where=None, release: bool = False) -> None:
    """NaN/inf, and values that overflow ``dtype`` (float64 data for a float32 model): checked in
    blocks of rows, so no full-size temporary is made. ``where(i)`` maps an index of ``values`` to
    the index reported (sparse matrices store their values in a flat array); ``release`` drops a
    memory-mapped array's pages after each block."""
    if values.dtype.kind != "f":
        return
    dtype = np.dtype(dtype)
    narrowing = values.dtype.itemsize > dtype.itemsize
    top = float(np.finfo(dtype).max)
    where = where or (lambda idx: idx)
    step = max(1, (1 << 22) // max(1, int(np.prod(values.shape[1:]))))
    for start in range(0, values.shape[0], step):
        block = values[start:start + step]
        finite = bool(np.isfinite(block).all())
        big = finite and narrowing and block.size and (float(block.max()) > top or float(block.min()) < -top)
        if release:
            release_pages(values)
        if not finite:
            idx = _first_nonfinite(block)
            idx = (idx[0] + start,) + idx[1:]
            raise DataError(f"{name} contains {values[idx]} at index {where(idx)}; "
                            "remove or impute non-finite values")
        if big:
            with np.errstate(over="ignore"):
                cast = block.astype(dtype)
            if not np.isfinite(cast).all():
                idx = _first_nonfinite(cast)
                idx = (idx[0] + start,) + idx[1:]
                raise DataError(f"{name} contains {values[idx]:g} at index {where(idx)}, which overflows the "
                                f"model's dtype {dtype} (largest {top:.4g}); rescale {name} (e.g. standardise it)")


def _as_sparse_features(x, name: str, sample_shape, dtype):
    """A SciPy sparse matrix checked like an array and kept sparse (CSR, the model's dtype): the
    batch source and the inference batches densify a batch of rows at a time."""
    shape = tuple(x.shape)
    if len(shape) != 2:
        raise DataError(f"{name} must be 2-D (samples, features), got a sparse array of shape {shape}")
    if shape[0] == 0 or shape[1] == 0:
        raise DataError(f"{name} has shape {shape}: {'no samples' if shape[0] == 0 else 'zero features'}; "
                        "every sample needs at least one feature")
    if sample_shape is not None and (shape[1],) != tuple(sample_shape):
        raise DataError(f"{name} has {shape[1]} features but the model expects "
                        f"{sample_shape[0] if len(sample_shape) == 1 else tuple(sample_shape)}")
    csr = x.tocsr()
    if csr.dtype.kind not in "biuf":
        raise DataError(f"{name} is a sparse matrix of dtype {csr.dtype}; expected real numbers")

    def where(idx):
        k = int(idx[0])
        return (int(np.searchsorted(csr.indptr, k, side="right")) - 1, int(csr.indices[k]))
    _check_values(csr.data, name, dtype, where)
    return csr.astype(dtype, copy=False)


def as_features(x, name: str = "x", sample_shape: tuple[int, ...] | None = None,
                dtype=np.float32, sparse_ok: bool = False):
    """x as a float array (n, *sample_shape), checked for type, shape and finiteness (after the cast
    to ``dtype``: float64 values beyond float32's range are refused, not turned into inf).

    With ``sparse_ok`` a SciPy sparse matrix is checked and returned as a CSR matrix of ``dtype``
    (never densified whole); otherwise it is refused with a clear message."""
    if x is None:
        raise DataError(f"{name} is None; expected an array of shape (samples, features)")
    if traced(x):
        x = to_numpy(x)  # a JAX array: validated on the host (the engine moves data to its device itself)
    _refuse_iterables(x, name)
    if is_sparse_matrix(x):
        if not sparse_ok:
            raise DataError(f"{name} is a SciPy sparse matrix, which is not accepted here; pass {name}.toarray()")
        return _as_sparse_features(x, name, sample_shape, dtype)
    _check_pandas(x, name)
    arr = _as_array(x, name)
    if arr.dtype.kind in "USVM":
        raise DataError(f"{name} has dtype {arr.dtype}; expected numbers (convert strings first)")
    if arr.dtype.kind == "c":
        raise DataError(f"{name} has complex dtype {arr.dtype}; expected real numbers")
    if arr.ndim < 2:
        raise DataError(f"{name} must be at least 2-D (samples, features), got shape {arr.shape}; "
                        "for one sample use x.reshape(1, -1)")
    if arr.shape[0] == 0:
        raise DataError(f"{name} is empty (shape {arr.shape})")
    if 0 in arr.shape[1:]:
        what = "zero features" if arr.ndim == 2 else "samples of zero size"
        raise DataError(f"{name} has shape {arr.shape}: {what}; every sample needs at least one feature")
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
    # in blocks of rows: no full-size boolean temporary, and memmaps are streamed, not loaded
    _check_values(arr, name, dtype, release=mapped)
    return arr.astype(dtype, copy=False)


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
               name: str = "y", loss=None) -> tuple[np.ndarray, np.ndarray | None]:
    """Targets in the form the loss wants, plus integer class labels (None unless the targets are
    classes: see ``_labels_of_targets``).

    - 1-D y with several outputs: class labels, kept as integers when the loss takes them
      (sparse) and one-hot encoded otherwise;
    - 1-D y with one output: reshaped to (n, 1);
    - 2-D y: must be (n, n_outputs).

    The values are then checked against what ``loss`` declares (``loss.targets``, see
    core/losses.py): "binary" losses take labels in {0, 1} or probabilities in [0, 1] (soft labels,
    as Keras allows), "signed" ones (the hinges) labels in {0, 1} or {-1, 1}.
    """
    if y is None:
        raise DataError(f"{name} is None; fit and evaluate need targets")
    if traced(y):
        y = to_numpy(y)
    _refuse_iterables(y, name)
    if is_sparse_matrix(y):
        raise DataError(f"{name} is a SciPy sparse matrix; targets must be a dense array ({name}.toarray())")
    _check_pandas(y, name)
    try:
        arr = np.asarray(y)
    except ValueError:
        raise DataError(_ragged_message(y, name)) from None
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
    _check_values(arr, name, dtype)
    arr = arr.astype(dtype, copy=False)
    kind = getattr(loss, "targets", None)
    if kind is not None:
        check_target_values(arr, kind, getattr(loss, "name", type(loss).__name__), name)
    return arr, _labels_of_targets(arr)


def check_target_values(arr: np.ndarray, kind: str, loss_name: str, name: str = "y") -> None:
    """The targets a loss can learn: ``kind`` "binary" (labels in {0, 1} or probabilities in [0, 1])
    or "signed" (labels all in {0, 1} or all in {-1, 1}, the hinges'); DataError naming the value."""
    if kind == "binary":
        bad = (arr < 0) | (arr > 1)
        if bad.any():
            idx = tuple(int(i) for i in np.argwhere(bad)[0])
            value = arr[idx]
            hint = ""
            whole = bool((arr == np.round(arr)).all()) and float(arr.min()) >= 0
            if whole:
                k = int(arr.max()) + 1
                hint = (f"; for {k} classes use Dense({k}, 'softmax') with categorical_crossentropy "
                        "(integer labels are fine)")
            raise DataError(f"{name} has the value {value:g} at index {idx}, but {loss_name} needs labels in "
                            f"{{0, 1}} (or probabilities in [0, 1]){hint}")
        return
    if kind == "signed":
        if bool(((arr == 0) | (arr == 1)).all()) or bool(((arr == -1) | (arr == 1)).all()):
            return
        bad = ~((arr == -1) | (arr == 0) | (arr == 1))
        if bad.any():
            idx = tuple(int(i) for i in np.argwhere(bad)[0])
            raise DataError(f"{name} has the value {arr[idx]:g} at index {idx}, but {loss_name} needs labels "
                            "in {-1, 1} (or {0, 1}, converted as Keras does)")
        raise DataError(f"{name} mixes the labels -1 and 0, but {loss_name} needs labels in {{-1, 1}} or in "
                        "{0, 1}, not both")
    raise ValueError(f"unknown target kind {kind!r}")


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
    arr = to_numpy(y)
    if n_outputs > 1 and bool(((arr == 0) | (arr == 1)).all()):
        return "multilabel"
    return "regression"


def as_sample_weights(sample_weight, n_samples: int, labels=None, class_weight=None,
                      name: str = "sample_weight", n_classes: int | None = None) -> np.ndarray | None:
    """Per-sample weights (n,) as float64, or None: ``sample_weight`` times ``class_weight[label]``
    (a dict class → weight, as Keras's; classes it leaves out weigh 1). Weights must be finite and
    ≥ 0 with a positive sum; a class_weight key must be a class of the model (0..n_classes-1, or of
    the labels when ``n_classes`` is not given)."""
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
        valid = max(k, n_classes or 0)
        table = np.ones(max(valid, 1), dtype=np.float64)
        for c, cw in class_weight.items():
            if isinstance(c, bool) or not isinstance(c, (int, np.integer)) or c < 0:
                raise DataError(f"class_weight keys must be class labels 0..{valid - 1}, got {c!r}")
            if c >= valid:
                where = (f"the model has {n_classes} classes" if n_classes else f"y has classes 0..{k - 1}")
                raise DataError(f"class_weight names class {c}, which does not exist: {where} "
                                f"(valid keys 0..{valid - 1})")
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
