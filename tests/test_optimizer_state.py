"""Optimizer state is kept by parameter name: freezing, unfreezing or adding trainable parameters
between fits keeps every remaining parameter's state and starts fresh state for new ones;
checkpoints store it by name, and checkpoints of the earlier flat layout still resume."""
import numpy as np
import pytest

import layerwise as lw
from layerwise.formats import container
from layerwise.formats.atomic import atomic_write_bytes
from layerwise.training import checkpoint as ckpt_mod

from conftest import make_blobs


def model_with(optimizer, ema=None, seed=0):
    model = lw.Sequential([lw.Dense(16, "relu"), lw.Dense(8, "tanh"), lw.Dense(3, "softmax")],
                          input_shape=(8,), seed=seed)
    model.compile(optimizer, "sparse_categorical_crossentropy", ema=ema)
    return model


def state_of(model, name):
    return {slot: arrays[name].copy() for slot, arrays in model.optimizer.named_state().items()}


@pytest.mark.parametrize("make", [lambda: lw.Adam(1e-2), lambda: lw.SGD(1e-2, momentum=0.9)],
                         ids=["adam", "momentum"])
def test_freeze_fit_unfreeze_fit_keeps_the_state_of_parameters_that_stay_trainable(make):
    x, y = make_blobs(n=96, n_features=8, n_classes=3)
    model = model_with(make(), ema=0.9)
    model.fit(x, y, batch_size=32, epochs=1, verbose=0)
    kept = "dense_2/kernel"
    before = state_of(model, kept)
    assert all(np.any(v != 0) for v in before.values())

    model.layers[0].trainable = False
    model.collect_params()  # what fit does first: the optimizer is re-laid by name, nothing else
    after = state_of(model, kept)
    for slot in before:
        np.testing.assert_array_equal(after[slot], before[slot])
    assert "dense_1/kernel" not in model.optimizer.named_state()[next(iter(before))]
    frozen = model.layers[0].params["kernel"].copy()
    model.fit(x, y, batch_size=32, epochs=1, verbose=0)
    np.testing.assert_array_equal(model.layers[0].params["kernel"], frozen)

    model.layers[0].trainable = True
    model.collect_params()
    fresh = state_of(model, "dense_1/kernel")
    assert all(np.all(v == 0) for v in fresh.values())  # newly trainable: fresh state
    history = model.fit(x, y, batch_size=32, epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    assert np.any(model.layers[0].params["kernel"] != frozen)


def test_the_weight_average_follows_names_across_a_freeze():
    x, y = make_blobs(n=64, n_features=8, n_classes=3)
    model = model_with(lw.Adam(1e-2), ema=0.9)
    model.fit(x, y, batch_size=32, epochs=1, verbose=0)
    shadows = {n: a.copy() for n, a in lw.core.state.split(model.ema.shadows[0], model.ema.layout)}
    model.layers[1].trainable = False
    model.fit(x, y, batch_size=32, epochs=1, verbose=0, shuffle=False)
    now = dict(lw.core.state.split(model.ema.shadows[0], model.ema.layout))
    assert "dense_2/kernel" not in now and set(now) < set(shadows)
    model.layers[1].trainable = True
    model.collect_params()
    now = dict(lw.core.state.split(model.ema.shadows[0], model.ema.layout))
    np.testing.assert_array_equal(now["dense_2/kernel"], model.layers[1].params["kernel"])  # starts at w


def test_freeze_and_unfreeze_through_the_keras_namespace():
    from layerwise.compat import keras
    x, y = make_blobs(n=96, n_features=8, n_classes=3)
    model = keras.Sequential([keras.Input(shape=(8,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=1, verbose=0)
    model.layers[0].trainable = False
    model.fit(x, y, epochs=1, verbose=0)
    model.layers[0].trainable = True
    history = model.fit(x, y, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"]).all()


def test_checkpoints_hold_the_state_by_name_and_the_old_flat_layout_still_resumes(tmp_path):
    x, y = make_blobs(n=96, n_features=8, n_classes=3)
    path = tmp_path / "run.ckpt"
    model_with(lw.Adam(1e-2)).fit(x, y, batch_size=32, epochs=1, verbose=0, checkpoint=path)
    tensors, meta = ckpt_mod.load_checkpoint(path)
    assert {k for k in tensors if k.startswith("optimizer/")} == {
        f"optimizer/{slot}/dense_{i}/{key}" for slot in ("m", "v") for i in (1, 2, 3) for key in ("kernel", "bias")}

    # the same checkpoint as the previous version wrote it: each slot one flat buffer in model order
    order = [f"dense_{i}/{key}" for i in (1, 2, 3) for key in ("kernel", "bias")]
    legacy = {k: v for k, v in tensors.items() if not k.startswith("optimizer/")}
    for slot in ("m", "v"):
        legacy[f"optimizer/{slot}/0"] = np.concatenate([tensors[f"optimizer/{slot}/{n}"].ravel() for n in order])
    meta = {k: v for k, v in meta.items() if k not in ("checksum", "tensor_checksums")}
    meta["optimizer_state"] = {k: v for k, v in meta["optimizer_state"].items() if k != "named_slots"}
    meta["optimizer_state"]["slots"] = {"m": 1, "v": 1}
    old = tmp_path / "old.ckpt"
    atomic_write_bytes(old, container.pack(legacy, meta))

    finals = []
    for source in (path, old):
        model = model_with(lw.Adam(1e-2))
        model.fit(x, y, batch_size=32, epochs=3, verbose=0, checkpoint=source, resume=True)
        finals.append(model.get_weights())
    for a, b in zip(*finals):
        np.testing.assert_array_equal(a, b)
