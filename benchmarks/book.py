"""The book's task side by side: Nielsen's [784, 30, 10] sigmoid network, cross-entropy, batch 10,
η = 0.5, λ = 5, on the full Fashion-MNIST (60,000 training and 10,000 test images in the book's
list-of-columns format), one epoch per fresh process, with no monitors and with all four.

    python -m benchmarks.book                       # layerwise's book API and PyTorch, 3 repeats
    python -m benchmarks.book --network2 PATH       # also the book's own network2.py (a Python 3
                                                    # port you provide; it is not in this repository)

Each measurement is a fresh process; configurations are interleaved (A B C A B C ...) and the
median is reported. Times include turning the book's lists into arrays (the SGD call's own work).
Results go to benchmarks/results/book.json.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).parent / "results"
MONITORS = dict(monitor_evaluation_cost=True, monitor_evaluation_accuracy=True,
                monitor_training_cost=True, monitor_training_accuracy=True)


def book_data():
    """The book's format: (x (784, 1), one-hot y (10, 1)) training pairs, (x, label) test pairs."""
    import layerwise as lw
    ds = lw.datasets.load("fashion-mnist")
    eye = np.eye(10)
    train = [(x.reshape(784, 1), eye[y].reshape(10, 1)) for x, y in zip(ds.x_train, ds.y_train)]
    test = [(x.reshape(784, 1), int(y)) for x, y in zip(ds.x_test, ds.y_test)]
    return train, test


class EpochClock(io.StringIO):
    """Captures the book's printing and times each epoch as a user waits for it: its training and
    its monitors, from the end of the previous epoch's last line to the end of its own last line."""

    def __init__(self):
        super().__init__()
        self.t0, self.writes = time.perf_counter(), []  # (time, starts an epoch)

    def write(self, text):
        self.writes.append((time.perf_counter(), "training complete" in text))
        return super().write(text)

    def epoch_seconds(self) -> list[float]:
        marks = [t for t, starts in self.writes if starts]
        # epoch j ends at the last write before epoch j+1's "training complete" line (the last epoch:
        # at its last write); epoch j+1 starts there
        bounds = []
        for j in range(len(marks)):
            bounds.append(max(t for t, _ in self.writes if t < marks[j + 1]) if j + 1 < len(marks)
                          else self.writes[-1][0])
        return [b - a for a, b in zip([self.t0, *bounds[:-1]], bounds)]


def run_layerwise(train, test, dtype, monitors, epochs):
    import layerwise.compat.nielsen as network2
    net = network2.Network([784, 30, 10], cost=network2.CrossEntropyCost, dtype=dtype, seed=0)
    clock = EpochClock()
    with contextlib.redirect_stdout(clock):
        net.SGD(train, epochs, 10, 0.5, lmbda=5.0, evaluation_data=test, **(MONITORS if monitors else {}))
    return clock.epoch_seconds(), net.accuracy(test) / len(test)


def run_network2(train, test, path, monitors, epochs):
    sys.path.insert(0, str(Path(path).parent))
    network2 = __import__(Path(path).stem)
    np.random.seed(0)
    net = network2.Network([784, 30, 10], cost=network2.CrossEntropyCost)
    clock = EpochClock()
    with contextlib.redirect_stdout(clock):
        net.SGD(train, epochs, 10, 0.5, lmbda=5.0, evaluation_data=test, **(MONITORS if monitors else {}))
    return clock.epoch_seconds(), net.accuracy(test) / len(test)


