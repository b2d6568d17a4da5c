"""Layerwise against an earlier revision of itself, side by side: did a change keep the speed?

    python -m benchmarks.versions --before d05eea1 --task 1 --epochs 4 --repeats 3
    python -m benchmarks.versions --before d05eea1 --task book --repeats 3

The revision's ``src/`` is exported with ``git archive`` into a temporary directory; each
measurement is a fresh process (``benchmarks.tasks`` or ``benchmarks.book``'s child) run with
``PYTHONPATH`` pointing at one tree or the other, interleaved (before, after, before, after, ...),
and the medians are reported. Results go to benchmarks/results/versions_<task>.json.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).parent / "results"


def export(revision: str, into: Path) -> Path:
    """The revision's src/ tree, unpacked under ``into``."""
    data = subprocess.run(["git", "archive", revision, "src"], cwd=ROOT, capture_output=True, check=True).stdout
    with tarfile.open(fileobj=BytesIO(data)) as tar:
        tar.extractall(into, filter="data")
    return into / "src"


def measure(src: Path, task: str, epochs: int) -> dict:
    if task == "book":
        cmd = [sys.executable, "-m", "benchmarks.book", "--child", "layerwise-float64", "0"]
    else:
        cmd = [sys.executable, "-m", "benchmarks.tasks", task, "layerwise", str(epochs)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(src)),
                          check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--before", required=True, help="a git revision to compare the working tree with")
    p.add_argument("--task", default="1", help="1, 2, 3 (benchmarks.tasks) or book (benchmarks.book)")
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        trees = {f"before {args.before}": export(args.before, Path(tmp)), "after (working tree)": ROOT / "src"}
        runs: dict[str, list[dict]] = {name: [] for name in trees}
        for r in range(args.repeats):
            for name, src in trees.items():
                res = measure(src, args.task, args.epochs)
                runs[name].append({k: res[k] for k in ("seconds_per_epoch", "test_accuracy")})
                print(f"[{r + 1}/{args.repeats}] {name:28s} {res['seconds_per_epoch']:.3f} s/epoch  "
                      f"acc {res['test_accuracy']:.4f}", flush=True)
    medians = {name: statistics.median(r["seconds_per_epoch"] for r in v) for name, v in runs.items()}
    before, after = medians.values()
    print(f"median s/epoch: {medians}; after/before = {after / before:.3f}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"versions_{args.task}.json").write_text(json.dumps(
        {"command": "python -m benchmarks.versions " + " ".join(argv if argv is not None else sys.argv[1:]),
         "task": args.task, "medians": medians, "after_over_before": after / before, "runs": runs}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
