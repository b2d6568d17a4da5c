"""A training job for the kill-and-resume test: python resume_job.py CHECKPOINT OUT.npz RESUME(0|1) [wide|xla].

``wide``: a larger model (the fused optimizer kernel) on the NumPy engine; ``xla``: a Dense-only model
on the XLA engine, checkpointed every 7 steps (inside epochs of 34) and at epoch ends; else a small
one on the NumPy engine."""
import sys
import time

import numpy as np

import layerwise as lw


class Slow(lw.callbacks.Callback):
    """Slows steps down so a kill lands mid-training; changes no numbers."""

    def on_batch_end(self, batch, logs=None):
        time.sleep(0.003)


class SlowEpochs(lw.callbacks.Callback):
    """Slows epochs down (the XLA engine runs the steps between checkpoints as one program); changes
    no numbers."""

    def on_epoch_end(self, epoch, logs=None):
        time.sleep(0.05)


def main_xla(ckpt, out, resume):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(600, 64)).astype(np.float32)
    y = x[:, :3].argmax(1)
    model = lw.Sequential([lw.Dense(256, "relu"), lw.Dense(64, "tanh"), lw.Dense(3, "softmax")], seed=7)
    model.compile(lw.Adam(lw.ExponentialDecay(0.01, 50, 0.9)), "categorical_crossentropy",
                  metrics=["accuracy"], ema=0.99)
    callbacks = [lw.ReduceLROnPlateau("val_loss", patience=2, factor=0.5), SlowEpochs()]
    model.fit(x, y, batch_size=16, epochs=30, validation_split=0.1, verbose=0, callbacks=callbacks,
              checkpoint=ckpt, checkpoint_every=7, resume=resume, engine="xla")
    arrays = {f"w{i}": w for i, w in enumerate(model.get_weights())}
    arrays.update({f"ema{i}": s for i, s in enumerate(model.ema.shadows)})
    arrays["loss"] = np.array(model.history.history["loss"])
    arrays["val_loss"] = np.array(model.history.history["val_loss"])
    arrays["iterations"] = np.array(model.optimizer.iterations)
    np.savez(out, **arrays)


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
    if sys.argv[4:] == ["xla"]:
        main_xla(sys.argv[1], sys.argv[2], sys.argv[3] == "1")
    else:
        main(sys.argv[1], sys.argv[2], sys.argv[3] == "1", wide=sys.argv[4:] == ["wide"])
