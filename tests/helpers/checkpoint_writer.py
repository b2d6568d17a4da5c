"""Writes checkpoints as fast as it can until killed: python checkpoint_writer.py PATH."""
import sys

import numpy as np

import layerwise as lw

path = sys.argv[1]
rng = np.random.default_rng(0)
x = rng.random((4096, 784), dtype=np.float32)
y = rng.integers(0, 10, 4096)
model = lw.Sequential([lw.Dense(512, "relu"), lw.Dense(10, "softmax")], seed=0)  # ~1.6 MB of weights + Adam state
model.compile("adam", "categorical_crossentropy")
model.fit(x, y, epochs=1000, batch_size=256, verbose=0, checkpoint=path, checkpoint_every=1)
