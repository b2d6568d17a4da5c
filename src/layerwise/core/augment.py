"""Data augmentation as a layer (the notes' 数据集增强: shift, rotate, scale, change the lighting).

``Augment`` sits first in a model of images (flat rows of h·w pixels, or (h, w) arrays). In
training each image of a batch gets its own random affine warp and lighting change; at
inference (evaluate, predict, export) it is the identity. Per image, drawn from the model's
seeded generator (so runs repeat exactly and checkpoints resume bit-identically mid-epoch):

    rotation θ ~ U(−rotation, rotation) degrees     zoom s ~ U(1 − zoom, 1 + zoom)
    shift t ~ U(−shift, shift)·(h, w)                flip (when ``flip=True``) with probability ½
    x ← (x_warped − mean)·c + mean + b,  c ~ U(1 − contrast, 1 + contrast), b ~ U(−brightness, brightness)

The warp samples each output pixel p at A⁻¹(p − centre − t) + centre by bilinear interpolation,
zero outside the image. It runs as one Numba kernel over the whole batch (SciPy's
``map_coordinates`` over the batch stack when Numba is missing): no Python loop per image.
Horizontal flips are off by default: digits must not be mirrored.
"""
from __future__ import annotations

import math

import numpy as np

from .. import registry, settings
from ..errors import ConfigError
from .backend import to_numpy
from .layers import Layer


def _warp_numpy(x, inv, shift, out):
    """The same warp with SciPy (x: (m, h, w)); ``inv`` (m, 2, 2), ``shift`` (m, 2)."""
    from scipy import ndimage
    m, h, w = x.shape
    c = np.array([(h - 1) / 2.0, (w - 1) / 2.0])
    rr, cc = np.meshgrid(np.arange(h, dtype=np.float64), np.arange(w, dtype=np.float64), indexing="ij")
    d = np.stack([rr - c[0], cc - c[1]])[None] - shift[:, :, None, None]           # (m, 2, h, w)
    src = np.einsum("mij,mjhw->mihw", inv, d) + c[None, :, None, None]
    coords = np.concatenate([np.broadcast_to(np.arange(m, dtype=np.float64)[:, None, None, None], (m, 1, h, w)),
                             src], axis=1).transpose(1, 0, 2, 3)
    out[...] = ndimage.map_coordinates(x, coords, order=1, mode="grid-constant", cval=0.0)


_KERNEL = None


def _warp_kernel():
    global _KERNEL
    if _KERNEL is None:
        _KERNEL = False
        if settings.get("LAYERWISE_FUSED"):
            try:
                from ._warp_kernel import warp
                _KERNEL = warp
            except ImportError:  # pragma: no cover - numba is a dependency
                pass
    return _KERNEL


