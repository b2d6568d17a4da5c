"""Run the benchmarks side by side and write benchmarks/results/*.json.

    python -m benchmarks                      # tasks 1-3 (3 repeats) and the scaling task
    python -m benchmarks --tasks 1 2 --repeats 5
    python -m benchmarks --tasks scaling
    python -m benchmarks --tasks 1 --busy    # with one competing CPU-bound process (results: task1_busy.json)

Each measurement is one fresh process (so peak memory is its own); frameworks are interleaved
(A B C A B C ...) and the median of the repeats is reported.
"""
from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from .tasks import TASKS

RESULTS = Path(__file__).parent / "results"
FRAMEWORKS = ["layerwise", "layerwise-xla", "layerwise-numpy", "layerwise-reference", "pytorch", "pytorch-fused", "pytorch-compiled", "keras", "sklearn",
              "jax", "jax-scan"]
BUSY = "while True: pass"  # the competing process of --busy: one core kept busy by another program


def sgemm_peak_gflops(n: int = 2048, repeats: int = 7) -> float:
    """This machine's float32 matrix-multiply peak as NumPy's BLAS reaches it (best of several)."""
    a = np.random.default_rng(0).random((n, n), dtype=np.float32)
    b = np.random.default_rng(1).random((n, n), dtype=np.float32)
    a @ b
    best = min(_timed(lambda: a @ b) for _ in range(repeats))
    return 2 * n ** 3 / best / 1e9


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def measure(task: str, framework: str, epochs: int, **opts) -> dict | None:
    cmd = [sys.executable, "-m", "benchmarks.tasks", task, framework, str(epochs),
           *[f"{k}={v}" for k, v in opts.items()]]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=Path(__file__).parents[1])
    if proc.returncode != 0:
        print(f"  {framework}: failed: {proc.stderr.strip().splitlines()[-1] if proc.stderr else proc.returncode}")
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def median_of(runs: list[dict]) -> dict:
    out = dict(runs[0])
    for key in ("seconds_per_epoch", "samples_per_second", "test_accuracy", "peak_rss_mb", "gflops"):
        out[key] = float(np.median([r[key] for r in runs]))
    out["first_epoch_seconds"] = float(np.median([r["epoch_seconds"][0] for r in runs]))  # with compiling
    out["runs"] = [{k: r[k] for k in ("seconds_per_epoch", "test_accuracy", "peak_rss_mb")} for r in runs]
    return out


def run_task(task: str, repeats: int, peak: float, frameworks: list[str], epochs: int | None) -> dict:
    spec = TASKS[task]
    epochs = epochs or spec["epochs"]
    fws = [f for f in frameworks if not (f == "sklearn" and spec["loss"] != "ce")]
    print(f"task {task}: {spec['title']} ({epochs} epochs × {repeats} repeats)")
    runs: dict[str, list[dict]] = {f: [] for f in fws}
    for r in range(repeats):
        for f in fws:  # interleaved: A B C A B C
            res = measure(task, f, epochs)
            if res:
                runs[f].append(res)
                print(f"  [{r + 1}/{repeats}] {f:10s} {res['seconds_per_epoch']:.3f} s/epoch  "
                      f"acc {res['test_accuracy']:.4f}  rss {res['peak_rss_mb']:.0f} MB")
    summary = {f: median_of(v) for f, v in runs.items() if v}
    for f, s in summary.items():
        s["percent_of_sgemm_peak"] = 100.0 * s["gflops"] / peak
    lw = summary.get("layerwise")
    if lw:
        lw["speedup"] = {f: s["seconds_per_epoch"] / lw["seconds_per_epoch"] for f, s in summary.items()
                         if f != "layerwise"}
    return {"task": task, "title": spec["title"], "epochs": epochs, "repeats": repeats,
            "sgemm_peak_gflops": peak, "results": summary}


def run_scaling(peak: float) -> dict:
    """Seconds per epoch against batch size and width (layerwise vs PyTorch, 20k samples, one epoch),
    and peak memory against data set size (in memory, and a memory-mapped sparse file of 30 GB)."""
    out: dict = {"sgemm_peak_gflops": peak, "batch": [], "width": [], "data_size": []}
    for batch in (16, 32, 64, 128, 256, 512, 1024):
        row = {"batch": batch}
        for f in ("layerwise", "pytorch"):
            res = measure("1", f, 2, batch=batch, n_train=20000)
            row[f] = res and res["seconds_per_epoch"] * 3  # per 60,000 samples
        print(f"  batch {batch}: {row}")
        out["batch"].append(row)
    for width in (64, 128, 256, 512, 1024):
        row = {"width": width}
        for f in ("layerwise", "pytorch"):
            res = measure("1", f, 2, sizes=f"784,{width},{width},10", n_train=20000)
            row[f] = res and res["seconds_per_epoch"] * 3
        print(f"  width {width}: {row}")
        out["width"].append(row)
    for n in (60_000, 240_000, 960_000):
        res = measure("1", "layerwise", 1, synthetic_rows=n, sizes="784,32,10")
        row = {"samples": n, "data_mb": n * 784 * 4 / 2**20, "peak_rss_mb": res and res["peak_rss_mb"],
               "storage": "memory"}
        print(f"  data {row}")
        out["data_size"].append(row)
    rows = 30 * 2**30 // (784 * 4)  # about 30 GiB: more than this machine's RAM
    res = measure("1", "layerwise", 1, memmap_rows=rows, sizes="784,32,10", batch=1024)
    row = {"samples": rows, "data_mb": rows * 784 * 4 / 2**20, "peak_rss_mb": res and res["peak_rss_mb"],
           "storage": "memmap (sparse file)", "seconds": res and res["seconds_per_epoch"]}
    print(f"  data {row}")
    out["data_size"].append(row)
    Path("/tmp/layerwise-bench.npy").unlink(missing_ok=True)
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tasks", nargs="+", default=["1", "2", "3", "scaling"])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--epochs", type=int, default=None, help="override each task's epoch count")
    p.add_argument("--frameworks", nargs="+", default=FRAMEWORKS)
    p.add_argument("--busy", action="store_true", help="run everything beside one CPU-bound process")
    p.add_argument("--tag", default="", help="added to the results file's name (task1_<tag>.json)")
    args = p.parse_args(argv)
    busy = subprocess.Popen([sys.executable, "-c", BUSY]) if args.busy else None
    try:
        return _run(args, argv)
    finally:
        if busy is not None:
            busy.kill()
            busy.wait()


def _run(args, argv) -> int:
    RESULTS.mkdir(exist_ok=True)
    peak = sgemm_peak_gflops()
    machine = {"python": platform.python_version(), "cpus": len(__import__("os").sched_getaffinity(0)),
               "processor": platform.processor() or platform.machine(), "sgemm_peak_gflops": peak}
    print(f"float32 matrix-multiply peak: {peak:.0f} GFLOP/s")
    for task in args.tasks:
        result = run_scaling(peak) if task == "scaling" else \
            run_task(task, args.repeats, peak, args.frameworks, args.epochs)
        result["machine"] = machine
        result["command"] = "python -m benchmarks " + " ".join(argv if argv is not None else sys.argv[1:])
        result["busy"] = bool(args.busy)
        name = f"task{task}{'_busy' if args.busy else ''}{'_' + args.tag if args.tag else ''}.json"
        (RESULTS / name).write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
