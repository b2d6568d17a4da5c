"""The step as a program: a model's forward and backward lowered once per fit onto fixed buffers.

For each Dense layer (z = x·W + b, a = f(z)) the program holds its buffers and three products,
registered once on the lanes (``core/lanes.py``) with the buffers' addresses::

    forward    z = x·W                   (lanes: halves of the batch or of the units, one BLAS call each)
               a = f(z + b)              (one fused pass: core/dense_kernels.bias_activation)
    backward   δ = dy ⊙ f'(a), ∂L/∂b = Σ_rows δ   (one fused pass: activation_backward_bias)
               ∂L/∂W = xᵀ·δ              (lanes)
               dx = δ·Wᵀ                 (lanes, written straight into the δ buffer of the Dense below)

so the Dense layers of a step are a fixed sequence of kernel calls over buffers allocated once.
The loss and the other layers (BatchNorm, Dropout, ...) run their own ``forward``/``backward`` in
the same sequence. Every pass is the same arithmetic as the layers' reference ``forward``/``backward`` with
single-threaded BLAS, so a fit with the program equals one without it bit for bit
(``tests/test_program.py``), and two runs agree however many lanes ran and however busy the machine.

Used by ``fit`` for models of at least ``fused.MIN_SIZE`` parameters on the CPU when the compiled
lanes exist (``LAYERWISE_PROGRAM=0`` turns it off). Smaller models keep the reference path, whose
start-up costs nothing.
"""
from __future__ import annotations

from contextlib import ExitStack
from typing import Any

import numpy as np

from .. import settings
from ..core import lanes
from ..core.backend import is_device
from ..core.layers import Dense
from ..optim.fused import MIN_SIZE

_NO_BIAS = {np.dtype(np.float32): np.zeros(0, np.float32), np.dtype(np.float64): np.zeros(0, np.float64)}


def wanted(model) -> bool:
    """The program suits this model: CPU, float32/float64, large enough, the lanes and Numba present."""
    if not settings.get("LAYERWISE_PROGRAM"):
        return False
    if is_device(model.backend_name) or np.dtype(model.dtype) not in _NO_BIAS:
        return False
    if not any(isinstance(layer, Dense) for layer in model.layers):
        return False
    if sum(int(p.size) for p in model.flat_params) < MIN_SIZE or not lanes.available():
        return False
    from ..optim import fused
    return fused.available()


