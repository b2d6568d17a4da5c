"""A training job for the kill-and-resume test: python resume_job.py CHECKPOINT OUT.npz RESUME(0|1) [wide].

``wide``: a model large enough for the step program (training/program.py: the lanes and the fused
kernels), else a small one on the layers' reference passes."""
import sys
import time

import numpy as np

import layerwise as lw


class Slow(lw.callbacks.Callback):
    """Slows steps down so a kill lands mid-training; changes no numbers."""

    def on_batch_end(self, batch, logs=None):
        time.sleep(0.003)


def main(ckpt, out, resume, wide=False):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(600, 64 if wide else 8)).astype(np.float32)
    y = x[:, :3].argmax(1)
    hidden = [lw.Dense(256, "relu"), lw.BatchNorm(), lw.Dropout(0.2), lw.Dense(64, "relu")] if wide else \
        [lw.Dense(32, "relu"), lw.BatchNorm(), lw.Dropout(0.2)]
    model = lw.Sequential([*hidden, lw.Dense(3, "softmax")], seed=7)
    model.compile(lw.Adam(lw.ExponentialDecay(0.01, 50, 0.9)), "categorical_crossentropy",
                  metrics=["accuracy"], ema=0.99)
    callbacks = [lw.EarlyStopping("val_loss", patience=100, restore_best_weights=True),
                 lw.ReduceLROnPlateau("val_loss", patience=2, factor=0.5), Slow()]
    model.fit(x, y, batch_size=16, epochs=8, validation_split=0.1, verbose=0, callbacks=callbacks,
              checkpoint=ckpt, checkpoint_every=5, resume=resume)
    arrays = {f"w{i}": w for i, w in enumerate(model.get_weights())}
    arrays.update({f"ema{i}": s for i, s in enumerate(model.ema.shadows)})
    arrays.update({f"state{i}": v for i, v in enumerate(s for l in model.layers for s in l.state.values())})
    arrays["loss"] = np.array(model.history.history["loss"])
    arrays["val_loss"] = np.array(model.history.history["val_loss"])
    arrays["iterations"] = np.array(model.optimizer.iterations)
    np.savez(out, **arrays)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3] == "1", wide=sys.argv[4:] == ["wide"])
