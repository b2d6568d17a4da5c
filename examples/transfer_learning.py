"""Transfer learning as the notes describe it: reuse the lower layers of a trained network.

1. Train a network on the digits 0-4 and save it.
2. Build a new network for the digits 5-9 from its first two hidden layers, frozen, plus a
   new softmax head, and train only the head on a few examples; compare with a network
   trained from scratch on the same few examples.
3. Feed the hidden features of the saved network to a scikit-learn SVM.

    python examples/transfer_learning.py
"""
import tempfile
from pathlib import Path

import numpy as np
from sklearn.svm import SVC

import layerwise as lw


def main(make_callbacks=lambda: []):
    """``make_callbacks``: extra callbacks for each fit (the tests pass Diagnostics)."""
    ds = lw.datasets.load("digits")
    low, high = ds.y_train < 5, ds.y_train >= 5
    base = lw.Sequential([lw.Dense(64, "relu", kernel_initializer="he_normal"),
                          lw.Dense(32, "relu", kernel_initializer="he_normal"),
                          lw.Dense(5, "softmax")], seed=0)
    base.compile(lw.Adam(3e-3), "categorical_crossentropy", metrics=["accuracy"])
    base.fit(ds.x_train[low], ds.y_train[low], epochs=20, verbose=0, callbacks=make_callbacks())
    path = Path(tempfile.mkdtemp()) / "digits-0-4.lwm"
    base.save(path)

    # few labelled examples of the new task: 10 per class
    rng = np.random.default_rng(0)
    idx = np.concatenate([rng.choice(np.flatnonzero(ds.y_train == c), 10, replace=False) for c in range(5, 10)])
    x_few, y_few = ds.x_train[idx], ds.y_train[idx] - 5
    test = ds.y_test >= 5
    x_test, y_test = ds.x_test[test], ds.y_test[test] - 5

    frozen = lw.Sequential([*lw.load(path).copy_layers(upto=1, trainable=False),
                            lw.Dense(32, "relu"), lw.Dense(5, "softmax")], seed=1)
    tuned = lw.Sequential([*lw.load(path).copy_layers(upto=2, trainable=True), lw.Dense(5, "softmax")], seed=1)
    scratch = lw.Sequential([lw.Dense(64, "relu"), lw.Dense(32, "relu"), lw.Dense(5, "softmax")], seed=1)
    for name, model in (("first layer reused, frozen", frozen), ("two layers fine-tuned", tuned),
                        ("from scratch", scratch)):
        model.compile(lw.Adam(1e-2), "categorical_crossentropy", metrics=["accuracy"])
        model.fit(x_few, y_few, epochs=60, batch_size=10, verbose=0, callbacks=make_callbacks())
        print(f"digits 5-9 from 50 examples, {name:27s} test accuracy "
              f"{model.evaluate(x_test, y_test)['accuracy']:.3f}")

    # hidden features → SVM (all ten digits)
    saved = lw.load(path)
    svm = SVC().fit(saved.features(ds.x_train, upto=2), ds.y_train)
    print(f"SVM on the saved network's 32 hidden features: test accuracy "
          f"{svm.score(saved.features(ds.x_test, upto=2), ds.y_test):.3f}")


if __name__ == "__main__":
    main()
