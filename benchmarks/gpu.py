"""GPU comparison (run on a machine with JAX's CUDA build, PyTorch and a CUDA GPU):

    python -m benchmarks.gpu [--epochs 5] [--out benchmarks/results/gpu.json]

Tasks 1 (784-256-128-10, Adam, batch 128) and 3 (784-1024-1024-10, batch 512) on 60,000 random
Fashion-MNIST-sized samples kept on the device: layerwise's XLA engine on the GPU
(``fit(device="cuda")``, float32 products at full precision, not TF32) against PyTorch eager and
PyTorch with a captured CUDA graph (its Adam capturable, TF32 off as well). Writes one JSON object
with the command.
"""
from __future__ import annotations

import argparse
import json
import time

import numpy as np

from .tasks import flops_per_sample


def fp32_peak_tflops(n: int = 8192) -> float:
    """The best of five full-precision float32 products of n × n matrices on the GPU, in TFLOP/s."""
    import torch
    torch.backends.cuda.matmul.allow_tf32 = False
    a = torch.rand((n, n), device="cuda")
    b = torch.rand((n, n), device="cuda")
    a @ b
    torch.cuda.synchronize()
    best = 1e9
    for _ in range(5):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        a @ b
        end.record()
        end.synchronize()
        best = min(best, start.elapsed_time(end) / 1e3)
    return 2 * n ** 3 / best / 1e12


def layerwise_epochs(x, y, sizes, batch, epochs, graph: bool):
    import layerwise as lw
    layers = [lw.Dense(n, "relu", kernel_initializer="he_normal") for n in sizes[1:-1]]
    layers.append(lw.Dense(sizes[-1], "softmax"))
    model = lw.Sequential(layers, input_shape=(sizes[0],), seed=0)
    model.compile(lw.Adam(1e-3), "categorical_crossentropy", metrics=["accuracy"])
    hist = model.fit(x, y, batch_size=batch, epochs=epochs, verbose=0, engine="xla", device="cuda")
    return hist.history["time"], hist.history["accuracy"][-1]


def torch_epochs(x, y, sizes, batch, epochs, graph: bool):
    import torch
    torch.backends.cuda.matmul.allow_tf32 = False  # the same full-precision float32 products as layerwise's
    dev = torch.device("cuda")
    torch.manual_seed(0)
    mods = []
    for a, b in zip(sizes[:-2], sizes[1:-1]):
        mods += [torch.nn.Linear(a, b), torch.nn.ReLU()]
    mods.append(torch.nn.Linear(sizes[-2], sizes[-1]))
    net = torch.nn.Sequential(*mods).to(dev)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, capturable=graph)
    ce = torch.nn.CrossEntropyLoss()
    X, Y = torch.from_numpy(x).to(dev), torch.from_numpy(y).to(dev)
    n = len(X)
    steps = n // batch
    times = []
    if graph:
        sx = torch.empty((batch, sizes[0]), device=dev)
        sy = torch.empty((batch,), dtype=torch.int64, device=dev)
        s = torch.cuda.Stream()
        s.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(s):
            for _ in range(3):
                opt.zero_grad(set_to_none=True)
                ce(net(sx.copy_(X[:batch])), sy.copy_(Y[:batch])).backward()
                opt.step()
        torch.cuda.current_stream().wait_stream(s)
        g = torch.cuda.CUDAGraph()
        opt.zero_grad(set_to_none=True)
        with torch.cuda.graph(g):
            loss = ce(net(sx), sy)
            loss.backward()
            opt.step()
    for _ in range(epochs):
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        perm = torch.randperm(n, device=dev)
        for i in range(steps):
            idx = perm[i * batch:(i + 1) * batch]
            if graph:
                sx.copy_(X[idx])
                sy.copy_(Y[idx])
                g.replay()
            else:
                opt.zero_grad(set_to_none=True)
                ce(net(X[idx]), Y[idx]).backward()
                opt.step()
        torch.cuda.synchronize()
        times.append(time.perf_counter() - t0)
    return times, None


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--out", default="benchmarks/results/gpu.json")
    args = p.parse_args()
    import sys
    from pathlib import Path

    import torch
    rng = np.random.default_rng(0)
    x = rng.random((60000, 784), dtype=np.float32)
    y = rng.integers(0, 10, 60000)
    peak = fp32_peak_tflops()
    out = {"command": "python -m benchmarks.gpu " + " ".join(sys.argv[1:]), "device": torch.cuda.get_device_name(0),
           "fp32_peak_tflops": peak, "tasks": {}}
    for task, sizes, batch in (("1", [784, 256, 128, 10], 128), ("3", [784, 1024, 1024, 10], 512)):
        res = {}
        for name, fn, graph in (("layerwise", layerwise_epochs, False), ("pytorch_eager", torch_epochs, False),
                                ("pytorch_graph", torch_epochs, True)):
            times, _ = fn(x, y, sizes, batch, args.epochs, graph)
            sec = float(np.median(times[1:]))
            res[name] = {"seconds_per_epoch": sec, "epoch_seconds": times,
                         "tflops": flops_per_sample(sizes) * len(x) / sec / 1e12}
            res[name]["percent_of_fp32_peak"] = 100 * res[name]["tflops"] / peak
        out["tasks"][task] = res
    Path(args.out).write_text(json.dumps(out, indent=1))
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
