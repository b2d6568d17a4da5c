"""A Keras-style MLP on Fashion-MNIST with dropout, batch norm, L2, Adam and a plateau schedule.

    python examples/fashion_mlp.py [--epochs 20]

Needs the Fashion-MNIST IDX files (Debian: apt-get install dataset-fashion-mnist, or set
LAYERWISE_DATA, or let layerwise download them).
"""
import argparse
import time

import layerwise as lw


def main(epochs: int = 20, seed: int = 0, extra_callbacks=()) -> dict:
    ds = lw.datasets.load("fashion-mnist", validation_size=10_000)
    model = lw.Sequential([
        lw.Dense(256, "relu", kernel_initializer="he_normal", kernel_regularizer=lw.L2(1e-5)),
        lw.BatchNorm(),
        lw.Dropout(0.2),
        lw.Dense(128, "relu", kernel_initializer="he_normal", kernel_regularizer=lw.L2(1e-5)),
        lw.BatchNorm(),
        lw.Dropout(0.2),
        lw.Dense(10, "softmax"),
    ], seed=seed)
    model.compile(lw.Adam(1e-3), "categorical_crossentropy", metrics=["accuracy"])
    model.build((ds.n_features,))
    model.summary()
    t0 = time.perf_counter()
    model.fit(ds.x_train, ds.y_train, batch_size=128, epochs=epochs,
              validation_data=(ds.x_val, ds.y_val),
              callbacks=[lw.ReduceLROnPlateau("val_loss", factor=0.5, patience=2),
                         lw.EarlyStopping("val_accuracy", patience=5, restore_best_weights=True),
                         *extra_callbacks])
    seconds = time.perf_counter() - t0
    result = model.evaluate(ds.x_test, ds.y_test)
    epochs_run = len(model.history.epoch)
    print(f"test accuracy {result['accuracy']:.4f} after {epochs_run} epochs, "
          f"{seconds:.1f}s ({seconds / epochs_run:.2f}s per epoch)")
    return {"test_accuracy": result["accuracy"], "seconds": seconds, "epochs": epochs_run}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    main(args.epochs, args.seed)
