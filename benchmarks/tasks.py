"""The benchmark tasks and one training run of one framework on one task (run in a fresh process).

    python -m benchmarks.tasks TASK FRAMEWORK EPOCHS [key=value ...]   → one JSON line on stdout
"""
from __future__ import annotations

import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

TASKS = {
    "1": {"title": "Fashion-MNIST 784-256-128-10 ReLU, softmax CE, Adam 1e-3, batch 128",
          "sizes": [784, 256, 128, 10], "activation": "relu", "loss": "ce", "optimizer": "adam", "lr": 1e-3,
          "batch": 128, "epochs": 10},
    "2": {"title": "Book network 784-30-10 sigmoid, quadratic cost, SGD eta=3.0, batch 10",
          "sizes": [784, 30, 10], "activation": "sigmoid", "loss": "quadratic", "optimizer": "sgd", "lr": 3.0,
          "batch": 10, "epochs": 10},
    "3": {"title": "Wide 784-1024-1024-10 ReLU, softmax CE, Adam 1e-3, batch 512",
          "sizes": [784, 1024, 1024, 10], "activation": "relu", "loss": "ce", "optimizer": "adam", "lr": 1e-3,
          "batch": 512, "epochs": 5},
}


def flops_per_sample(sizes: list[int]) -> float:
    """Matrix-multiply FLOPs of one training step per sample: forward x·W, backward xᵀ·δ and δ·Wᵀ
    (no δ·Wᵀ for the first layer)."""
    pairs = list(zip(sizes[:-1], sizes[1:]))
    fwd = sum(2 * a * b for a, b in pairs)
    return 2 * fwd + sum(2 * a * b for a, b in pairs[1:])


def memmap_data(path: str, rows: int):
    """A float32 data set of ``rows`` × 784 in a (sparse) file, opened as a memmap; labels in memory."""
    import os
    header_len = 128
    size = header_len + rows * 784 * 4
    if not os.path.exists(path) or os.path.getsize(path) != size:
        with open(path, "wb") as fh:  # an .npy header, then a hole: a sparse file of any size
            header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%d, 784), }" % rows
            header = header.ljust(header_len - 10 - 1) + "\n"
            fh.write(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode())
            fh.truncate(size)
    x = np.load(path, mmap_mode="r")
    y = (np.arange(rows) % 10).astype(np.int64)
    return x, y