class DenseProgram:
    """One Dense layer's part of the program: its buffers (for up to ``rows`` samples) and products."""

    def __init__(self, layer: Dense, rows: int, products: lanes.Products, below: DenseProgram | None):
        from ..core import dense_kernels as kernels
        self.layer, self.products, self.kernels = layer, products, kernels
        act = layer.activation
        self.kind = kernels.kind_of(act)
        self.alpha = kernels.alpha_of(act)
        self.exact_forward = self.kind in kernels.EXACT_FORWARD
        self.needs_input = bool(act.needs_input)
        dtype = layer.dtype
        assert layer.input_shape is not None  # built
        units, n_in = layer.units, layer.input_shape[0]
        self.z = np.empty((rows, units), dtype)
        self.a = np.empty((rows, units), dtype) if self.needs_input else self.z
        self.d = np.empty((rows, units), dtype)           # dy, overwritten by δ
        # dx goes straight into the δ buffer of the Dense below (no copy); else into its own buffer
        self.below = below
        self.dx = below.d if below is not None else np.empty((rows, n_in), dtype)
        self.no_bias = _NO_BIAS[np.dtype(dtype)]
        self._by_input: dict[tuple, tuple[int, int, int]] = {}
        self._last: tuple = (None, None, None)   # (x, kernel, ids) of the last step: the per-step fast path
        self._rows: dict[int, tuple] = {}        # m -> (z, a, d, dx) views, the same objects every step
        self.xin: np.ndarray | None = None        # the input, copied, when it moves every step
        self._xin_views: dict[int, np.ndarray] = {}

    def _stable(self, x):
        """(x, product ids): x itself when it is a buffer that stays put (the batch, a Dense's output),
        else x copied into this layer's own input buffer (a Dropout's or BatchNorm's output is a new
        array every step: registering each would grow the table without end)."""
        kernel, grad = self.layer.params["kernel"], self.layer.grads["kernel"]
        last_x, last_kernel, ids = self._last
        if x is last_x and kernel is last_kernel:  # the same buffer views as last step (batches, layers below)
            return x, ids
        m = x.shape[0]
        key = (x.__array_interface__["data"][0], m, x.strides, kernel.ctypes.data, grad.ctypes.data)
        ids = self._by_input.get(key)
        if ids is None and len(self._by_input) >= 4:  # inputs that move: from now on, copied
            if self.xin is None:
                self.xin = np.empty((self.z.shape[0], x.shape[1]), self.z.dtype)
            held = self._xin_views.setdefault(m, self.xin[:m])
            np.copyto(held, x)
            x = held
            key = (x.__array_interface__["data"][0], m, x.strides, kernel.ctypes.data, grad.ctypes.data)
            ids = self._by_input.get(key)
        if ids is None:
            ids = (self.products.add(x, kernel, self.z[:m]), self.products.add(x.T, self.d[:m], grad),
                   self.products.add(self.d[:m], kernel.T, self.dx[:m]))
            self._by_input[key] = ids
        if self.xin is None or x is not self._xin_views.get(m):
            self._last = (x, kernel, ids)
        return x, ids

    def views(self, m: int) -> tuple:
        """(z, a, d, dx) for a batch of m rows: the same view objects every step."""
        views = self._rows.get(m)
        if views is None:
            dx = self.below.views(m)[2] if self.below is not None else self.dx[:m]  # the very δ view below
            views = self._rows[m] = (self.z[:m], self.a[:m], self.d[:m], dx)
        return views

    def forward(self, x):
        if not (x.flags.c_contiguous and x.dtype == self.z.dtype):
            x = np.ascontiguousarray(x, dtype=self.z.dtype)
        z, a_buf, _, _ = self.views(x.shape[0])
        x, self.ids = self._stable(x)
        self.products.run(self.ids[0])
        layer = self.layer
        bias = layer.params.get("bias", self.no_bias)
        if self.exact_forward:
            self.kernels.bias_activation(z, bias, self.kind, self.alpha)
            a = z
        else:  # the bias here, then the activation's own ufunc (the reference's exact bits)
            if layer.use_bias:
                z += bias
            a = layer.activation.value(z, out=a_buf if self.needs_input else z)
        layer.keep(x, a, z if self.needs_input else None)
        return a

    def backward(self, dy, need_input_grad: bool = True, from_z: bool = False):
        """dy = ∂L/∂a (or δ = ∂L/∂z with ``from_z``); fills the layer's grads; returns ∂L/∂x."""
        layer = self.layer
        z, _, d, dx = self.views(dy.shape[0])
        if dy is not d and dy.__array_interface__["data"][0] != d.__array_interface__["data"][0]:
            np.copyto(d, dy)
        a = layer.last_output
        gb = layer.grads.get("bias", self.no_bias)
        if from_z:
            self.kernels.activation_backward_bias(d, a, gb, self.kernels.LINEAR, 0.0)
        elif self.kind is not None:
            self.kernels.activation_backward_bias(d, a, gb, self.kind, self.alpha)
        else:  # softmax without the fused loss, GELU, Swish, a user's activation: its own backward
            act: Any = layer.activation
            if self.needs_input:
                act.backward(d, a, out=d, z=z)
            else:
                act.backward(d, a, out=d)
            if layer.use_bias:
                d.sum(axis=0, out=gb)
        self.products.run(self.ids[1])
        layer.add_regularizer_gradients()
        if not need_input_grad:
            return None
        self.products.run(self.ids[2])
        return dx


class StepProgram:
    """The model's step as a program (see the module docstring); ``forward``/``backward`` stand in
    for the model's in the training step. ``close()`` gives the BLAS its threads back."""

    def __init__(self, model, rows: int):
        self.model, self.rows, self.reference = model, rows, False
        self.products = lanes.Products()
        self.parts: list[Any] = []
        below: DenseProgram | None = None
        for layer in model.layers:
            part = DenseProgram(layer, rows, self.products, below) if type(layer) is Dense else None
            self.parts.append(part)
            below = part
        self._exit = ExitStack()
        self._exit.enter_context(lanes.single_threaded_blas())

    def forward(self, x):
        self.reference = x.shape[0] > self.rows  # a batch larger than the fit's: the layers' own passes
        if self.reference:
            return self.model.forward(x, training=True)
        for layer, part in zip(self.model.layers, self.parts):
            x = part.forward(x) if part is not None else layer.forward(x, training=True)
        return x

    def backward(self, grad_out, fused: bool = False) -> None:
        """As ``Sequential.backward``: from the output down to the lowest trainable layer."""
        if self.reference:
            return self.model.backward(grad_out, fused=fused)
        layers, parts = self.model.layers, self.parts
        stop = self.model.first_trainable
        top = len(layers) - 1
        dy = grad_out
        for i in range(top, stop - 1, -1):
            from_z = fused and i == top
            if parts[i] is not None:
                dy = parts[i].backward(dy, i > stop, from_z=from_z)
            elif from_z:
                dy = layers[i].backward_from_z(dy, i > stop)
            else:
                dy = layers[i].backward(dy, i > stop)

    def close(self) -> None:
        self._exit.close()


def program_for(model, rows: int) -> StepProgram | None:
    """The step program for a fit of ``rows`` samples per batch, or None (the reference path)."""
    return StepProgram(model, rows) if wanted(model) else None
