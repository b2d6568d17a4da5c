"""Fused update kernels for the GPU (CuPy ElementwiseKernels), compiled on first use."""
from __future__ import annotations


_KERNELS: dict = {}


def adam_kernel():
    """Adam's update as one fused CuPy kernel (same arithmetic as optimizers.Adam.apply)."""
    if "adam" not in _KERNELS:
        import cupy
        _KERNELS["adam"] = cupy.ElementwiseKernel(
            "T g, T b1, T b2, T eps, T step, T c2", "T p, T m, T v",
            """
            m = m * b1 + g * (1 - b1);
            v = v * b2 + (g * g) * (1 - b2);
            p = p - (m / (sqrt(v) * c2 + eps)) * step;
            """,
            "layerwise_adam")
    return _KERNELS["adam"]
