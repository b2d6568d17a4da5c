"""Transfer learning as the notes describe it: a network trained on a big labelled task lends its
lower layers to a new task that has only a few labelled examples.

1. The big task: the ten digits, on 1,000 of the 1,437 training images of scikit-learn's 8×8
   digits. The network 64 → Dense 64 relu → Dense 32 relu → Dense 10 softmax is trained
   (20 epochs) and saved.
2. The new task: is the digit odd or even? Only 50 labelled images are given, drawn from the
   other 437 training images (never seen in step 1). Three networks of the same shape
   (64 → 64 relu → 32 relu → 2 softmax) get the same budget (Adam 0.01, 60 epochs, batch 10):
   one from scratch; one whose first layer is the saved network's, frozen (only the new 32-unit
   layer and the head learn); one whose two hidden layers start from the saved network's and are
   fine-tuned with the new head.
3. The saved network's 32 hidden features feed a scikit-learn SVM trained on the same 50 images;
   an SVM on the raw 64 pixels is the reference for it.

Every score is the test accuracy on all 360 test images, the mean ± standard deviation over 5
draws of the 50 examples (draw i also seeds the new layers). On 2 cores this takes about 10 s.
``python examples/transfer_learning.py`` printed:

    the big task: the ten digits from 1000 training images, test accuracy 0.969
    the new task: odd or even from 50 labelled images (mean ± sd of 5 draws), test accuracy
      from scratch                                   0.853 ± 0.027
      first layer reused, frozen                     0.890 ± 0.017
      two layers reused, fine-tuned                  0.887 ± 0.029
      SVM on the raw 64 pixels                       0.858 ± 0.033
      SVM on the saved network's 32 hidden features  0.904 ± 0.025
"""
import tempfile
from pathlib import Path

import numpy as np
from sklearn.svm import SVC

import layerwise as lw

N_PRETRAIN, N_FEW, DRAWS = 1000, 50, 5


def _dense(units, activation):
    """A new Dense layer: He initialisation for ReLU, the default (Glorot) for the softmax head."""
    return lw.Dense(units, activation, **({"kernel_initializer": "he_normal"} if activation == "relu" else {}))


def main(make_callbacks=list):
    """``make_callbacks``: extra callbacks for the big task's fit and for each network's fit on the
    first draw (the tests pass Diagnostics)."""
    ds = lw.datasets.load("digits")
    order = np.random.default_rng(0).permutation(len(ds.x_train))
    big, pool = order[:N_PRETRAIN], order[N_PRETRAIN:]

    base = lw.Sequential([_dense(64, "relu"), _dense(32, "relu"), _dense(10, "softmax")], seed=0)
    base.compile(lw.Adam(3e-3), "categorical_crossentropy", metrics=["accuracy"])
    base.fit(ds.x_train[big], ds.y_train[big], epochs=20, verbose=0, callbacks=make_callbacks())
    print(f"the big task: the ten digits from {N_PRETRAIN} training images, test accuracy "
          f"{base.evaluate(ds.x_test, ds.y_test)['accuracy']:.3f}")
    path = Path(tempfile.mkdtemp()) / "digits.lwm"
    base.save(path)

    def odd(y):
        return (y % 2).astype(np.int64)
    x_test, y_test = ds.x_test, odd(ds.y_test)
    saved = lw.load(path)
    scores: dict[str, list[float]] = {}
    for draw in range(DRAWS):
        idx = np.random.default_rng(draw).choice(pool, N_FEW, replace=False)
        x_few, y_few = ds.x_train[idx], odd(ds.y_train[idx])
        networks = {
            "from scratch": lw.Sequential([_dense(64, "relu"), _dense(32, "relu"), _dense(2, "softmax")],
                                          seed=draw + 1),
            "first layer reused, frozen": lw.Sequential([*saved.copy_layers(upto=1, trainable=False),
                                                         _dense(32, "relu"), _dense(2, "softmax")], seed=draw + 1),
            "two layers reused, fine-tuned": lw.Sequential([*saved.copy_layers(upto=2, trainable=True),
                                                            _dense(2, "softmax")], seed=draw + 1),
        }
        for name, model in networks.items():
            model.compile(lw.Adam(1e-2), "categorical_crossentropy", metrics=["accuracy"])
            model.fit(x_few, y_few, epochs=60, batch_size=10, verbose=0,
                      callbacks=make_callbacks() if draw == 0 else [])
            scores.setdefault(name, []).append(model.evaluate(x_test, y_test)["accuracy"])
        scores.setdefault("SVM on the raw 64 pixels", []).append(SVC().fit(x_few, y_few).score(x_test, y_test))
        features = SVC().fit(saved.features(x_few, upto=2), y_few)
        scores.setdefault("SVM on the saved network's 32 hidden features", []).append(
            features.score(saved.features(x_test, upto=2), y_test))

    print(f"the new task: odd or even from {N_FEW} labelled images (mean ± sd of {DRAWS} draws), test accuracy")
    for name, values in scores.items():
        print(f"  {name:46s} {np.mean(values):.3f} ± {np.std(values):.3f}")
    return {name: float(np.mean(values)) for name, values in scores.items()}


if __name__ == "__main__":
    main()
