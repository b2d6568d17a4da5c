"""GPU comparison (run on a machine with CuPy, PyTorch and a CUDA GPU):

    PYTHONPATH=src python -m benchmarks.gpu [--epochs 5]

Tasks 1 (784-256-128-10, Adam, batch 128) and 3 (784-1024-1024-10, batch 512) on 60,000 random
Fashion-MNIST-sized samples kept on the device: layerwise (CuPy)
against PyTorch eager and PyTorch with a captured CUDA graph. Prints one JSON object.
"""
from __future__ import annotations

import argparse
import json
import time

import numpy as np

from .tasks import flops_per_sample


def fp32_peak_tflops(n: int = 8192) -> float:
    import cupy as cp
    a = cp.random.random((n, n), dtype=cp.float32)
    b = cp.random.random((n, n), dtype=cp.float32)
    a @ b
    cp.cuda.Device().synchronize()
    start, end = cp.cuda.Event(), cp.cuda.Event()
    best = 1e9
    for _ in range(5):
        start.record()
        a @ b
        end.record()
        end.synchronize()
        best = min(best, cp.cuda.get_elapsed_time(start, end) / 1e3)
    return 2 * n ** 3 / best / 1e12


def layerwise_epochs(x, y, sizes, batch, epochs, graph: bool):
    import layerwise as lw
    layers = [lw.Dense(n, "relu", kernel_initializer="he_normal") for n in sizes[1:-1]]
    layers.append(lw.Dense(sizes[-1], "softmax"))
    model = lw.Sequential(layers, input_shape=(sizes[0],), seed=0, backend_name="cupy")
    model.compile(lw.Adam(1e-3), "categorical_crossentropy", metrics=["accuracy"])
    hist = model.fit(x, y, batch_size=batch, epochs=epochs, verbose=0)
    return hist.history["time"], hist.history["accuracy"][-1]


def torch_epochs(x, y, sizes, batch, epochs, graph: bool):
    import torch
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
    args = p.parse_args()
    import cupy as cp
    rng = np.random.default_rng(0)
    x = rng.random((60000, 784), dtype=np.float32)
    y = rng.integers(0, 10, 60000)
    peak = fp32_peak_tflops()
    out = {"device": cp.cuda.runtime.getDeviceProperties(0)["name"].decode(), "fp32_peak_tflops": peak, "tasks": {}}
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
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