def load_data(n_train: int | None = None):
    from layerwise import datasets
    ds = datasets.load("fashion-mnist")
    x, y = ds.x_train, ds.y_train
    if n_train:
        reps = -(-n_train // len(x))
        x, y = np.concatenate([x] * reps)[:n_train], np.concatenate([y] * reps)[:n_train]
    return x, y, ds.x_test, ds.y_test


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM; ru_maxrss would count the parent's before exec)."""
    try:
        with open("/proc/self/status") as fh:
            return next(int(l.split()[1]) for l in fh if l.startswith("VmHWM")) / 1024.0
    except (OSError, StopIteration):  # pragma: no cover - not Linux
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run_layerwise(task, x, y, xt, yt, epochs, sizes, batch, engine="auto", checkpoint_every=None):
    import layerwise as lw
    layers = [lw.Dense(n, task["activation"], kernel_initializer="he_normal" if task["activation"] == "relu"
                       else "scaled_normal") for n in sizes[1:-1]]
    layers.append(lw.Dense(sizes[-1], "softmax" if task["loss"] == "ce" else "sigmoid"))
    model = lw.Sequential(layers, input_shape=(sizes[0],), seed=0)
    opt = lw.Adam(task["lr"]) if task["optimizer"] == "adam" else lw.SGD(task["lr"])
    model.compile(opt, "categorical_crossentropy" if task["loss"] == "ce" else "quadratic", metrics=["accuracy"])
    times = []

    class Timer(lw.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.t0 = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            times.append(time.perf_counter() - self.t0)

    with tempfile.TemporaryDirectory() as folder:
        checkpoints = {} if checkpoint_every is None else \
            {"checkpoint": Path(folder) / "fit.ckpt", "checkpoint_every": checkpoint_every}
        model.fit(x, y, batch_size=batch, epochs=epochs, verbose=0, callbacks=[Timer()], engine=engine, **checkpoints)
    return times, model.evaluate(xt, yt)["accuracy"]


def run_layerwise_xla(*args):
    """layerwise on the XLA engine: the layers' own forward/backward traced by JAX, an epoch as one scan."""
    return run_layerwise(*args, engine="xla")


def run_layerwise_xla_checkpointed(*args):
    """layerwise on the XLA engine with a checkpoint every 100 steps: the epoch runs in stretches that
    end where a checkpoint is due, and each checkpoint is written (atomically) to a temporary folder."""
    return run_layerwise(*args, engine="xla", checkpoint_every=100)


def run_layerwise_numpy(*args):
    """layerwise on the NumPy engine (the eager reference, with whatever CPU fast path it has)."""
    return run_layerwise(*args, engine="numpy")


def run_layerwise_reference(*args):
    """layerwise with the step program off (``LAYERWISE_PROGRAM=0``): the layers' own forward and
    backward with NumPy's multi-threaded BLAS, as before the program (issue 24's "before")."""
    import os
    os.environ["LAYERWISE_PROGRAM"] = "0"
    return run_layerwise(*args)


def run_torch(task, x, y, xt, yt, epochs, sizes, batch, fused=False, compiled=False):
    """PyTorch as its users run it: defaults; ``fused``: Adam(fused=True) (one kernel for the
    update); ``compiled``: the whole step (forward, loss, backward) under torch.compile."""
    import torch
    torch.manual_seed(0)
    act = {"relu": torch.nn.ReLU, "sigmoid": torch.nn.Sigmoid}[task["activation"]]
    mods = []
    for a, b in zip(sizes[:-2], sizes[1:-1]):
        mods += [torch.nn.Linear(a, b), act()]
    mods.append(torch.nn.Linear(sizes[-2], sizes[-1]))
    if task["loss"] != "ce":
        mods.append(torch.nn.Sigmoid())
    net = torch.nn.Sequential(*mods)
    if task["optimizer"] == "adam":
        opt = torch.optim.Adam(net.parameters(), lr=task["lr"], **({"fused": True} if fused else {}))
    else:
        opt = torch.optim.SGD(net.parameters(), lr=task["lr"], **({"fused": True} if fused else {}))
    X, Y = torch.from_numpy(x), torch.from_numpy(y)
    Y1 = torch.nn.functional.one_hot(Y, sizes[-1]).float()
    ce = torch.nn.CrossEntropyLoss()

    def loss_of(xb, yb, y1b):
        out = net(xb)
        if task["loss"] == "ce":
            return ce(out, yb)
        return 0.5 * ((out - y1b) ** 2).sum() / len(xb)  # the book's quadratic cost ½‖a − y‖², batch mean

    def step(xb, yb, y1b):
        opt.zero_grad(set_to_none=True)
        loss = loss_of(xb, yb, y1b)
        loss.backward()
        return loss

    if compiled:
        step = torch.compile(step)
    times = []
    for _ in range(epochs):
        t0 = time.perf_counter()
        perm = torch.randperm(len(X))
        for i in range(0, len(X), batch):
            idx = perm[i:i + batch]
            step(X[idx], Y[idx], Y1[idx])
            opt.step()
        times.append(time.perf_counter() - t0)
    with torch.no_grad():
        acc = (net(torch.from_numpy(xt)).argmax(1).numpy() == yt).mean()
    return times, float(acc)


def run_torch_fused(*args):
    return run_torch(*args, fused=True)


def run_torch_compiled(*args):
    return run_torch(*args, fused=True, compiled=True)


def run_keras(task, x, y, xt, yt, epochs, sizes, batch):
    """Keras 3 on its PyTorch backend (KERAS_BACKEND=torch), model.fit as its users call it."""
    import os
    os.environ.setdefault("KERAS_BACKEND", "torch")
    import keras
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((sizes[0],))] +
                             [keras.layers.Dense(n, task["activation"]) for n in sizes[1:-1]] +
                             [keras.layers.Dense(sizes[-1], "softmax" if task["loss"] == "ce" else "sigmoid")])
    opt = keras.optimizers.Adam(task["lr"]) if task["optimizer"] == "adam" else keras.optimizers.SGD(task["lr"])
    if task["loss"] == "ce":
        model.compile(opt, "sparse_categorical_crossentropy", metrics=["accuracy"])
        target = y
    else:
        model.compile(opt, "mse", metrics=["accuracy"])  # Keras's mse = mean over outputs: η scaled to match
        target = np.eye(sizes[-1], dtype=np.float32)[y]
    times = []

    class Timer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.t0 = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            times.append(time.perf_counter() - self.t0)

    model.fit(x, target, batch_size=batch, epochs=epochs, verbose=0, callbacks=[Timer()])
    acc = float((model.predict(xt, verbose=0, batch_size=1024).argmax(1) == yt).mean())
    return times, acc


def run_keras_jax(*args):
    """Keras 3 on its JAX backend (KERAS_BACKEND=jax): model.fit compiles its train step with XLA."""
    import os
    os.environ["KERAS_BACKEND"] = "jax"
    return run_keras(*args)


