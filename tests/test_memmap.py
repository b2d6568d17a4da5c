"""Training from a memory-mapped data set: same result as in memory, memory use bounded."""
import subprocess
import sys
import textwrap

import numpy as np

import layerwise as lw
from layerwise.errors import DataError


def test_memmap_training_equals_in_memory(tmp_path):
    path = tmp_path / "x.npy"
    rng = np.random.default_rng(0)
    mm = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(3000, 20))
    mm[:] = rng.random((3000, 20), dtype=np.float32)
    mm.flush()
    y = rng.integers(0, 4, 3000)
    x = np.load(path, mmap_mode="r")
    weights = []
    for data in (np.array(x), x, x[:]):
        m = lw.Sequential([lw.Dense(8, "relu"), lw.Dropout(0.1), lw.Dense(4, "softmax")], seed=0)
        m.compile("adam", "categorical_crossentropy")
        m.fit(data, y, epochs=2, batch_size=32, verbose=0)
        weights.append(m.get_weights())
    for other in weights[1:]:
        for a, b in zip(weights[0], other):
            np.testing.assert_array_equal(a, b)


def test_memmap_of_another_dtype_is_converted_when_small_and_refused_when_large(tmp_path, monkeypatch):
    from layerwise import validation
    path = tmp_path / "x64.npy"
    np.save(path, np.zeros((10, 3)))
    m = lw.Sequential([lw.Dense(2, "softmax")], seed=0)
    m.compile("sgd", "categorical_crossentropy")
    m.fit(np.load(path, mmap_mode="r"), np.zeros(10, dtype=int), verbose=0)  # converted: small
    monkeypatch.setattr(validation, "CONVERT_LIMIT", 16)
    with np.testing.assert_raises_regex(DataError, "memory-mapped with dtype float64; store it as float32"):
        m.fit(np.load(path, mmap_mode="r"), np.zeros(10, dtype=int), verbose=0)


def test_peak_memory_stays_bounded_for_a_large_file(tmp_path):
    path = tmp_path / "big.npy"
    n, d = 160_000, 256  # 164 MB of float32
    mm = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(n, d))
    for s in range(0, n, 20_000):
        mm[s:s + 20_000] = np.random.default_rng(s).random((20_000, d), dtype=np.float32)
    mm.flush()
    del mm
    script = textwrap.dedent(f"""
        import numpy as np, layerwise as lw
        x = np.load({str(path)!r}, mmap_mode="r")
        y = np.arange(len(x)) % 10
        m = lw.Sequential([lw.Dense(32, "relu"), lw.Dense(10, "softmax")], seed=0)
        m.compile("adam", "categorical_crossentropy")
        m.fit(x, y, epochs=1, batch_size=256, verbose=0)
        # VmHWM: this address space's peak (ru_maxrss would include the forking parent's)
        print(next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM")) / 1024)
    """)
    peak_mb = float(subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                                   check=True).stdout.strip())
    assert peak_mb < 120, peak_mb  # the file is 164 MB; the interpreter and libraries take about 40
