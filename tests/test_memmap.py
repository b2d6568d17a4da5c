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
    """Training streams a memory-mapped file: the memory the fit adds is a small fraction of the
    file's size. Measured as the fit's peak resident set (VmHWM) minus the resident set just before
    it, after a warm-up fit has loaded every library, BLAS buffer and code path: so the interpreter,
    NumPy/BLAS builds, the thread count and what layerwise imports (all machine- or version-
    dependent, about 60 MB here and growing) are outside the measure. What is left is what the code
    allocates, the same on every machine: the value check's 16 MB block of mapped rows, labels and
    one-hot targets for 160,000 rows (~8 MB), batch buffers; 19.5 MB measured, against 314 MB
    when the same fit loads the file into memory. The bound, a quarter of the file, sits between."""
    path = tmp_path / "big.npy"
    n, d = 160_000, 256  # 164 MB of float32
    mm = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(n, d))
    for s in range(0, n, 20_000):
        mm[s:s + 20_000] = np.random.default_rng(s).random((20_000, d), dtype=np.float32)
    mm.flush()
    del mm
    file_mb = path.stat().st_size / 2**20
    script = textwrap.dedent(f"""
        import numpy as np, layerwise as lw

        def status(key):  # this address space's (ru_maxrss would include the forking parent's)
            return next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith(key)) / 1024

        def model():
            m = lw.Sequential([lw.Dense(32, "relu"), lw.Dense(10, "softmax")], seed=0)
            m.compile("adam", "categorical_crossentropy")
            return m
        x = np.load({str(path)!r}, mmap_mode="r")
        y = np.arange(len(x)) % 10
        model().fit(np.array(x[:2000]), y[:2000], epochs=1, batch_size=256, verbose=0)  # warm-up
        m = model()
        try:  # reset VmHWM to the current RSS (Linux >= 4.0), so earlier peaks do not count
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")
        except OSError:
            pass  # then VmHWM may include the warm-up's peak: an overestimate, never an underestimate
        before = status("VmRSS")
        m.fit(x, y, epochs=1, batch_size=256, verbose=0)
        print(status("VmHWM") - before)
    """)
    added_mb = float(subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                                    check=True).stdout.strip())
    assert added_mb < file_mb / 4, (added_mb, file_mb)
