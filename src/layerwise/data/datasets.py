"""Data sets as float32 arrays scaled to [0, 1], rows = samples.

    ds = layerwise.datasets.load("fashion-mnist", validation_size=10_000)
    ds.x_train.shape, ds.y_train.shape, ds.x_val.shape, ds.x_test.shape

Names: ``digits`` (scikit-learn's bundled 8×8 digits; needs no download — the default),
``mnist`` and ``fashion-mnist`` (IDX files), or a path to a .npz/.npy/.csv file.

MNIST-style files are looked for, in order, in ``$LAYERWISE_DATA`` (and its
``<name>/`` subfolder), the user cache (``$XDG_CACHE_HOME/layerwise/<name>``, by
default ``~/.cache/layerwise/<name>``) and ``/usr/share/datasets/<name>`` (Debian's
``dataset-fashion-mnist``). If they are nowhere, they are downloaded from the official
mirrors into the cache, checked against their SHA-256 and written atomically.
"""
from __future__ import annotations

import csv
import hashlib
import os
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypedDict

import numpy as np

from .. import settings
from ..errors import DataError
from .idx import read_idx

FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}


class Source(TypedDict):
    mirrors: list[str]  # base URLs, tried in order
    sha256: dict[str, str]  # file name -> digest
    classes: list[str]


SOURCES: dict[str, Source] = {
    "mnist": {
        "mirrors": ["https://ossci-datasets.s3.amazonaws.com/mnist/",
                    "https://storage.googleapis.com/cvdf-datasets/mnist/"],
        "sha256": {
            "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
            "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
            "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
            "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
        },
        "classes": [str(i) for i in range(10)],
    },
    "fashion-mnist": {
        "mirrors": ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
                    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/"],
        "sha256": {
            "train-images-idx3-ubyte.gz": "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
            "train-labels-idx1-ubyte.gz": "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
            "t10k-images-idx3-ubyte.gz": "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
            "t10k-labels-idx1-ubyte.gz": "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
        },
        "classes": ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                    "Sneaker", "Bag", "Ankle boot"],
    },
}
ALIASES = {"fashion": "fashion-mnist", "fashion_mnist": "fashion-mnist", "fmnist": "fashion-mnist"}
NAMES = ("digits", "mnist", "fashion-mnist")


