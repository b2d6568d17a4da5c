"""What ``fit``, ``evaluate`` and ``predict`` check and prepare before any arithmetic: the
arguments, x and y against the model and its loss, DataFrame column names, sample and class
weights, and the validation split. Every problem is one named error (see data/inputs.py)."""
from __future__ import annotations

from collections.abc import Collection
from typing import Any

import numpy as np

from ..data.inputs import as_features, as_sample_weights, as_targets, check_feature_names, feature_names_of
from ..errors import ConfigError, DataError


def _count(name: str, value, lo: int, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < lo:
        raise ConfigError(f"{name} must be {what}, got {value!r}")


def check_fit_arguments(epochs, checkpoint, checkpoint_every, resume, validation_split, initial_epoch=0,
                        validation_freq=1) -> None:
    """The scalar arguments of ``fit`` (batch_size is checked by the batch sources)."""
    _count("epochs", epochs, 0, "an integer >= 0")
    if checkpoint_every is not None:
        _count("checkpoint_every", checkpoint_every, 1, "a positive number of steps")
    if (resume or checkpoint_every) and checkpoint is None:
        raise ConfigError("resume and checkpoint_every need checkpoint=PATH")
    if not 0.0 <= float(validation_split) < 1.0:
        raise ConfigError(f"validation_split must be in [0, 1), got {validation_split}")
    _count("initial_epoch", initial_epoch, 0, "an integer >= 0")
    check_validation_freq(validation_freq)
    if initial_epoch > epochs:
        raise ConfigError(f"initial_epoch={initial_epoch} is beyond epochs={epochs}: epochs is the index of the "
                          f"last epoch, not a count (Keras's convention), so to train {epochs} more epochs pass "
                          f"epochs={initial_epoch + epochs}")


def check_validation_freq(freq) -> None:
    """Keras's ``validation_freq``: a positive integer k (validate after every k-th epoch, counting
    from 1) or a collection of positive integers (the 1-based epochs to validate after)."""
    def positive(v) -> bool:
        return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)) and bool(v >= 1)
    if positive(freq):
        return
    if isinstance(freq, Collection) and not isinstance(freq, (str, bytes, dict)) and all(map(positive, freq)):
        return
    raise ConfigError(f"validation_freq must be a positive integer (validate every k-th epoch) or a list of "
                      f"positive epoch numbers (1-based), got {freq!r}")


def validates(epoch: int, freq) -> bool:
    """Whether ``fit`` validates after ``epoch`` (0-based, counted from the first epoch, not from
    ``initial_epoch``) under ``validation_freq`` (Keras's rule; see check_validation_freq)."""
    if isinstance(freq, (int, np.integer)):
        return (epoch + 1) % int(freq) == 0
    return (epoch + 1) in set(int(e) for e in freq)


def check_output_layer(model) -> None:
    """A softmax over one unit always outputs 1 (nothing to learn): refused, suggesting sigmoid.
    Checked at compile when the output size is known, else at fit once the model is built."""
    last = model.layers[-1] if model.layers else None
    if last is None or getattr(getattr(last, "activation", None), "name", None) != "softmax":
        return
    if (model.n_outputs if model.built else getattr(last, "units", None)) == 1:
        raise ConfigError(f"the output layer {last.name!r} is a softmax over 1 unit, which always "
                          "outputs 1.0, so the model cannot learn; for two classes use Dense(1, 'sigmoid') with "
                          "binary_crossentropy, or Dense(2, 'softmax') with categorical_crossentropy")


def features(model, x, name: str = "x", fitting: bool = False):
    """(x checked, its column names): as_features (a SciPy sparse matrix stays sparse), the names
    checked against those the model was fitted with (scikit-learn's rules) unless this is a fit of
    a model that has none; an unbuilt model is built for x's sample shape."""
    names = feature_names_of(x)
    if not (fitting and model.feature_names is None):
        check_feature_names(model.feature_names, names, name)
    if not model.built:
        xa = as_features(x, name, None, model.dtype, sparse_ok=True)
        model.build(tuple(xa.shape[1:]))
    else:
        xa = as_features(x, name, model.input_shape, model.dtype, sparse_ok=True)
    check_output_layer(model)
    return xa, names


def prepare(model, x, y, name: str = "x", fitting: bool = False):
    """Checked (x, y, labels); a fit from a DataFrame records its column names."""
    xa, names = features(model, x, name, fitting)
    sparse_ok = model.loss.accepts_sparse if model.loss is not None else True
    ya, labels = as_targets(y, xa.shape[0], model.n_outputs, sparse_ok, model.dtype,
                            "y" if name == "x" else f"y of {name}", loss=model.loss)
    if fitting and names is not None and model.feature_names is None:
        model.metadata["feature_names"] = list(names)
    return xa, ya, labels


Arrays4 = tuple[Any, Any, Any, Any]  # (x, y, labels, weights); labels and weights may be None


def split(model, x, y, validation_split, validation_data, sample_weight=None,
          class_weight=None) -> tuple[Arrays4, Arrays4 | None]:
    """Checked training arrays (x, y, labels, weights) and the validation 4-tuple (or None):
    ``validation_data`` as given, else the last ``validation_split`` of the rows (Keras's rule)."""
    x, y, labels = prepare(model, x, y, fitting=True)
    n = int(x.shape[0])
    weights = as_sample_weights(sample_weight, n, labels, class_weight,
                                n_classes=max(model.n_outputs, 2) if labels is not None else None)
    if validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
            raise ConfigError("validation_data must be a pair (x_val, y_val) or a triple (x_val, y_val, sample_weight)")
        vx, vy, vl = prepare(model, validation_data[0], validation_data[1], "validation x")
        vw = as_sample_weights(validation_data[2], int(vx.shape[0]), name="validation sample_weight") \
            if len(validation_data) == 3 else None
        return (x, y, labels, weights), (vx, vy, vl, vw)
    if not validation_split:
        return (x, y, labels, weights), None
    n_val = int(round(n * float(validation_split)))
    if n_val < 1 or n_val >= n:
        raise DataError(f"validation_split={validation_split} leaves {n_val} validation samples out of {n}")
    parts = (x, y, labels, weights)  # the last samples, before shuffling (Keras's convention)
    x_tr, y_tr, labels_tr, weights_tr = (None if a is None else a[:-n_val] for a in parts)
    x_val, y_val, labels_val, weights_val = (None if a is None else a[-n_val:] for a in parts)
    return (x_tr, y_tr, labels_tr, weights_tr), (x_val, y_val, labels_val, weights_val)
