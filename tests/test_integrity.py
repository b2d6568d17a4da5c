"""Damage is an error: any single-bit flip anywhere in a model file or checkpoint raises
ModelFileError (never a silently different model, never another exception)."""
import warnings

import numpy as np
import pytest

import layerwise as lw
from layerwise.errors import ModelFileError
from layerwise.formats import container

from conftest import make_blobs


def _flips(data: bytes, positions):
    buf = bytearray(data)
    for bit in positions:
        i, b = divmod(int(bit), 8)
        buf[i] ^= 1 << b
        yield bytes(buf)
        buf[i] ^= 1 << b


def _undetected(data: bytes, positions, source: str) -> list[int]:
    missed = []
    for bit, damaged in zip(positions, _flips(data, positions)):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")  # "no checksums" must not be how a flip gets through
                container.unpack(damaged, source)
        except ModelFileError:
            continue
        missed.append(int(bit))
    return missed


def test_every_single_bit_flip_of_a_model_file_is_detected(tmp_path):
    model = lw.Sequential([lw.Dense(2, "softmax")], input_shape=(3,), seed=0)
    model.compile("sgd", "categorical_crossentropy")
    model.save(tmp_path / "m.lwm")
    data = (tmp_path / "m.lwm").read_bytes()
    missed = _undetected(data, range(len(data) * 8), "m.lwm")
    assert not missed, f"{len(missed)} of {len(data) * 8} flips loaded: bits {missed[:10]}"


def test_random_bit_flips_of_a_checkpoint_are_detected(tmp_path):
    x, y = make_blobs(n=64)
    model = lw.Sequential([lw.Dense(8, "relu"), lw.BatchNorm(), lw.Dense(3, "softmax")], seed=0)
    model.compile("adam", "categorical_crossentropy", ema=0.9)
    model.fit(x, y, epochs=1, batch_size=16, verbose=0, checkpoint=tmp_path / "c.lwc",
              callbacks=[lw.EarlyStopping("loss", patience=3, restore_best_weights=True)])
    data = (tmp_path / "c.lwc").read_bytes()
    positions = np.random.default_rng(0).choice(len(data) * 8, size=min(10_000, len(data) * 8), replace=False)
    missed = _undetected(data, positions, "c.lwc")
    assert not missed, f"{len(missed)} of {len(positions)} flips loaded: bits {missed[:10]}"


def test_a_flipped_weight_no_longer_loads_and_evaluates(tmp_path):
    """The issue's case: one bit of one weight (accuracy 0.961 → 0.908 before checksums)."""
    x, y = make_blobs(n=100)
    model = lw.Sequential([lw.Dense(3, "softmax")], seed=0)
    model.compile("sgd", "categorical_crossentropy")
    model.fit(x, y, epochs=2, verbose=0)
    model.save(tmp_path / "m.lwm")
    data = bytearray((tmp_path / "m.lwm").read_bytes())
    data[-5] ^= 0x10  # inside the last tensor's bytes
    (tmp_path / "bad.lwm").write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="does not match its checksum"):
        lw.load(tmp_path / "bad.lwm")


def test_files_without_checksums_load_with_a_warning(tmp_path):
    from safetensors.numpy import save
    model = lw.Sequential([lw.Dense(2, "softmax")], input_shape=(3,), seed=0)
    model.build()
    model.save(tmp_path / "new.lwm")
    tensors, meta = container.unpack((tmp_path / "new.lwm").read_bytes())
    meta.pop("checksummed")
    import json
    old = save(tensors, metadata={"layerwise": json.dumps(meta, sort_keys=True)})  # the old writer's layout
    (tmp_path / "old.lwm").write_bytes(old)
    with pytest.warns(container.UnverifiedFileWarning, match="before layerwise stored checksums"):
        back = lw.load(tmp_path / "old.lwm")
    np.testing.assert_array_equal(back.get_weights()[0], model.get_weights()[0])


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_written_files_get_the_permissions_the_umask_gives(tmp_path, umask, mode):
    import os
    from layerwise.formats.atomic import atomic_write_text
    old = os.umask(umask)
    try:
        model = lw.Sequential([lw.Dense(2, "softmax")], input_shape=(3,), seed=0)
        model.build()
        model.save(tmp_path / "m.lwm")
        atomic_write_text(tmp_path / "r.html", "<p>report</p>")
        atomic_write_text(tmp_path / "r.html", "<p>again</p>")  # replacing keeps the umask's mode too
    finally:
        os.umask(old)
    for name in ("m.lwm", "r.html"):
        assert (tmp_path / name).stat().st_mode & 0o777 == mode, name
