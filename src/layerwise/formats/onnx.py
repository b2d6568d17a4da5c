"""ONNX export (optional extra: pip install 'layerwise[onnx]').

    layerwise.export.to_onnx(model, "model.onnx")     # or: layerwise export MODEL model.onnx

Layer by layer, in inference mode:
  Dense      → Gemm (x·W + b), then the activation
  Activation → Sigmoid | Tanh | Relu | LeakyRelu(alpha) | Elu(alpha) | Selu | Softplus | HardSigmoid |
               Softmax(axis=-1) | Swish = x·Sigmoid(x) | GELU from Erf (or Tanh) | (linear: nothing)
  BatchNorm  → BatchNormalization with the moving statistics (γ = 1, β = 0 when scale/center are off)
  Dropout, Augment → nothing (identity at inference)
  Flatten    → Flatten(axis=1)
The graph has one input "input" of shape (batch, *input_shape) and one output "output".
"""
from __future__ import annotations

import numpy as np

from ..core import state as model_state
from ..core.backend import to_numpy
from ..core.layers import Activation, BatchNorm, Dense, Dropout, Flatten
from ..errors import ConfigError, LayerwiseError
from .atomic import atomic_write_bytes

OPSET = 17


def _onnx():
    try:
        import onnx
        from onnx import helper, numpy_helper
    except ImportError as exc:
        raise LayerwiseError("ONNX export needs the 'onnx' package: pip install 'layerwise[onnx]'") from exc
    return onnx, helper, numpy_helper


def _activation_nodes(helper, act, x: str, name: str, const=None) -> tuple[list, str]:
    """ONNX nodes for an activation: one operator where ONNX has it, else the formula from
    elementary operators (Swish = x·Sigmoid(x); GELU = ½x(1 + Erf(x/√2)) or its tanh form)."""
    op = {"sigmoid": "Sigmoid", "tanh": "Tanh", "relu": "Relu", "leaky_relu": "LeakyRelu", "elu": "Elu",
          "softmax": "Softmax", "selu": "Selu", "softplus": "Softplus", "hard_sigmoid": "HardSigmoid"}.get(act.name)
    out = f"{name}/{act.name}"
    if act.name == "linear":
        return [], x
    if act.name == "swish":
        return [helper.make_node("Sigmoid", [x], [f"{out}/s"], name=f"{out}/s"),
                helper.make_node("Mul", [x, f"{out}/s"], [out], name=out)], out
    if act.name == "gelu" and const is not None:
        c = lambda key, v: const(f"{out}/{key}", np.asarray(v))  # noqa: E731
        if act.approximate:  # ½x(1 + tanh(√(2/π)(x + 0.044715x³)))
            nodes = [helper.make_node("Mul", [x, x], [f"{out}/x2"]),
                     helper.make_node("Mul", [f"{out}/x2", c("k", 0.044715)], [f"{out}/kx2"]),
                     helper.make_node("Add", [f"{out}/kx2", c("one", 1.0)], [f"{out}/p"]),
                     helper.make_node("Mul", [x, f"{out}/p"], [f"{out}/u0"]),
                     helper.make_node("Mul", [f"{out}/u0", c("c", float(np.sqrt(2.0 / np.pi)))], [f"{out}/u"]),
                     helper.make_node("Tanh", [f"{out}/u"], [f"{out}/t"])]
            inner = f"{out}/t"
        else:  # ½x(1 + erf(x/√2))
            nodes = [helper.make_node("Mul", [x, c("r", 1.0 / np.sqrt(2.0))], [f"{out}/xr"]),
                     helper.make_node("Erf", [f"{out}/xr"], [f"{out}/t"])]
            inner = f"{out}/t"
        nodes += [helper.make_node("Add", [inner, c("one_b", 1.0)], [f"{out}/q"]),
                  helper.make_node("Mul", [x, f"{out}/q"], [f"{out}/xq"]),
                  helper.make_node("Mul", [f"{out}/xq", c("half", 0.5)], [out], name=out)]
        return nodes, out
    if op is None:
        raise ConfigError(f"ONNX export does not know activation {act.name!r}")
    attrs = {}
    if act.name in ("leaky_relu", "elu"):
        attrs["alpha"] = float(act.alpha)
    if act.name == "selu":
        attrs.update(alpha=float(act.ALPHA), gamma=float(act.SCALE))
    if act.name == "hard_sigmoid":
        attrs.update(alpha=1.0 / 6.0, beta=0.5)
    if act.name == "softmax":
        attrs["axis"] = -1
    return [helper.make_node(op, [x], [out], name=out, **attrs)], out


