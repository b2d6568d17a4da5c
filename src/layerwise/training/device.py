"""Training steps on a GPU (the CuPy backend) without host round trips.

Everything a step needs stays on the device: the data set, the shuffled order, the batch
buffers and the running loss and accuracy, which are read back once per epoch (or when a
checkpoint is written). The host only enqueues kernels, so it runs ahead of the GPU.

Not done here: replaying the step as a CUDA graph. CuPy (14.x) refuses cuBLAS calls while a
stream is being captured ("calling cuBLAS API during stream capture is currently
unsupported"), and every Dense layer's matrix products go through cuBLAS.
"""
from __future__ import annotations

import numpy as np

from ..core.layers import Dense
class DeviceStepper:
    def __init__(self, model, xd, yd, batch_size: int, steps: int):
        import cupy
        self.cp = cupy
        self.model, self.xd, self.yd = model, xd, yd
        self.bs, self.steps = batch_size, steps
        self.loss_acc = cupy.zeros((), dtype=cupy.float64)
        self.correct_acc = cupy.zeros((), dtype=cupy.int64)
        self.xbuf = cupy.empty((batch_size,) + xd.shape[1:], dtype=xd.dtype)
        self.ybuf = cupy.empty((batch_size,) + yd.shape[1:], dtype=yd.dtype)

    def begin_epoch(self, order: np.ndarray, first_step: int, loss_sum=0.0, correct=0) -> None:
        self.order_d = self.cp.asarray(order)
        self.loss_acc.fill(loss_sum)
        self.correct_acc.fill(correct)

    def step(self, step: int) -> int:
        """Run step ``step`` of the epoch (gather, forward, loss, backward, update); returns the batch size."""
        cp, model = self.cp, self.model
        start = step * self.bs
        m = min(self.bs, len(self.xd) - start)
        idx = self.order_d[start:start + m]
        xb, yb = self.xbuf[:m], self.ybuf[:m]
        cp.take(self.xd, idx, axis=0, out=xb)
        cp.take(self.yd, idx, axis=0, out=yb)
        out = model.forward(xb, training=True)
        loss = model.loss.value_array(out, yb)
        for layer in model.layers:
            if isinstance(layer, Dense):
                if layer.kernel_regularizer is not None:
                    loss = loss + layer.kernel_regularizer.penalty_array(layer.params["kernel"])
                if layer.use_bias and layer.bias_regularizer is not None:
                    loss = loss + layer.bias_regularizer.penalty_array(layer.params["bias"])
        self.loss_acc += loss * m
        if "accuracy" in model.metrics:
            truth = yb if yb.ndim == 1 else yb.argmax(axis=1)
            pred = out.argmax(axis=1) if out.shape[1] > 1 else (out[:, 0] > 0.5).astype(cp.int64)
            self.correct_acc += (pred == truth).sum()
        if model.halt_on_nonfinite and not bool(cp.isfinite(loss)):  # TerminateOnNaN asked for per-step checks
            model.nonfinite_report = model._locate_nonfinite(out, float(loss))
            return m
        model.backward_and_update(out, yb)
        return m

    def sums(self) -> tuple[float, int]:
        """The epoch's running loss sum and correct count (one device-to-host read)."""
        return float(self.loss_acc), int(self.correct_acc)