@dataclass
class Dataset:
    """Train / validation / test splits; x float32 (n, features) in [0, 1], y int64 labels (n,).

    What :func:`load` and :func:`load_file` return; images are flattened to rows (784 = 28·28
    features for MNIST), ``image_shape`` gives them back their shape.

    Parameters
    ----------
    name : str
        The data set's name ("digits", "mnist", "fashion-mnist", or a data file's stem).
    x_train, y_train : ndarray
        Training features (n_train, features), float32 in [0, 1], and labels (n_train,), int64
        class indices 0..k-1.
    x_test, y_test : ndarray
        The test split, shaped as the training one.
    x_val, y_val : ndarray or None, default None
        The validation split (``load(..., validation_size=...)``), or None.
    n_classes : int, default 0
        k, the number of classes.
    image_shape : tuple of int or None, default None
        (height, width) of an image ((8, 8) digits, (28, 28) MNIST), or None for tabular data.
    class_names : list of str, default []
        The name of each class, by index ("T-shirt/top", ...).
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    x_val: np.ndarray | None = None
    y_val: np.ndarray | None = None
    n_classes: int = 0
    image_shape: tuple[int, ...] | None = None
    class_names: list[str] = field(default_factory=list)

    @property
    def n_features(self) -> int:
        """The number of input features per sample (784 for MNIST), an int."""
        return int(np.prod(self.x_train.shape[1:]))

    def __repr__(self):
        val = f", val={len(self.x_val)}" if self.x_val is not None else ""
        return (f"Dataset({self.name!r}, train={len(self.x_train)}{val}, test={len(self.x_test)}, "
                f"features={self.n_features}, classes={self.n_classes})")


def _n_split(size, total: int, what: str) -> int:
    """A split size as a count: a float in (0, 1) is a fraction of ``total``, else a count."""
    if size is None or size == 0:
        return 0
    if isinstance(size, float) and 0.0 < size < 1.0:
        n = int(round(total * size))
    elif isinstance(size, (int, float)) and not isinstance(size, bool) and float(size).is_integer() and size > 0:
        n = int(size)
    else:
        raise DataError(f"{what} must be a fraction in (0, 1) or a positive count, got {size!r}")
    if n >= total:
        raise DataError(f"{what}={size} leaves no training data ({total} samples available)")
    return n


def _split_validation(ds: Dataset, validation_size) -> Dataset:
    n_val = _n_split(validation_size, len(ds.x_train), "validation_size")
    if n_val:
        # the last samples of the training file (the book's 50,000 / 10,000 split of MNIST)
        ds.x_val, ds.y_val = ds.x_train[-n_val:], ds.y_train[-n_val:]
        ds.x_train, ds.y_train = ds.x_train[:-n_val], ds.y_train[:-n_val]
    return ds


# -- digits -------------------------------------------------------------------------------------
def _load_digits(test_size: float = 0.2) -> Dataset:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    d = load_digits()
    x = (d.data / 16.0).astype(np.float32)
    y = d.target.astype(np.int64)
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=test_size, random_state=0, stratify=y)
    return Dataset("digits", x_tr, y_tr, x_te, y_te, n_classes=10, image_shape=(8, 8),
                   class_names=[str(i) for i in range(10)])


# -- MNIST-style --------------------------------------------------------------------------------
def cache_dir(name: str) -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "layerwise" / name


def search_dirs(name: str) -> list[Path]:
    """The folders searched for a data set's IDX files, in order: ``$LAYERWISE_DATA/<name>``,
    ``$LAYERWISE_DATA``, the user cache (``~/.cache/layerwise/<name>``) and
    ``/usr/share/datasets/<name>``.

    Parameters
    ----------
    name : str
        The data set's name ("mnist" or "fashion-mnist").

    Returns
    -------
    list of pathlib.Path
        The folders (not all of them need exist).
    """
    dirs = []
    env = settings.get("LAYERWISE_DATA")
    if env:
        dirs += [Path(env) / name, Path(env)]
    dirs += [cache_dir(name), Path("/usr/share/datasets") / name]
    return dirs


def _find(directory: Path, stem: str) -> Path | None:
    for candidate in (directory / f"{stem}.gz", directory / stem):
        if candidate.is_file():
            return candidate
    return None


def locate(name: str) -> dict[str, Path] | None:
    """The four IDX files from the first search directory that has all of them.

    Parameters
    ----------
    name : str
        The data set's name ("mnist" or "fashion-mnist").

    Returns
    -------
    dict of str to pathlib.Path, or None
        The paths under the keys "train_images", "train_labels", "test_images", "test_labels"
        (each file plain or gzipped), or None when no folder of :func:`search_dirs` has all four.
    """
    for d in search_dirs(name):
        found = {k: _find(d, stem) for k, stem in FILES.items()}
        if all(found.values()):
            return found  # type: ignore[return-value]
    return None


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def download(name: str, mirrors: list[str] | None = None, timeout: float = 30.0) -> dict[str, Path]:
    """Fetch the four files into the cache, verifying SHA-256; each is written atomically."""
    from ..formats.atomic import atomic_write_bytes
    source = SOURCES[name]
    mirrors = mirrors or source["mirrors"]
    target = cache_dir(name)
    paths: dict[str, Path] = {}
    for key, stem in FILES.items():
        fname = f"{stem}.gz"
        dest = target / fname
        expected = source["sha256"][fname]
        if dest.is_file() and sha256_of(dest) == expected:
            paths[key] = dest
            continue
        errors = []
        for base in mirrors:
            try:
                with urllib.request.urlopen(base + fname, timeout=timeout) as resp:
                    data = resp.read()
            except (urllib.error.URLError, OSError, ValueError) as exc:
                errors.append(f"{base}: {exc}")
                continue
            digest = hashlib.sha256(data).hexdigest()
            if digest != expected:
                errors.append(f"{base}: SHA-256 mismatch (got {digest[:12]}…, expected {expected[:12]}…)")
                continue
            atomic_write_bytes(dest, data)
            paths[key] = dest
            break
        else:
            where = ", ".join(str(d) for d in search_dirs(name))
            raise DataError(
                f"{name}: could not download {fname} ({'; '.join(errors)}). Offline? Put the four files "
                f"({', '.join(s + '.gz' for s in FILES.values())}) in one of: {where} "
                f"(or set LAYERWISE_DATA to their folder).")
    return paths


def _load_idx_set(name: str, download_missing: bool = True) -> Dataset:
    paths = locate(name)
    if paths is None:
        if not download_missing:
            where = ", ".join(str(d) for d in search_dirs(name))
            raise DataError(f"{name}: IDX files not found in {where}; set LAYERWISE_DATA to their folder")
        paths = download(name)
    # images straight into float32 in [0, 1], block by block (no full-size byte copy beside them)
    arrays = {k: read_idx(p, out_dtype=np.float32, scale=1 / 255) if k.endswith("images") else read_idx(p)
              for k, p in paths.items()}
    for part in ("train", "test"):
        xi, yl = arrays[f"{part}_images"], arrays[f"{part}_labels"]
        if xi.ndim != 3 or yl.ndim != 1 or len(xi) != len(yl):
            raise DataError(f"{name}: {paths[f'{part}_images']} has shape {xi.shape} and "
                            f"{paths[f'{part}_labels']} has shape {yl.shape}; expected (n, h, w) images "
                            "and (n,) labels of the same n")
        if yl.size and (yl.max() > 9):
            raise DataError(f"{paths[f'{part}_labels']}: label {int(yl.max())} is outside 0..9")
    image_shape = arrays["train_images"].shape[1:]
    if arrays["test_images"].shape[1:] != image_shape:
        raise DataError(f"{name}: train images are {image_shape} but test images are "
                        f"{arrays['test_images'].shape[1:]}")

    def scale(a):
        return a.reshape(len(a), -1)

    return Dataset(name, scale(arrays["train_images"]), arrays["train_labels"].astype(np.int64),
                   scale(arrays["test_images"]), arrays["test_labels"].astype(np.int64),
                   n_classes=10, image_shape=tuple(image_shape), class_names=list(SOURCES[name]["classes"]))


# -- user files ---------------------------------------------------------------------------------
LABEL_NAMES = ("label", "labels", "class", "target", "y")  # a header column taken as the label by default


def _is_number(cell: str) -> bool:
    try:
        float(cell)
        return True
    except ValueError:
        return False


def read_csv_rows(path: Path) -> tuple[list[str] | None, list[list[str]]]:
    """A CSV file as (header or None, rows of cells). The first line is a header when it has a
    non-number where the next line has a number, or only non-numbers; ragged rows are refused."""
    rows: list[list[str]] = []
    with open(path, newline="") as fh:
        for row in csv.reader(fh):
            if row and any(cell.strip() for cell in row):
                rows.append([c.strip() for c in row])
    if not rows:
        raise DataError(f"{path}: the CSV file is empty")
    first = rows[0]
    nxt = rows[1] if len(rows) > 1 else None
    header = None
    if not any(_is_number(c) for c in first) or (
            nxt is not None and any(not _is_number(a) and _is_number(b) for a, b in zip(first, nxt))):
        header, rows = first, rows[1:]
    if not rows:
        raise DataError(f"{path}: the CSV file has a header but no data rows")
    width = len(header) if header is not None else len(rows[0])
    for i, row in enumerate(rows):
        if len(row) != width:
            raise DataError(f"{path}: row {i + 1} has {len(row)} columns but the first row has {width} "
                            "(ragged CSV)")
    return header, rows


def read_csv_table(path: Path) -> np.ndarray:
    """A numeric CSV file (an optional header line) as a float64 table; ragged rows and
    non-numbers are DataErrors naming the row and column."""
    _, rows = read_csv_rows(path)
    return _numeric_table(rows, path)


def read_array_file(path, what: str = "data file", also: str = "") -> dict[str, np.ndarray]:
    """The arrays in an array file: an .npz's by name; an .npy's, or a numeric .csv's (an optional
    header line), as ``{"table": a}``. Every failure is a DataError naming the file; ``also``
    names other accepted inputs in the message for an unsupported type ("or an image")."""
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix == ".npz":
            with np.load(path, allow_pickle=False) as z:
                return {k: z[k] for k in z.files}
        if suffix == ".npy":
            return {"table": np.load(path, allow_pickle=False)}
        if suffix == ".csv":
            return {"table": read_csv_table(path)}
    except DataError:
        raise
    except (ValueError, OSError, EOFError) as exc:
        raise DataError(f"{path}: cannot read {what} ({exc})") from None
    raise DataError(f"{path}: unsupported {what} type {suffix!r}; use .npz, .npy or .csv{also}")


def _numeric_table(rows, path, skip: int | None = None) -> np.ndarray:
    width = len(rows[0])
    table = np.empty((len(rows), width), dtype=np.float64)
    for i, row in enumerate(rows):
        for j, cell in enumerate(row):
            if j == skip:
                table[i, j] = 0.0
                continue
            try:
                table[i, j] = float(cell)
            except ValueError:
                raise DataError(f"{path}: row {i + 1}, column {j + 1}: {cell!r} is not a number") from None
    return table


def _label_index(label_column, header, width: int, path) -> int:
    """The label column as an index: a name from the header, an index (negative from the end), or
    (None) a header column called label/class/target/y, else the last column."""
    if label_column is None:
        if header is not None:
            for j, name in enumerate(header):
                if name.strip().lower() in LABEL_NAMES:
                    return j
        return width - 1
    if isinstance(label_column, str) and not label_column.lstrip("-").isdigit():
        if header is None:
            raise DataError(f"{path}: label column {label_column!r} is a name, but the file has no header line")
        names = [h.strip() for h in header]
        if label_column not in names:
            raise DataError(f"{path}: no column named {label_column!r}; columns: {', '.join(names[:12])}"
                            f"{' …' if len(names) > 12 else ''}")
        return names.index(label_column)
    j = int(label_column)
    if not -width <= j < width:
        raise DataError(f"{path}: label_column {label_column} is outside the {width} columns")
    return j % width


def _read_csv(path: Path, label_column) -> tuple[np.ndarray, np.ndarray, list[str] | None]:
    """Features, labels and (for string labels) the class names in sorted order."""
    header, rows = read_csv_rows(path)
    width = len(rows[0])
    if width < 2:
        raise DataError(f"{path}: expected features plus a label column, got {width} column")
    j = _label_index(label_column, header, width, path)
    raw = [row[j] for row in rows]
    table = _numeric_table(rows, path, skip=j)
    x = np.delete(table, j, axis=1)
    if all(_is_number(c) for c in raw):
        return x, np.array([float(c) for c in raw]), None
    names = sorted(set(raw))
    index = {name: i for i, name in enumerate(names)}
    return x, np.array([index[c] for c in raw], dtype=np.int64), names


def _features_labels(table: np.ndarray, label_column, path) -> tuple[np.ndarray, np.ndarray]:
    if table.ndim != 2 or table.shape[1] < 2:
        raise DataError(f"{path}: expected a 2-D table of features plus a label column, got shape {table.shape}")
    j = _label_index(-1 if label_column is None else label_column, None, table.shape[1], path)
    return np.delete(table, j, axis=1), table[:, j]


def _warn_traps(path, x: np.ndarray, y: np.ndarray, scale) -> None:
    """Warnings for the two silent failures of one's own data: unscaled pixel-like values, and
    labels that do not start at 0."""
    import warnings
    top = float(np.nanmax(x)) if x.size else 0.0
    if scale is None and top > 1.0 and float(np.nanmin(x)) >= 0.0 and top <= 255.0 and top >= 16.0:
        warnings.warn(f"{path}: feature values go up to {top:g} (pixel values 0–255?); networks train badly on "
                      "unscaled inputs: pass scale=255 (CLI --scale 255, TOML [data] scale = 255)", UserWarning,
                      stacklevel=3)
    low = int(y.min()) if len(y) else 0
    if low > 0:
        warnings.warn(f"{path}: the labels start at {low}, so class{'es' if low > 1 else ''} "
                      f"{', '.join(str(c) for c in range(min(low, 3)))}{' …' if low > 3 else ''} "
                      f"ha{'ve' if low > 1 else 's'} no samples (1-based labels?); relabel them 0..k-1, or give "
                      "the labels as class names", UserWarning, stacklevel=3)


def _read_data_file(path: Path, label_column):
    """(x, y, x_test or None, y_test or None, class names or None) as a data file holds them."""
    if path.suffix.lower() == ".csv":  # labels may be class names: the CSV reader of its own
        try:
            x, y, names = _read_csv(path, label_column)
        except (ValueError, OSError) as exc:
            if isinstance(exc, DataError):
                raise
            raise DataError(f"{path}: cannot read data file ({exc})") from None
        return x, y, None, None, names
    arrays = read_array_file(path)
    if "table" in arrays:
        return (*_features_labels(arrays["table"], label_column, path), None, None, None)
    if {"x_train", "y_train", "x_test", "y_test"} <= set(arrays):
        return (*(arrays[k] for k in ("x_train", "y_train", "x_test", "y_test")), None)
    if {"x", "y"} <= set(arrays):
        return arrays["x"], arrays["y"], None, None, None
    raise DataError(f"{path}: .npz needs arrays 'x' and 'y' (or x_train, y_train, x_test, y_test); "
                    f"found {sorted(arrays)}")


def load_file(path, label_column=None, test_size: float = 0.2, seed: int = 0, scale=None) -> Dataset:
    """A data set from a file: .npz (arrays x, y — or x_train, y_train, x_test, y_test),
    .npy (a 2-D table) or .csv (an optional header line), features plus a label column.

    ``label_column``: a header name or an index (negative: from the end); by default a header
    column named label/class/target/y, else the last column. CSV labels may be integers 0..k-1 or
    class names (mapped to 0..k-1 in sorted order; ``class_names`` maps back). ``scale``: divide
    the features by this number (255 for pixel values); values that look like unscaled pixels,
    and labels that do not start at 0, give a warning. Without an explicit test split,
    ``test_size`` of the rows (shuffled with ``seed``) are held out.

    Parameters
    ----------
    path : str or pathlib.Path
        The .npz, .npy or .csv file.
    label_column : str, int or None, default None
        The label column of a table, as above. Not used for an .npz with arrays.
    test_size : float or int, default 0.2
        The held-out test split when the file has none: a fraction in (0, 1) or a count of rows.
    seed : int, default 0
        Seeds the shuffle before the test split.
    scale : float or None, default None
        Divide the features by this (> 0); None leaves them as they are.

    Returns
    -------
    Dataset
        Features flattened to rows (float32), labels int64 0..k-1. A malformed file, a
        mismatched row count or a single class raises DataError.
    """
    from .inputs import as_features, as_labels
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such data file")
    if scale is not None and not (isinstance(scale, (int, float)) and not isinstance(scale, bool) and scale > 0):
        raise DataError(f"scale must be a positive number (e.g. 255), got {scale!r}")
    x, y, x_test, y_test, names = _read_data_file(path, label_column)
    x = as_features(x, f"{path.name} features")
    y = as_labels(y, name=f"{path.name} labels")
    if len(x) != len(y):
        raise DataError(f"{path}: {len(x)} feature rows but {len(y)} labels")
    _warn_traps(path, x, y, scale)
    if scale is not None:
        x = (x / np.float32(scale)).astype(np.float32)
    if x_test is None:
        n_test = _n_split(test_size, len(x), "test_size")
        order = np.random.default_rng(seed).permutation(len(x))
        test, train = order[:n_test], order[n_test:]
        x, x_test, y, y_test = x[train], x[test], y[train], y[test]
    else:
        x_test = as_features(x_test, f"{path.name} x_test", x.shape[1:])
        if scale is not None:
            x_test = (x_test / np.float32(scale)).astype(np.float32)
        y_test = as_labels(y_test, name=f"{path.name} y_test")
    n_classes = int(max(y.max(), y_test.max() if len(y_test) else 0)) + 1
    if n_classes > len(y) + len(y_test):
        raise DataError(f"{path}: label {n_classes - 1} but only {len(y) + len(y_test)} rows; labels must be "
                        "class indices 0..k-1 (is the label column the right one?)")
    if len(np.unique(y)) < 2:
        raise DataError(f"{path}: every training label is {int(y[0])}; classification needs at least two classes")
    return Dataset(path.stem, x.reshape(len(x), -1), y, x_test.reshape(len(x_test), -1), y_test,
                   n_classes=n_classes, class_names=names or [str(i) for i in range(n_classes)])


def load(name: str, validation_size: int | float = 0, download: bool = True, **kwargs) -> Dataset:
    """Load a named data set (digits, mnist, fashion-mnist) or a data file, with the last
    ``validation_size`` training samples (a count or a fraction) held out for validation.

    Parameters
    ----------
    name : str
        "digits" (scikit-learn's 8×8 digits: 1,437 training and 360 test images), "mnist",
        "fashion-mnist" (also "fashion", "fmnist"; 60,000 training and 10,000 test images of
        28×28), or the path of a .npz, .npy or .csv file (see :func:`load_file`).
    validation_size : int or float, default 0
        The last training samples held out as ``x_val``/``y_val``: a count, or a fraction in
        (0, 1). 0: no validation split. ``10_000`` on MNIST is the book's 50,000/10,000 split.
    download : bool, default True
        Download MNIST-style files missing from every folder of :func:`search_dirs` into the cache
        (checked against their SHA-256). False: raise DataError instead.
    **kwargs
        For "digits": ``test_size`` (default 0.2); for a file: :func:`load_file`'s arguments.

    Returns
    -------
    Dataset
        x float32 (n, features) in [0, 1], y int64 labels (n,).
    """
    key = ALIASES.get(str(name).lower(), str(name).lower())
    if key == "digits":
        ds = _load_digits(**kwargs)
    elif key in SOURCES:
        ds = _load_idx_set(key, download_missing=download)
    elif Path(str(name)).suffix.lower() in (".npz", ".npy", ".csv"):
        ds = load_file(name, **kwargs)
    else:
        raise DataError(f"unknown data set {name!r}; valid: {', '.join(NAMES)}, or a .npz/.npy/.csv path")
    return _split_validation(ds, validation_size)
