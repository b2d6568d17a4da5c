"""Weight initialisers: ``init(shape, rng, dtype) -> ndarray`` (NumPy, on the host).

For a Dense kernel of shape (n_in, n_out): fan_in = n_in, fan_out = n_out.

| name            | distribution                                   |
|-----------------|------------------------------------------------|
| normal          | N(0, σ²), σ = 1 by default (the notes' "large" init) |
| scaled_normal   | N(0, 1/n_in): std 1/√n_in (the notes' default)  |
| glorot_uniform  | U(-l, l), l = √(6/(fan_in + fan_out))  (Xavier) |
| glorot_normal   | N(0, 2/(fan_in + fan_out))                      |
| he_uniform      | U(-l, l), l = √(6/fan_in)  (Kaiming)            |
| he_normal       | N(0, 2/fan_in)                                  |
| lecun_normal    | N(0, 1/fan_in)                                  |
| zeros, ones, constant(value)                                     |

Normal variants are plain (untruncated) normals, as in the notes and PyTorch.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import registry
from ..errors import ConfigError


def _fans(shape: tuple[int, ...]) -> tuple[int, int]:
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = int(np.prod(shape[:-2])) if len(shape) > 2 else 1
    return shape[-2] * receptive, shape[-1] * receptive


class Initializer:
    """The base class of every initializer: ``init(shape, rng, dtype)`` draws a parameter's
    starting values on the host (NumPy), from the model's seeded generator.

    A subclass sets ``name`` and writes ``sample(shape, rng)``; register it with
    :func:`layerwise.register` to name it in a layer (``Dense(64, kernel_initializer="mine")``).
    For a kernel (n_in, n_out), fan_in = n_in and fan_out = n_out. The base class takes no
    constructor arguments.
    """

    name = "initializer"

    def __call__(self, shape, rng: np.random.Generator, dtype=np.float32) -> np.ndarray:
        """The starting values: ``sample(shape, rng)`` in ``dtype``.

        Parameters
        ----------
        shape : tuple of int
            The parameter's shape: (n_in, units) for a Dense kernel, (units,) for a bias.
        rng : numpy.random.Generator
            The generator to draw from (the model's, seeded by ``Sequential(seed=...)``).
        dtype : numpy dtype, default numpy.float32
            The returned array's dtype.

        Returns
        -------
        ndarray of shape ``shape``
            The values, on the host.
        """
        return np.asarray(self.sample(tuple(shape), rng), dtype=dtype)

    def sample(self, shape, rng):
        """Draw the values (float64); what a subclass writes.

        Parameters
        ----------
        shape : tuple of int
            The parameter's shape.
        rng : numpy.random.Generator
            The generator to draw from.

        Returns
        -------
        ndarray of shape ``shape``
            The values.
        """
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name}


class Zeros(Initializer):
    """Every value 0 (the default for biases). The name "zeros"; takes no constructor arguments."""

    name = "zeros"

    def sample(self, shape, rng):
        return np.zeros(shape)


class Ones(Initializer):
    """Every value 1. The name "ones"; takes no constructor arguments."""

    name = "ones"

    def sample(self, shape, rng):
        return np.ones(shape)


class Constant(Initializer):
    """Every value ``value``.

    Parameters
    ----------
    value : float, default 0.0
        The value.
    """

    name = "constant"

    def __init__(self, value: float = 0.0):
        self.value = float(value)

    def sample(self, shape, rng):
        return np.full(shape, self.value)

    def get_config(self):
        return {"name": self.name, "value": self.value}


class Normal(Initializer):
    """N(mean, stddev²); stddev = 1 is the notes' "large weight initializer".

    The name "normal" (also "large", "random_normal").

    Parameters
    ----------
    mean : float, default 0.0
        The distribution's mean.
    stddev : float, default 1.0
        Its standard deviation σ ≥ 0.
    """

    name = "normal"

    def __init__(self, mean: float = 0.0, stddev: float = 1.0):
        if not stddev >= 0:
            raise ConfigError(f"stddev must be >= 0, got {stddev}")
        self.mean, self.stddev = float(mean), float(stddev)

    def sample(self, shape, rng):
        return rng.normal(self.mean, self.stddev, size=shape)

    def get_config(self):
        return {"name": self.name, "mean": self.mean, "stddev": self.stddev}


def _truncated_normal(rng, stddev: float, shape, mean: float = 0.0):
    """N(mean, stddev²) with every draw beyond 2 standard deviations drawn again (Keras's rule)."""
    out = rng.normal(0.0, 1.0, size=shape)
    bad = np.abs(out) > 2.0
    while bad.any():
        out[bad] = rng.normal(0.0, 1.0, size=int(bad.sum()))
        bad = np.abs(out) > 2.0
    return mean + stddev * out


class TruncatedNormal(Normal):
    """N(mean, stddev²) truncated at ±2 stddev (redrawn), as Keras's TruncatedNormal (stddev 0.05).

    Parameters
    ----------
    mean : float, default 0.0
        The mean.
    stddev : float, default 0.05
        σ of the normal before truncation (the draws' own spread is about 0.88σ).
    """

    name = "truncated_normal"

    def __init__(self, mean: float = 0.0, stddev: float = 0.05):
        super().__init__(mean, stddev)

    def sample(self, shape, rng):
        return _truncated_normal(rng, self.stddev, shape, self.mean)


class Orthogonal(Initializer):
    """A (semi-)orthogonal matrix times ``gain``: the Q of a QR decomposition of a standard normal
    matrix, signs fixed by R's diagonal so that Q is uniformly distributed (Saxe et al.; Keras's
    Orthogonal). For a (n_in, units) kernel the columns (units ≤ n_in) or the rows are orthonormal.

    Parameters
    ----------
    gain : float, default 1.0
        The factor on the orthogonal matrix.
    """

    name = "orthogonal"

    def __init__(self, gain: float = 1.0):
        self.gain = float(gain)

    def sample(self, shape, rng):
        if len(shape) < 2:
            raise ConfigError(f"orthogonal initialisation needs a matrix, got shape {shape}")
        rows, cols = int(np.prod(shape[:-1])), int(shape[-1])
        a = rng.normal(0.0, 1.0, size=(max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q *= np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        return self.gain * q.reshape(shape)

    def get_config(self):
        return {"name": self.name, "gain": self.gain}


class _VarianceScaling(Initializer):
    scale = 1.0
    mode = "fan_in"  # or "fan_avg"
    distribution = "normal"

    def sample(self, shape, rng):
        fan_in, fan_out = _fans(shape)
        fan = fan_in if self.mode == "fan_in" else (fan_in + fan_out) / 2.0
        var = self.scale / max(1.0, fan)
        if self.distribution == "truncated_normal":  # the truncated draw's std is 0.8796·σ: scale it back
            return _truncated_normal(rng, math.sqrt(var) / 0.87962566103423978, shape)
        if self.distribution == "normal":
            return rng.normal(0.0, math.sqrt(var), size=shape)
        limit = math.sqrt(3.0 * var)
        return rng.uniform(-limit, limit, size=shape)


class ScaledNormal(_VarianceScaling):
    """N(0, 1/n_in): weights with std 1/√n_in (Nielsen's default_weight_initializer).

    The name "scaled_normal" (also "default"). Takes no constructor arguments.
    """

    name = "scaled_normal"


class LecunNormal(_VarianceScaling):
    """N(0, 1/fan_in) (LeCun; the initialisation SELU networks need). The same distribution as
    ``scaled_normal``. The name "lecun_normal"; takes no constructor arguments."""

    name = "lecun_normal"


class GlorotUniform(_VarianceScaling):
    """U(−l, l), l = √(6/(fan_in + fan_out)): variance 2/(fan_in + fan_out) (Glorot and Bengio,
    "Xavier"; Keras's default for Dense kernels). The name "glorot_uniform" (also
    "xavier_uniform"); takes no constructor arguments."""

    name = "glorot_uniform"
    mode, distribution = "fan_avg", "uniform"


class GlorotNormal(_VarianceScaling):
    """N(0, 2/(fan_in + fan_out)) (Glorot, "Xavier" normal). The name "glorot_normal" (also
    "xavier_normal"); takes no constructor arguments."""

    name = "glorot_normal"
    mode = "fan_avg"


class LecunUniform(_VarianceScaling):
    """U(−√(3/n_in), √(3/n_in)): variance 1/n_in (SELU networks' initialisation).

    The name "lecun_uniform". Takes no constructor arguments.
    """

    name = "lecun_uniform"
    distribution = "uniform"


class HeNormal(_VarianceScaling):
    """N(0, 2/fan_in) (He et al., "Kaiming"; what ReLU layers get with ``initializer="auto"``).
    The name "he_normal" (also "kaiming_normal"); takes no constructor arguments."""

    name = "he_normal"
    scale = 2.0


class HeUniform(_VarianceScaling):
    """U(−l, l), l = √(6/fan_in): variance 2/fan_in (He, "Kaiming" uniform). The name
    "he_uniform" (also "kaiming_uniform"); takes no constructor arguments."""

    name = "he_uniform"
    scale, distribution = 2.0, "uniform"


for _cls in (Zeros, Ones, Constant, Normal, LecunNormal, GlorotNormal, HeNormal):
    registry.register("initializer", _cls)
registry.register("initializer", ScaledNormal, aliases=("default",))
registry.register("initializer", GlorotUniform, aliases=("xavier_uniform",))
registry.register("initializer", HeUniform, aliases=("kaiming_uniform",))
registry.register("initializer", Normal, aliases=("large", "random_normal"))
registry.register("initializer", GlorotNormal, aliases=("xavier_normal",))
registry.register("initializer", HeNormal, aliases=("kaiming_normal",))
for _extra in (LecunUniform, TruncatedNormal, Orthogonal):
    registry.register("initializer", _extra)


def get(identifier: str | dict | Initializer) -> Initializer:
    """An initializer by name ("he_normal", "xavier_uniform", ...), config dict, or object.

    Parameters
    ----------
    identifier : str, dict or Initializer
        A registered name (case-insensitive, aliases included), a config dict
        ({"name": "normal", "stddev": 0.1}), or an Initializer (returned as it is).

    Returns
    -------
    Initializer
        The initializer. An unknown name or a bad argument raises ConfigError listing the choices.
    """
    return registry.resolve("initializer", identifier, Initializer)

registry.declare_base("initializer", Initializer)