def run_jax_scan(train, test, dtype, monitors, epochs):
    """JAX as its users write it: the same network and update (BCE summed over outputs, averaged
    over the batch, L2 decay λ/n on the weights), the epoch as one jitted lax.scan over batches of 10
    (60,000 is a multiple of 10), and the monitors as jitted whole-set passes."""
    import jax
    if dtype == "float64":
        jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    dt = jnp.float64 if dtype == "float64" else jnp.float32
    x = jnp.asarray(np.stack([p[0] for p in train]).reshape(len(train), -1), dt)
    y = jnp.asarray(np.stack([p[1] for p in train]).reshape(len(train), -1), dt)
    xt = jnp.asarray(np.stack([p[0] for p in test]).reshape(len(test), -1), dt)
    yt = jnp.asarray([p[1] for p in test])
    rng = np.random.default_rng(0)
    params = [(jnp.asarray(rng.standard_normal((a, b)) / np.sqrt(a), dt), jnp.asarray(rng.standard_normal(b), dt))
              for a, b in ((784, 30), (30, 10))]
    n, lmbda, eta = len(train), 5.0, 0.5

    def forward(p, xb):
        for w, b in p:
            xb = jax.nn.sigmoid(xb @ w + b)
        return xb

    def loss(p, xb, yb):
        a = jnp.clip(forward(p, xb), 1e-12, 1 - 1e-12)
        return -(yb * jnp.log(a) + (1 - yb) * jnp.log1p(-a)).sum() / xb.shape[0]

    def step(p, batch):
        g = jax.grad(loss)(p, *batch)
        return [((1 - eta * lmbda / n) * w - eta * gw, b - eta * gb) for (w, b), (gw, gb) in zip(p, g)], None

    @jax.jit
    def epoch(p, perm):
        idx = perm.reshape(-1, 10)
        return jax.lax.scan(step, p, (x[idx], y[idx]))[0]

    @jax.jit
    def monitor(p):
        l2 = sum((w * w).sum() for w, _ in p)
        return (loss(p, x, y) + 0.5 * lmbda / n * l2, (forward(p, x).argmax(1) == y.argmax(1)).sum(),
                (forward(p, xt).argmax(1) == yt).sum())

    times = []
    for _ in range(epochs):
        t0 = time.perf_counter()
        params = epoch(params, jnp.asarray(rng.permutation(n)))
        if monitors:
            [float(v) for v in monitor(params)]
        jax.block_until_ready(params)
        times.append(time.perf_counter() - t0)
    return times, float((forward(params, xt).argmax(1) == yt).mean())


def run_torch(train, test, dtype, monitors, epochs=1):
    """The same work in PyTorch: the lists stacked into tensors, shuffled batches of 10, BCE summed
    over outputs and averaged over the batch, SGD with weight decay λ/n on the weights only."""
    import torch
    torch.manual_seed(0)
    torch.set_num_threads(2)
    tdt = torch.float64 if dtype == "float64" else torch.float32
    t0 = time.perf_counter()
    x = torch.from_numpy(np.stack([p[0] for p in train]).reshape(len(train), -1)).to(tdt)
    y = torch.from_numpy(np.stack([p[1] for p in train]).reshape(len(train), -1)).to(tdt)
    xt = torch.from_numpy(np.stack([p[0] for p in test]).reshape(len(test), -1)).to(tdt)
    yt = torch.tensor([p[1] for p in test])
    model = torch.nn.Sequential(torch.nn.Linear(784, 30), torch.nn.Sigmoid(), torch.nn.Linear(30, 10),
                                torch.nn.Sigmoid()).to(tdt)
    n, lmbda = len(x), 5.0
    weights = [p for name, p in model.named_parameters() if name.endswith("weight")]
    biases = [p for name, p in model.named_parameters() if name.endswith("bias")]
    opt = torch.optim.SGD([{"params": weights, "weight_decay": lmbda / n}, {"params": biases}], lr=0.5)
    bce = torch.nn.BCELoss(reduction="sum")
    order = torch.randperm(n)
    for k in range(0, n, 10):
        idx = order[k:k + 10]
        opt.zero_grad(set_to_none=True)
        loss = bce(model(x[idx]), y[idx]) / len(idx)
        loss.backward()
        opt.step()
    if monitors:
        with torch.no_grad():
            l2 = sum(float((w * w).sum()) for w in weights)
            for xs, ys, labels in ((x, y, y.argmax(1)), (xt, torch.nn.functional.one_hot(yt, 10).to(tdt), yt)):
                a = model(xs)
                cost = float(bce(a, ys)) / len(xs) + 0.5 * lmbda / len(xs) * l2
                correct = int((a.argmax(1) == labels).sum())
    seconds = time.perf_counter() - t0
    with torch.no_grad():
        acc = float((model(xt).argmax(1) == yt).float().mean())
    return seconds, acc


