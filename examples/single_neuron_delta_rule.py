"""The notes' first program: one sigmoid neuron trained by the delta rule — by hand in NumPy,
then the same thing with layerwise, to show they are the same arithmetic.

Delta rule for ŷ = σ(h), h = Σ w_i x_i (+ b), error E = ½(y − ŷ)²:
    error_term = (y − ŷ) · σ'(h)
    Δw = η · error_term · x

    python examples/single_neuron_delta_rule.py
"""
import numpy as np

import layerwise as lw


def sigmoid(h):
    return 1 / (1 + np.exp(-h))


def delta_rule(x, y, w, b, eta, epochs, online):
    """Per-sample (online) updates, or updates accumulated over the whole data set (batch)."""
    for _ in range(epochs):
        dw, db = np.zeros_like(w), 0.0
        for xi, yi in zip(x, y):
            y_hat = sigmoid(xi @ w + b)
            error_term = (yi - y_hat) * y_hat * (1 - y_hat)
            if online:
                w = w + eta * error_term * xi
                b = b + eta * error_term
            else:
                dw += error_term * xi
                db += error_term
        if not online:  # accumulated over the data, averaged (the mean-loss convention)
            w = w + eta * dw / len(x)
            b = b + eta * db / len(x)
    return w, b


def main():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(20, 4))
    y = (x @ np.array([0.5, -1.0, 0.8, 0.2]) > 0).astype(float)
    w0, b0, eta = rng.normal(0, 0.1, 4), 0.0, 0.5

    for online in (True, False):
        w_hand, b_hand = delta_rule(x, y, w0.copy(), b0, eta, epochs=5, online=online)

        model = lw.Sequential([lw.Dense(1, "sigmoid")], input_shape=(4,), dtype="float64", seed=0)
        model.compile(lw.SGD(eta), "quadratic")  # ½‖y − ŷ‖², whose gradient is the delta rule
        model.set_weights([w0.reshape(4, 1), np.array([b0])])
        model.fit(x, y, batch_size=1 if online else len(x), epochs=5, shuffle=False, verbose=0)
        w_lw, b_lw = model.get_weights()

        mode = "online (per sample)" if online else "batch (accumulated)"
        print(f"{mode:22s} hand: w = {np.round(w_hand, 6)}  layerwise: w = {np.round(w_lw.ravel(), 6)}")
        assert np.allclose(w_hand, w_lw.ravel()) and np.isclose(b_hand, b_lw[0])
        acc = ((model.predict(x).ravel() > 0.5) == y).mean()
        print(f"{'':22s} training accuracy {acc:.2f}")


if __name__ == "__main__":
    main()