def to_onnx_model(model):
    """The ONNX ModelProto for a built model (checked with onnx.checker), with the weights the
    model predicts with (the EMA averages where it keeps them).

    A user layer exports when it defines ``onnx_nodes(helper, x, const) -> (nodes, output_name)``
    from ONNX operators (``const(name, array)`` adds an initializer and returns its name)."""
    onnx, helper, numpy_helper = _onnx()
    if not model.built:
        model.build()
    with model_state.averaged(model):
        return _graph(model, onnx, helper, numpy_helper)


def _graph(model, onnx, helper, numpy_helper):
    elem = onnx.TensorProto.FLOAT if model.dtype == np.float32 else onnx.TensorProto.DOUBLE
    nodes, inits = [], []
    x = "input"

    def const(name, array):
        inits.append(numpy_helper.from_array(np.ascontiguousarray(to_numpy(array)).astype(model.dtype), name))
        return name

    for layer in model.layers:
        n = layer.name
        if isinstance(layer, Dense):
            inputs = [x, const(f"{n}/kernel", layer.params["kernel"])]
            if layer.use_bias:
                inputs.append(const(f"{n}/bias", layer.params["bias"]))
            z = f"{n}/z"
            nodes.append(helper.make_node("Gemm", inputs, [z], name=f"{n}/gemm"))
            extra, x = _activation_nodes(helper, layer.activation, z, n, const=const)
            nodes += extra
        elif isinstance(layer, Activation):
            extra, x = _activation_nodes(helper, layer.activation, x, n, const=const)
            nodes += extra
        elif isinstance(layer, BatchNorm):
            c = layer.input_shape[-1]
            gamma = layer.params["gamma"] if layer.scale else np.ones(c)
            beta = layer.params["beta"] if layer.center else np.zeros(c)
            out = f"{n}/out"
            nodes.append(helper.make_node(
                "BatchNormalization",
                [x, const(f"{n}/gamma", gamma), const(f"{n}/beta", beta),
                 const(f"{n}/moving_mean", layer.state["moving_mean"]),
                 const(f"{n}/moving_variance", layer.state["moving_variance"])],
                [out], name=n, epsilon=float(layer.epsilon)))
            x = out
        elif isinstance(layer, Dropout) or type(layer).__name__ == "Augment":  # identity at inference
            continue
        elif isinstance(layer, Flatten):
            out = f"{n}/out"
            nodes.append(helper.make_node("Flatten", [x], [out], name=n, axis=1))
            x = out
        elif hasattr(layer, "onnx_nodes"):
            extra, x = layer.onnx_nodes(helper, x, lambda k, v, scope=n: const(f"{scope}/{k}", v))
            nodes += list(extra)
        else:
            raise ConfigError(f"ONNX export does not know layer type {type(layer).__name__} (layer {n!r}); "
                              "give the class a method onnx_nodes(helper, x, const) -> (nodes, output_name) "
                              "built from ONNX operators")
    nodes.append(helper.make_node("Identity", [x], ["output"], name="output"))
    graph = helper.make_graph(
        nodes, model.name,
        [helper.make_tensor_value_info("input", elem, ["batch", *model.input_shape])],
        [helper.make_tensor_value_info("output", elem, ["batch", *model.output_shape])],
        initializer=inits)
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="layerwise")
    proto.ir_version = min(proto.ir_version, 9)  # readable by onnxruntime releases of the last years
    onnx.checker.check_model(proto)
    return proto


def to_onnx(model, path) -> None:
    """Write the model as an ONNX file (atomically).

    Needs the ``onnx`` extra (``pip install 'layerwise[onnx]'``). The graph computes the model's
    inference: one input "input" of shape (batch, *input_shape), one output "output"; the weights
    are those the model predicts with (its EMA averages, where it keeps them).

    Parameters
    ----------
    model : Sequential
        The model (built on first use if it is not). Every layer must be a built-in one or define
        ``onnx_nodes(helper, x, const)``.
    path : str or pathlib.Path
        The file to write (``.onnx``); an existing file is replaced only once the new one is
        complete.
    """
    atomic_write_bytes(path, to_onnx_model(model).SerializeToString())