def run_jax(task, x, y, xt, yt, epochs, sizes, batch, scan=False):
    """JAX + optax as its users write it: a jitted step per batch, or (``scan``) the whole epoch as
    one jitted ``lax.scan`` over the batches (the last partial batch dropped, as usual there)."""
    import jax
    import jax.numpy as jnp
    import optax
    key = jax.random.PRNGKey(0)
    params = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        key, sub = jax.random.split(key)
        scale = np.sqrt(2.0 / a) if task["activation"] == "relu" else np.sqrt(1.0 / a)
        params.append((jax.random.normal(sub, (a, b), jnp.float32) * scale, jnp.zeros(b, jnp.float32)))
    act = jax.nn.relu if task["activation"] == "relu" else jax.nn.sigmoid
    n_out = sizes[-1]

    def forward(p, xb):
        for w, b in p[:-1]:
            xb = act(xb @ w + b)
        w, b = p[-1]
        return xb @ w + b

    def loss_fn(p, xb, yb):
        z = forward(p, xb)
        if task["loss"] == "ce":
            return optax.softmax_cross_entropy_with_integer_labels(z, yb).mean()
        return 0.5 * ((jax.nn.sigmoid(z) - jax.nn.one_hot(yb, n_out)) ** 2).sum() / xb.shape[0]

    opt = optax.adam(task["lr"]) if task["optimizer"] == "adam" else optax.sgd(task["lr"])
    state = opt.init(params)

    def step(carry, batch_xy):
        p, s = carry
        loss, g = jax.value_and_grad(loss_fn)(p, *batch_xy)
        updates, s = opt.update(g, s, p)
        return (optax.apply_updates(p, updates), s), loss

    X, Y = jnp.asarray(x), jnp.asarray(y)
    steps = len(x) // batch
    jit_step = jax.jit(step)

    @jax.jit
    def epoch(carry, perm):
        idx = perm[:steps * batch].reshape(steps, batch)
        return jax.lax.scan(step, carry, (X[idx], Y[idx]))

    carry, times, rng = (params, state), [], np.random.default_rng(0)
    for _ in range(epochs):
        t0 = time.perf_counter()
        perm = rng.permutation(len(x))
        if scan:
            carry, losses = epoch(carry, jnp.asarray(perm))
        else:
            for i in range(0, len(x), batch):
                idx = perm[i:i + batch]
                carry, losses = jit_step(carry, (X[idx], Y[idx]))
        jax.block_until_ready(carry)
        times.append(time.perf_counter() - t0)
    acc = float((np.asarray(forward(carry[0], jnp.asarray(xt))).argmax(1) == yt).mean())
    return times, acc


def run_jax_scan(*args):
    return run_jax(*args, scan=True)


def run_sklearn(task, x, y, xt, yt, epochs, sizes, batch):
    import warnings
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier
    if task["loss"] != "ce":
        raise SystemExit("scikit-learn's MLPClassifier has no quadratic cost")
    clf = MLPClassifier(hidden_layer_sizes=tuple(sizes[1:-1]), activation="relu" if task["activation"] == "relu"
                        else "logistic", solver=task["optimizer"], learning_rate_init=task["lr"], batch_size=batch,
                        max_iter=epochs, tol=0.0, n_iter_no_change=10**6, alpha=0.0, random_state=0)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(x, y)
    total = time.perf_counter() - t0
    return [total / epochs] * epochs, float(clf.score(xt, yt))


RUNNERS = {"layerwise": run_layerwise, "layerwise-xla": run_layerwise_xla,
           "layerwise-xla-ckpt100": run_layerwise_xla_checkpointed, "layerwise-numpy": run_layerwise_numpy,
           "layerwise-reference": run_layerwise_reference, "pytorch": run_torch, "pytorch-fused": run_torch_fused,
           "pytorch-compiled": run_torch_compiled, "keras": run_keras, "keras-jax": run_keras_jax,
           "sklearn": run_sklearn, "jax": run_jax, "jax-scan": run_jax_scan}


def main(argv):
    task_id, framework, epochs = argv[0], argv[1], int(argv[2])
    opts = dict(a.split("=", 1) for a in argv[3:])
    task = TASKS[task_id]
    sizes = [int(s) for s in opts["sizes"].split(",")] if "sizes" in opts else task["sizes"]
    batch = int(opts.get("batch", task["batch"]))
    threads = opts.get("threads")
    if framework.startswith("pytorch"):
        import torch
        if threads:
            torch.set_num_threads(int(threads))
    if "synthetic_rows" in opts:  # in memory, made block by block: no second copy of the data
        rows = int(opts["synthetic_rows"])
        x = np.empty((rows, 784), dtype=np.float32)
        rng = np.random.default_rng(0)
        for s in range(0, rows, 10_000):
            rng.random(out=x[s:s + 10_000], dtype=np.float32)
        y = (np.arange(rows) % 10).astype(np.int64)
        xt, yt = x[:10], y[:10]
    elif "memmap_rows" in opts:
        x, y = memmap_data(opts.get("memmap_path", "/tmp/layerwise-bench.npy"), int(opts["memmap_rows"]))
        xt, yt = np.zeros((10, 784), np.float32), np.zeros(10, np.int64)
    else:
        x, y, xt, yt = load_data(int(opts["n_train"]) if "n_train" in opts else None)
    rss_data = peak_rss_mb()
    times, acc = RUNNERS[framework](task, x, y, xt, yt, epochs, sizes, batch)
    steady = times[1:] if len(times) > 1 else times
    sec = float(np.median(steady))
    print(json.dumps({"task": task_id, "framework": framework, "epochs": epochs, "sizes": sizes, "batch": batch,
                      "epoch_seconds": times, "seconds_per_epoch": sec, "samples_per_second": len(x) / sec,
                      "test_accuracy": acc, "peak_rss_mb": peak_rss_mb(), "rss_after_data_mb": rss_data,
                      "gflops": flops_per_sample(sizes) * len(x) / sec / 1e9}))


if __name__ == "__main__":
    main(sys.argv[1:])
