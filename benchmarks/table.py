"""Print the README's performance tables from benchmarks/results/*.json.

    python -m benchmarks.table
"""
from __future__ import annotations

import json
from pathlib import Path

RESULTS = Path(__file__).parent / "results"


def main() -> None:
    rows = ["| task | tool | s/epoch | samples/s | test acc. | peak RSS | % of sgemm peak | layerwise speed-up |",
            "|---|---|---:|---:|---:|---:|---:|---:|"]
    for t in ("1", "2", "3"):
        path = RESULTS / f"task{t}.json"
        if not path.exists():
            continue
        d = json.loads(path.read_text())
        speed = d["results"].get("layerwise", {}).get("speedup", {})
        for name, r in d["results"].items():
            up = "—" if name == "layerwise" else f"{speed.get(name, float('nan')):.2f}×"
            rows.append(f"| {t} | {name} | {r['seconds_per_epoch']:.3f} | {r['samples_per_second']:,.0f} | "
                        f"{r['test_accuracy']:.4f} | {r['peak_rss_mb']:.0f} MB | {r['percent_of_sgemm_peak']:.1f} | {up} |")
    print("\n".join(rows))
    engine_tables()
    program_tables()
    scaling = RESULTS / "taskscaling.json"
    if scaling.exists():
        d = json.loads(scaling.read_text())
        print("\n| batch size | layerwise s/epoch | PyTorch s/epoch |\n|---:|---:|---:|")
        for r in d["batch"]:
            print(f"| {r['batch']} | {r['layerwise']:.3f} | {r['pytorch']:.3f} |")
        print("\n| width (784-w-w-10) | layerwise s/epoch | PyTorch s/epoch |\n|---:|---:|---:|")
        for r in d["width"]:
            print(f"| {r['width']} | {r['layerwise']:.3f} | {r['pytorch']:.3f} |")
        print("\n| samples | data | storage | peak RSS |\n|---:|---:|---|---:|")
        for r in d["data_size"]:
            print(f"| {r['samples']:,} | {r['data_mb']:,.0f} MB | {r['storage']} | {r['peak_rss_mb']:,.0f} MB |")
    gpu = RESULTS / "gpu_h100.json"
    if gpu.exists():
        d = json.loads(gpu.read_text())
        print(f"\n| GPU ({d['device']}, fp32 peak {d['fp32_peak_tflops']:.0f} TFLOP/s) | task | s/epoch | % of fp32 peak |"
              "\n|---|---|---:|---:|")
        for t, res in d["tasks"].items():
            for name, r in res.items():
                print(f"| {name} | {t} | {r['seconds_per_epoch']:.3f} | {r['percent_of_fp32_peak']:.1f} |")


def program_tables() -> None:
    """The step program's runs (issue 24, before the XLA engine): results/task{1,3}[_busy]_program.json."""
    side_by_side("program")


def engine_tables() -> None:
    """The engines against the peers (issue 30): results/task{1,3}[_busy]_engine.json and
    book_engine.json, with each tool's first epoch (which includes XLA's or torch.compile's compile)."""
    side_by_side("engine", first_epoch=True)
    pairs = RESULTS / "task1_busy_busy_pairs.json"
    if pairs.exists():  # the two closest tools, more repeats: each pair ran back to back
        res = json.loads(pairs.read_text())["results"]
        ours, peer = res["layerwise-xla"], res["jax-scan"]
        runs = zip(*([r["seconds_per_epoch"] for r in t["runs"]] for t in (ours, peer)))
        print(f"\n| busy pairs: task 1 beside a busy process, {len(ours['runs'])} pairs | layerwise-xla | jax-scan | "
              "jax-scan ÷ layerwise-xla |\n|---|---:|---:|---:|")
        for i, (a, b) in enumerate(runs, 1):
            print(f"| pair {i} | {a:.3f} | {b:.3f} | {b / a:.3f}× |")
        a, b = ours["seconds_per_epoch"], peer["seconds_per_epoch"]
        print(f"| median | {a:.3f} | {b:.3f} | {b / a:.3f}× |")
    path = RESULTS / "book_engine.json"
    if path.exists():
        book = json.loads(path.read_text())
        rows = _by_tool(book)["results"]
        print(f"\n| book task (784-30-10, batch 10, float64, {book.get('epochs', 1)} epochs a process) | s/epoch | "
              "first epoch | test acc. | "
              "vs network2.py | vs jax-scan |\n|---|---:|---:|---:|---:|---:|")
        for name, r in rows.items():
            monitors = " + monitors" if name.endswith(" + monitors") else ""
            ratio = [rows.get(f"{peer}{monitors}", {}).get("seconds_per_epoch") for peer in ("network2", "jax-scan")]
            cells = ["—" if p is None else f"{p / r['seconds_per_epoch']:.2f}×" for p in ratio]
            print(f"| {name} | {r['seconds_per_epoch']:.3f} | {r.get('first_epoch_seconds', float('nan')):.3f} | "
                  f"{r['test_accuracy']:.4f} | {cells[0]} | {cells[1]} |")


def side_by_side(tag: str, first_epoch: bool = False) -> None:
    """Quiet and busy task 1 and task 3 from results/<task><busy>_<tag>.json."""
    runs = [(f"task {t}, {label}", RESULTS / f"task{t}{busy}_{tag}.json")
            for t, busy, label in (("1", "", "quiet"), ("1", "_busy", "one busy process beside it"), ("3", "", "quiet"))]
    runs = [(label, _by_tool(json.loads(path.read_text()))) for label, path in runs if path.exists()]
    if not runs:
        return
    names = list(dict.fromkeys(n for _, d in runs for n in d["results"]))
    print("\n| s/epoch (median of fresh interleaved processes) | " + " | ".join(names) + " |")
    print("|---|" + "---:|" * len(names))
    for label, d in runs:
        res = d["results"]
        best = min(r["seconds_per_epoch"] for r in res.values())
        cells = []
        for n in names:
            sec = res.get(n, {}).get("seconds_per_epoch")
            cells.append("—" if sec is None else (f"**{sec:.3f}**" if sec == best else f"{sec:.3f}"))
        print(f"| {label} | " + " | ".join(cells) + " |")
        if first_epoch:
            firsts = [res.get(n, {}).get("first_epoch_seconds") for n in names]
            print("| ↳ first epoch (with compiling) | " +
                  " | ".join("—" if f is None else f"{f:.3f}" for f in firsts) + " |")


def _by_tool(d: dict) -> dict:
    """A result file with ``results`` keyed by tool; the book's list of (config, monitors) rows becomes
    one key per row ("network2 + monitors", with the dtype suffix dropped when it is float64)."""
    if isinstance(d["results"], dict):
        return d
    rows = {}
    for r in d["results"]:
        name = r["config"].removesuffix("-float64") + (" + monitors" if r["monitors"] else "")
        rows[name] = r
    return {**d, "results": rows}


if __name__ == "__main__":
    main()
