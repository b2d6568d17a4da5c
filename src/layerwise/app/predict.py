"""Inputs for ``layerwise predict``: array files and images, shaped for a model."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ..errors import DataError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")


def image_shape_of(model) -> tuple[int, int]:
    shape = (model.metadata or {}).get("image_shape")
    if shape and len(shape) == 2:
        return int(shape[0]), int(shape[1])
    n = int(np.prod(model.input_shape))
    side = int(math.isqrt(n))
    if side * side != n:
        raise DataError(f"this model takes {n} features, not images")
    return side, side


def read_image(path: Path, shape: tuple[int, int]) -> np.ndarray:
    """Grayscale, resized to the model's image size, scaled to [0, 1], light-on-dark like the
    training data (a dark-on-light photo, e.g. a digit written on paper, is inverted)."""
    try:
        from PIL import Image, UnidentifiedImageError
    except ImportError as exc:
        raise DataError("reading images needs Pillow: pip install 'layerwise[plot]'") from exc
    try:
        with Image.open(path) as img:
            # Image.LANCZOS: Pillow sets it through globals(), untyped; Image.Resampling needs Pillow >= 9.1
            gray = img.convert("L").resize((shape[1], shape[0]), Image.LANCZOS)  # type: ignore[attr-defined]
    except (UnidentifiedImageError, OSError) as exc:
        raise DataError(f"{path}: not a readable image ({exc})") from None
    a = np.asarray(gray, dtype=np.float32) / 255.0
    border = np.concatenate([a[0], a[-1], a[:, 0], a[:, -1]])
    if border.mean() > 0.5:
        a = 1.0 - a
    return a.reshape(-1)


def read_array(path: Path) -> np.ndarray:
    """An input array file as (rows, features): an .npy or .csv table, or an .npz's array 'x'
    (else its first array)."""
    from ..data.datasets import read_array_file
    arrays = read_array_file(path, "input", also=" or an image")
    key = "table" if "table" in arrays else "x" if "x" in arrays else next(iter(arrays), None)
    if key is None:
        raise DataError(f"{path}: the .npz file holds no arrays")
    a = arrays[key]
    if a.ndim == 1:
        a = a.reshape(1, -1)
    return a.reshape(len(a), -1)


def read_inputs(paths: list[str], model) -> tuple[np.ndarray, list[str]]:
    """All inputs stacked as (n, features), with a name per row."""
    from ..data.inputs import as_features
    rows, names = [], []
    n_features = int(np.prod(model.input_shape))
    for p in map(Path, paths):
        if not p.is_file():
            raise DataError(f"{p}: no such file")
        if p.suffix.lower() in IMAGE_SUFFIXES:
            rows.append(read_image(p, image_shape_of(model)).reshape(1, -1))
            names.append(p.name)
        else:
            a = read_array(p)
            if a.shape[1] != n_features:
                raise DataError(f"{p}: has {a.shape[1]} features per row but the model expects {n_features}")
            rows.append(a)
            names += [f"{p.name}[{i}]" for i in range(len(a))]
    x = as_features(np.concatenate(rows), "input", model.input_shape, model.dtype)
    return x, names