class Augment(Layer):
    """Random shifts, rotations, zooms, flips, brightness and contrast, per image, in training only."""

    def param_shapes(self, input_shape):
        return {}

    def state_shapes(self, input_shape):
        return {}

    def __init__(self, shift: float = 0.1, rotation: float = 10.0, zoom: float = 0.1, brightness: float = 0.0,
                 contrast: float = 0.0, flip: bool = False, image_shape=None, **kwargs):
        super().__init__(**kwargs)
        checks = {"shift": (shift, 0.0, 0.5), "rotation": (rotation, 0.0, 180.0), "zoom": (zoom, 0.0, 0.9),
                  "brightness": (brightness, 0.0, 1.0), "contrast": (contrast, 0.0, 1.0)}
        for name, (v, lo, hi) in checks.items():
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not lo <= float(v) <= hi:
                raise ConfigError(f"Augment {name} must be a number in [{lo}, {hi}], got {v!r}")
        if not isinstance(flip, (bool, np.bool_)):
            raise ConfigError(f"Augment flip must be true or false, got {flip!r}")
        self.shift, self.rotation, self.zoom = float(shift), float(rotation), float(zoom)
        self.brightness, self.contrast, self.flip = float(brightness), float(contrast), bool(flip)
        if image_shape is not None:
            if (not isinstance(image_shape, (tuple, list)) or len(image_shape) != 2
                    or not all(isinstance(s, (int, np.integer)) and s > 0 for s in image_shape)):
                raise ConfigError(f"Augment image_shape must be (height, width), got {image_shape!r}")
            image_shape = (int(image_shape[0]), int(image_shape[1]))
        self.image_shape = image_shape
        self.rng: np.random.Generator | None = None

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def build(self, input_shape, rng, dtype=np.float32, xp=np):
        super().build(input_shape, rng, dtype, xp)
        self.rng = rng
        shape = tuple(self.input_shape)
        if len(shape) == 2:
            hw = shape
        elif self.image_shape is not None and len(shape) == 1 and self.image_shape[0] * self.image_shape[1] == shape[0]:
            hw = self.image_shape
        else:
            side = int(round(math.sqrt(shape[0]))) if len(shape) == 1 else 0
            if len(shape) == 1 and side * side == shape[0] and self.image_shape is None:
                hw = (side, side)  # square images: 784 → 28 × 28
            else:
                given = "" if self.image_shape is None else f" and image_shape={self.image_shape}"
                raise ConfigError(f"Augment needs images: inputs of shape (h, w), or flat rows with image_shape=(h, w) "
                                  f"(got inputs of shape {shape}{given})")
        self.hw = hw

    def draw(self, m: int) -> dict[str, np.ndarray]:
        """This batch's random parameters (from the model's generator, always the same count)."""
        assert self.rng is not None, "Augment draws once built (build sets the generator)"
        u = self.rng.random((m, 7))
        return {"theta": np.deg2rad((2 * u[:, 0] - 1) * self.rotation), "zoom": 1 + (2 * u[:, 1] - 1) * self.zoom,
                "shift": (2 * u[:, 2:4] - 1) * self.shift * np.array(self.hw, dtype=np.float64),
                "flip": (u[:, 4] < 0.5) & self.flip, "contrast": 1 + (2 * u[:, 5] - 1) * self.contrast,
                "brightness": (2 * u[:, 6] - 1) * self.brightness}

    def apply(self, x, params) -> np.ndarray:
        """The augmented batch (a new array) for given parameters."""
        m = x.shape[0]
        h, w = self.hw
        imgs = np.ascontiguousarray(x.reshape(m, h, w))
        cos, sin, s = np.cos(params["theta"]), np.sin(params["theta"]), params["zoom"]
        inv = np.empty((m, 2, 2))  # (rotation · zoom)⁻¹, with the column mirrored for a flip
        inv[:, 0, 0], inv[:, 0, 1] = cos / s, sin / s
        inv[:, 1, 0], inv[:, 1, 1] = -sin / s, cos / s
        inv[params["flip"], :, 1] *= -1
        out = np.empty_like(imgs)
        kernel = _warp_kernel()
        if kernel:
            kernel(imgs, inv, np.ascontiguousarray(params["shift"]), out)
        else:
            _warp_numpy(imgs, inv, params["shift"], out)
        if self.contrast or self.brightness:
            mean = out.mean(axis=(1, 2), keepdims=True)
            out -= mean
            out *= params["contrast"][:, None, None].astype(out.dtype)
            out += mean + params["brightness"][:, None, None].astype(out.dtype)
        return out.reshape(x.shape)

    def forward(self, x, training=False):
        if not training:
            return x
        out = self.apply(to_numpy(x), self.draw(x.shape[0]))
        return self.xp.asarray(out)  # the same array on the CPU

    def backward(self, dy, need_input_grad=True):
        """Not differentiated: augmentation sits at the input, where no gradient is needed."""
        if need_input_grad:
            raise ConfigError("Augment must be the first layer of a model (nothing below it is trained)")
        return None

    def get_config(self):
        cfg = super().get_config()
        cfg.update(shift=self.shift, rotation=self.rotation, zoom=self.zoom, brightness=self.brightness,
                   contrast=self.contrast, flip=self.flip,
                   image_shape=list(self.image_shape) if self.image_shape else None)
        return cfg


registry.register("layer", Augment)
