"""Augmentation: per-image random warps and lighting in training, identity at inference, seeded
from the model's generator (runs repeat; checkpoints resume exactly), one kernel per batch."""
from __future__ import annotations

import numpy as np
import pytest

import layerwise as lw
from layerwise.core import augment as A
from layerwise.errors import ConfigError


def _layer(**kw):
    layer = lw.Augment(**kw)
    layer.build((64,), np.random.default_rng(0))
    return layer


def _batch(m=5, seed=0):
    return np.random.default_rng(seed).random((m, 64)).astype(np.float32)


def test_identity_parameters_give_the_images_back():
    layer = _layer(shift=0, rotation=0, zoom=0)
    x = _batch()
    np.testing.assert_allclose(layer.forward(x, training=True), x, atol=1e-6)
    assert layer.forward(x, training=False) is x


def test_whole_pixel_shift_moves_the_image_and_fills_zeros():
    layer = _layer()
    x = _batch(1)
    params = {"theta": np.zeros(1), "zoom": np.ones(1), "shift": np.array([[2.0, -1.0]]), "flip": np.zeros(1, bool),
              "contrast": np.ones(1), "brightness": np.zeros(1)}
    out = layer.apply(x, params).reshape(8, 8)
    img = x.reshape(8, 8)
    expected = np.zeros_like(img)
    expected[2:, :7] = img[:6, 1:]
    np.testing.assert_allclose(out, expected, atol=1e-6)


def test_flip_mirrors_columns_and_rotation_by_90_degrees_turns_the_image():
    layer = _layer()
    x = _batch(1)
    base = {"zoom": np.ones(1), "shift": np.zeros((1, 2)), "contrast": np.ones(1), "brightness": np.zeros(1)}
    flipped = layer.apply(x, {**base, "theta": np.zeros(1), "flip": np.ones(1, bool)})
    np.testing.assert_allclose(flipped.reshape(8, 8), x.reshape(8, 8)[:, ::-1], atol=1e-6)
    turned = layer.apply(x, {**base, "theta": np.array([np.pi / 2]), "flip": np.zeros(1, bool)})
    np.testing.assert_allclose(turned.reshape(8, 8), np.rot90(x.reshape(8, 8), k=1), atol=1e-5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_numba_kernel_gives_the_bits_of_the_xp_warp_and_scipy_its_values(dtype):
    """The warp is written once with xp (the XLA engine traces it); the NumPy engine's Numba kernel
    (which steps the coordinates along each row) equals it to rounding, and both equal SciPy's
    bilinear map_coordinates."""
    from scipy import ndimage
    if not A._warp_kernel():
        pytest.skip("Numba not available")
    layer = _layer(shift=0.2, rotation=30, zoom=0.2, flip=True)
    x = _batch(16).astype(dtype)
    p = layer.draw(16)
    ours = layer.apply(x, p)
    A._KERNEL, saved = False, A._KERNEL
    try:
        xp_warp = layer.apply(x, p)
    finally:
        A._KERNEL = saved
    np.testing.assert_allclose(ours, xp_warp, rtol=0, atol=1e-6 if dtype == np.float32 else 1e-13)
    no_flip = {**p, "flip": np.zeros(16, bool)}
    cos, sin, s = np.cos(p["theta"]), np.sin(p["theta"]), p["zoom"]
    inv = np.stack([np.stack([cos / s, sin / s], -1), np.stack([-sin / s, cos / s], -1)], -2)
    rr, cc = np.meshgrid(np.arange(8.0), np.arange(8.0), indexing="ij")
    d = np.stack([rr - 3.5, cc - 3.5])[None] - p["shift"][:, :, None, None]
    src = np.einsum("mij,mjhw->mihw", inv, d) + 3.5
    ref = np.stack([ndimage.map_coordinates(img, c, order=1, mode="grid-constant", cval=0.0)
                    for img, c in zip(x.reshape(16, 8, 8), src)])
    np.testing.assert_allclose(layer.apply(x, no_flip).reshape(16, 8, 8), ref, atol=1e-5)


def test_the_xp_warp_traced_by_jax_equals_numpy_to_rounding():
    jnp = pytest.importorskip("jax.numpy")
    layer = _layer(shift=0.2, rotation=30, zoom=0.2, brightness=0.1, contrast=0.3, flip=True)
    x = _batch(16)
    u = np.random.default_rng(3).random((16, 7))
    want = layer.apply(x, layer.params_of(u))
    got = np.asarray(layer.apply(jnp.asarray(x), layer.params_of(jnp.asarray(u, dtype=jnp.float32))))
    np.testing.assert_allclose(got, want, atol=2e-5)


def test_lighting_changes_contrast_and_brightness_per_image():
    layer = _layer(shift=0, rotation=0, zoom=0, brightness=0.2, contrast=0.5)
    x = _batch(50)
    out = layer.forward(x, training=True)
    means_moved = np.abs(out.mean(axis=1) - x.mean(axis=1))
    assert means_moved.max() > 0.05 and means_moved.max() <= 0.2 + 1e-6
    assert not np.allclose(out.std(axis=1), x.std(axis=1))


def test_bad_settings_are_refused():
    with pytest.raises(ConfigError, match="rotation must be a number in"):
        lw.Augment(rotation=400)
    layer = lw.Augment()
    with pytest.raises(ConfigError, match="Augment needs images"):
        layer.build((10,), np.random.default_rng(0))


def _model(seed=0):
    m = lw.Sequential([lw.Augment(shift=0.1, rotation=15, zoom=0.1, brightness=0.1, contrast=0.1),
                       lw.Dense(16, "relu"), lw.Dense(3, "softmax")], input_shape=(64,), seed=seed)
    m.compile(lw.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


def test_training_repeats_exactly_and_resumes_bit_identically(tmp_path):
    x, y = _batch(96), np.random.default_rng(1).integers(0, 3, 96)
    a = _model()
    a.fit(x, y, epochs=2, batch_size=16, verbose=0)
    b = _model()
    b.fit(x, y, epochs=2, batch_size=16, verbose=0)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)

    class Stop(lw.callbacks.Callback):
        def __init__(self, armed):
            super().__init__()
            self.armed = armed

        def on_batch_end(self, batch, logs=None):
            if self.armed and self.model.optimizer.iterations == 9:
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _model().fit(x, y, epochs=2, batch_size=16, verbose=0, checkpoint=tmp_path / "c", checkpoint_every=2,
                     callbacks=[Stop(True)])
    c = _model()
    c.fit(x, y, epochs=2, batch_size=16, verbose=0, checkpoint=tmp_path / "c", resume=True, callbacks=[Stop(False)])
    for wa, wc in zip(a.get_weights(), c.get_weights()):
        np.testing.assert_array_equal(wa, wc)


def test_saved_models_keep_the_layer_and_predict_without_it(tmp_path):
    x, y = _batch(32), np.arange(32) % 3
    m = _model()
    m.fit(x, y, epochs=1, verbose=0)
    m.save(tmp_path / "m.lwm")
    loaded = lw.load(tmp_path / "m.lwm")
    assert isinstance(loaded.layers[0], lw.Augment) and loaded.layers[0].rotation == 15
    np.testing.assert_array_equal(loaded.predict(x), m.predict(x))
