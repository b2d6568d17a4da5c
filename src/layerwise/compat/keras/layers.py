"""keras.layers: the dense layers layerwise has, under Keras's names and arguments."""
from __future__ import annotations

import numpy as np

from ...core import layers as L
from ...errors import ConfigError
from ._common import FUNCTIONAL, USE_SEQUENTIAL, keras_name, next_seed, refuse, refuse_name


class Input:
    """keras.Input(shape=...): only its shape is used (the first layer's input).

    Give it first in ``keras.Sequential([keras.Input(shape=(4,)), ...])``; calling a layer on it
    (the functional API) is refused.

    Parameters
    ----------
    shape : int or tuple of int
        One sample's shape, without the batch axis: ``(features,)`` or ``(height, width)``.
        Required.
    batch_size, dtype, name : optional
        Keras's arguments, accepted and ignored.
    **kwargs
        Other Keras arguments, accepted and ignored.
    """

    def __init__(self, shape=None, batch_size=None, dtype=None, name=None, **kwargs):
        if shape is None:
            raise ConfigError("keras.Input needs shape=(features,) (or (height, width))")
        self.shape = tuple(int(s) for s in (shape if isinstance(shape, (tuple, list)) else (shape,)))

    def __repr__(self):
        return f"keras.Input(shape={self.shape})"


def symbolic(x) -> bool:
    """Whether ``x`` is what the functional API passes between layers (keras.Input, a list of them)."""
    return isinstance(x, Input) or (isinstance(x, (list, tuple, dict)) and
                                    any(isinstance(v, Input) for v in (x.values() if isinstance(x, dict) else x)))


class _EagerCallOnly:
    """Calling a layer on arrays runs it (as in Keras); calling it on keras.Input is the functional
    API, refused at that call by name."""

    def __call__(self, x, training=False, **kwargs):
        if symbolic(x):
            refuse(FUNCTIONAL, USE_SEQUENTIAL)
        if not self.built:  # as Keras: the first call on arrays builds the layer for their shape
            x = np.asarray(x, dtype=np.float32)
            self.build(x.shape[1:], np.random.default_rng(next_seed()), np.float32, np)
        return super().__call__(x, training=bool(training))


def _keras_class(base: type) -> type:
    # keeps the base's __name__: configs ("class_name"), automatic layer names and the summary
    # read it, so a model of these layers saves, loads and prints as one of the core layers; the
    # __qualname__ names this module's attribute, so pickling finds the class
    cls = type(base.__name__, (_EagerCallOnly, base), {"__module__": __name__, "__doc__": base.__doc__})
    cls.__qualname__ = f"_Keras{base.__name__}"
    return cls


_KerasDense, _KerasDropout, _KerasFlatten, _KerasBatchNorm, _KerasActivation = (
    _keras_class(c) for c in (L.Dense, L.Dropout, L.Flatten, L.BatchNorm, L.Activation))
KERAS_CLASS = {L.Dense: _KerasDense, L.Dropout: _KerasDropout, L.Flatten: _KerasFlatten,
               L.BatchNorm: _KerasBatchNorm, L.Activation: _KerasActivation}


def _keras_layer_args(kwargs: dict) -> dict:
    """Keras's per-layer keywords that layerwise layers take under the same name."""
    out = {}
    if "input_shape" in kwargs:
        out["input_shape"] = tuple(kwargs.pop("input_shape"))
    if "input_dim" in kwargs:
        out["input_shape"] = (int(kwargs.pop("input_dim")),)
    for key in ("name", "trainable"):
        if key in kwargs:
            out[key] = kwargs.pop(key)
    kwargs.pop("dtype", None)
    if kwargs:
        raise ConfigError(f"unsupported layer argument(s): {', '.join(sorted(kwargs))}")
    return out


def Dense(units, activation=None, use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
          kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
          bias_constraint=None, **kwargs):
    if activity_regularizer is not None:
        refuse("activity_regularizer")
    return _KerasDense(units, activation, use_bias=use_bias,
                       kernel_initializer=keras_name("initializer", kernel_initializer),
                       bias_initializer=keras_name("initializer", bias_initializer),
                       kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
                       kernel_constraint=kernel_constraint, bias_constraint=bias_constraint,
                       **_keras_layer_args(kwargs))


def Dropout(rate, noise_shape=None, seed=None, **kwargs):
    if noise_shape is not None:
        refuse("Dropout(noise_shape=...)")
    return _KerasDropout(rate, **_keras_layer_args(kwargs))


def Flatten(data_format=None, **kwargs):
    return _KerasFlatten(**_keras_layer_args(kwargs))


def BatchNormalization(axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True, beta_regularizer=None,
                       gamma_regularizer=None, **kwargs):
    if axis not in (-1, 1):
        refuse(f"BatchNormalization(axis={axis})")
    return _KerasBatchNorm(momentum=momentum, epsilon=epsilon, center=center, scale=scale,
                           beta_regularizer=beta_regularizer, gamma_regularizer=gamma_regularizer,
                           **_keras_layer_args(kwargs))


def Activation(activation, **kwargs):
    return _KerasActivation(activation, **_keras_layer_args(kwargs))


def Softmax(axis=-1, **kwargs):
    if axis != -1:
        refuse(f"Softmax(axis={axis})")
    return _KerasActivation("softmax", **_keras_layer_args(kwargs))


def ReLU(max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
    if max_value is not None or threshold:
        refuse("ReLU(max_value/threshold)")
    act = "relu" if not negative_slope else {"name": "leaky_relu", "alpha": negative_slope}
    return _KerasActivation(act, **_keras_layer_args(kwargs))


def LeakyReLU(negative_slope=0.3, **kwargs):
    kwargs.pop("alpha", None)
    return _KerasActivation({"name": "leaky_relu", "alpha": negative_slope}, **_keras_layer_args(kwargs))


def InputLayer(shape=None, input_shape=None, **kwargs):
    return Input(shape if shape is not None else input_shape)


OUT_OF_SCOPE_LAYERS = ("Conv1D", "Conv2D", "Conv3D", "Conv2DTranspose", "SeparableConv2D", "DepthwiseConv2D",
                       "MaxPooling1D", "MaxPooling2D", "AveragePooling2D", "GlobalAveragePooling2D",
                       "GlobalMaxPooling2D", "LSTM", "GRU", "SimpleRNN", "Bidirectional", "Embedding",
                       "Attention", "MultiHeadAttention", "Concatenate", "Add", "Lambda", "Reshape",
                       "TimeDistributed", "Conv1DTranspose", "UpSampling2D", "ZeroPadding2D")



def __getattr__(name):
    if name in OUT_OF_SCOPE_LAYERS or name[:1].isupper():
        refuse_name(f"layers.{name}")
    raise AttributeError(name)