def child(config: str, monitors: bool, network2_path: str | None, epochs: int) -> None:
    import os
    train, test = book_data()
    kind, _, dtype = config.rpartition("-")
    if kind.startswith("layerwise"):  # layerwise-xla, layerwise-numpy: the engine; layerwise: the default
        if kind != "layerwise":
            os.environ["LAYERWISE_ENGINE"] = kind.split("-", 1)[1]
        times, acc = run_layerwise(train, test, dtype, monitors, epochs)
    elif kind == "pytorch":
        seconds, acc = run_torch(train, test, dtype, monitors)
        times = [seconds]
    elif kind == "jax-scan":
        times, acc = run_jax_scan(train, test, dtype, monitors, epochs)
    else:
        times, acc = run_network2(train, test, network2_path, monitors, epochs)
    steady = times[1:] if len(times) > 1 else times
    print(json.dumps({"config": config, "monitors": monitors, "epoch_seconds": times,
                      "seconds_per_epoch": float(np.median(steady)), "test_accuracy": acc}))


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--network2", help="path to a Python 3 port of the book's network2.py (not shipped)")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    ap.add_argument("--epochs", type=int, default=1, help="epochs per process (the first includes compiling)")
    ap.add_argument("--configs", nargs="+", default=["layerwise-float64", "layerwise-float32", "pytorch-float64",
                                                     "pytorch-float32"])
    ap.add_argument("--tag", default="", help="added to the results file's name (book_<tag>.json)")
    args = ap.parse_args(argv)
    if args.child:
        child(args.child[0], args.child[1] == "1", args.network2, args.epochs)
        return
    configs = list(args.configs)
    if args.network2 and "network2-float64" not in configs:
        configs.append("network2-float64")
    runs: dict[tuple[str, bool], list[dict]] = {}
    for r in range(args.repeats):
        for monitors in (False, True):
            for config in configs:  # interleaved, fresh processes
                cmd = [sys.executable, "-m", "benchmarks.book", "--child", config, str(int(monitors)),
                       "--epochs", str(args.epochs)]
                if args.network2:
                    cmd += ["--network2", args.network2]
                proc = subprocess.run(cmd, capture_output=True, text=True, cwd=Path(__file__).parents[1])
                if proc.returncode != 0:
                    print(f"  {config}: failed: {proc.stderr.strip().splitlines()[-1:]}")
                    continue
                res = json.loads(proc.stdout.strip().splitlines()[-1])
                runs.setdefault((config, monitors), []).append(res)
                print(f"  [{r + 1}/{args.repeats}] {config:18s} monitors={monitors!s:5s} "
                      f"{res['seconds_per_epoch']:.3f} s/epoch  acc {res['test_accuracy']:.4f}")
    summary = [{"config": c, "monitors": m, "seconds_per_epoch": float(np.median([x["seconds_per_epoch"] for x in v])),
                "first_epoch_seconds": float(np.median([x.get("epoch_seconds", [x["seconds_per_epoch"]])[0]
                                                        for x in v])),
                "test_accuracy": float(np.median([x["test_accuracy"] for x in v])),
                "runs": [x["seconds_per_epoch"] for x in v]} for (c, m), v in runs.items()]
    RESULTS.mkdir(exist_ok=True)
    out = {"task": "book: [784, 30, 10] sigmoid, cross-entropy, batch 10, eta 0.5, lambda 5, Fashion-MNIST 60k/10k",
           "command": "python -m benchmarks.book " + " ".join(argv if argv is not None else sys.argv[1:]),
           "epochs": args.epochs, "repeats": args.repeats, "results": summary}
    (RESULTS / f"book{'_' + args.tag if args.tag else ''}.json").write_text(json.dumps(out, indent=2))
    for row in summary:
        print(f"{row['config']:18s} monitors={row['monitors']!s:5s} {row['seconds_per_epoch']:.3f} s/epoch")


if __name__ == "__main__":
    main()
