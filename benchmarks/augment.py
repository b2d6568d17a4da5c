"""The cost of augmentation inside training: seconds per step with and without an Augment layer,
on Fashion-MNIST, alternating in one process (median of the repeats).

    python -m benchmarks.augment                      # fashion-best's network and task 1's
"""
from __future__ import annotations

import json
import sys
import time

import numpy as np


def seconds_per_step(sizes, augment, x, y, batch=128, repeats=5):
    import layerwise as lw
    layers = ([lw.Augment(shift=0.04, flip=True, rotation=0, zoom=0)] if augment else [])
    layers += [lw.Dense(n, "relu") for n in sizes[1:-1]] + [lw.Dense(sizes[-1], "softmax")]
    model = lw.Sequential(layers, input_shape=(784,), seed=0)
    model.compile(lw.AdamW(1e-3), "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x[:batch * 10], y[:batch * 10], batch_size=batch, epochs=1, verbose=0)  # warm up (kernels)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        model.fit(x, y, batch_size=batch, epochs=1, verbose=0)
        times.append((time.perf_counter() - t0) / -(-len(x) // batch))
    return times


def main() -> None:
    from layerwise import datasets
    ds = datasets.load("fashion-mnist")
    x, y = ds.x_train[:12800], ds.y_train[:12800]
    out = {}
    for name, sizes in (("fashion-best 784-2048-1024-10", [784, 2048, 1024, 10]),
                        ("task 1 784-256-128-10", [784, 256, 128, 10])):
        plain, aug = [], []
        for _ in range(2):  # alternate: plain, augmented, plain, augmented
            plain += seconds_per_step(sizes, False, x, y, repeats=2)
            aug += seconds_per_step(sizes, True, x, y, repeats=2)
        p, a = float(np.median(plain)), float(np.median(aug))
        out[name] = {"ms_per_step": p * 1e3, "ms_per_step_augmented": a * 1e3, "overhead": a / p - 1}
        print(f"{name}: {p * 1e3:.2f} ms/step, with augmentation {a * 1e3:.2f} ms/step (+{100 * (a / p - 1):.0f}%)",
              flush=True)
    json.dump(out, open("benchmarks/results/augment.json", "w"), indent=2)


if __name__ == "__main__":
    sys.exit(main())
