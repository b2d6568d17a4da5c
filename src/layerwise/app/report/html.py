"""The run report: one self-contained HTML page (images embedded, no network), readable on a
laptop and on a phone: a header with what was trained on what and how it did, a responsive grid
of figures, per-class accuracy, the model and config, and the versions in a footer."""
from __future__ import annotations

import base64
import html
from pathlib import Path

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>layerwise run: {title}</title>
<style>
* {{ box-sizing: border-box; }}
body {{ font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #222; line-height: 1.4;
       overflow-wrap: anywhere; }}
main {{ max-width: 1400px; margin: 0 auto; padding: 1rem 1.2rem 2rem; }}
h1 {{ margin: 0.2rem 0; font-size: 1.6rem; }} h2 {{ font-size: 1.15rem; margin: 1.6rem 0 0.6rem; }}
.sub {{ color: #666; margin: 0 0 0.8rem; }}
dl.facts {{ display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 0.15rem 1rem; margin: 0.6rem 0; }}
dl.facts dt {{ color: #666; }} dl.facts dd {{ margin: 0; }}
.cards {{ display: flex; flex-wrap: wrap; gap: 0.6rem; margin: 0.8rem 0; }}
.card {{ border: 1px solid #ddd; border-radius: 6px; padding: 0.45rem 0.8rem; min-width: 9rem; }}
.card .value {{ font-size: 1.35rem; font-weight: 600; }} .card .label {{ color: #666; font-size: 0.85rem; }}
.grid {{ display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 520px), 1fr)); gap: 1rem; }}
figure {{ margin: 0; border: 1px solid #eee; border-radius: 6px; padding: 0.5rem; }}
figure img {{ width: 100%; height: auto; display: block; }}
figcaption {{ font-weight: 600; margin-bottom: 0.3rem; }}
.scroll {{ overflow-x: auto; max-width: 100%; }}
table {{ border-collapse: collapse; }}
td, th {{ padding: 0.2rem 0.8rem; text-align: left; border-bottom: 1px solid #e4e4e4; }}
td.num {{ text-align: right; font-variant-numeric: tabular-nums; }}
pre {{ background: #f6f6f6; padding: 0.8rem; overflow-x: auto; font-size: 0.8rem; max-width: 100%; }}
.warning {{ background: #fff4e5; border-left: 4px solid #f0a020; padding: 0.4rem 0.8rem; margin: 0.3rem 0; }}
footer {{ color: #666; font-size: 0.8rem; border-top: 1px solid #ddd; margin-top: 2rem; padding-top: 0.5rem; }}
</style></head>
<body><main>
<header>
<h1>{title}</h1>
<p class="sub">{subtitle}</p>
<div class="cards" id="headline">{cards}</div>
<dl class="facts" id="facts">{facts}</dl>
<p class="headline" id="final-accuracy">{headline}</p>
</header>
{warnings}
<h2>Figures</h2>
<div class="grid">{figures}</div>
{per_class}
<h2>Metrics</h2>
<div class="scroll"><table class="metrics">{metric_rows}</table></div>
<h2>Model</h2>
<pre id="summary">{summary}</pre>
<h2>Configuration</h2>
<pre id="config">{config}</pre>
<footer>{footer}</footer>
</main>
<script>
// facts of the rendered page for the browser test: pictures decoded, horizontal overflow in pixels
window.addEventListener("load", function () {{
  var imgs = Array.prototype.slice.call(document.images);
  var ok = imgs.filter(function (i) {{ return i.complete && i.naturalWidth > 0; }}).length;
  document.body.setAttribute("data-images-loaded", ok + "/" + imgs.length);
  var doc = document.documentElement;
  document.body.setAttribute("data-overflow-x", String(Math.max(0, doc.scrollWidth - doc.clientWidth)));
}});
</script>
</body></html>
"""

LABELS = {"test_accuracy": "Test accuracy", "test_loss": "Test loss", "best_val_accuracy": "Best validation accuracy",
          "best_val_loss": "Best validation loss", "epochs": "Epochs", "seconds_per_epoch": "Seconds per epoch",
          "train_seconds": "Training time (s)", "parameters": "Parameters", "seed": "Seed",
          "stopped": "Stopped", "stopped_early": "Stopped early", "finished": "Finished"}


def label(key: str) -> str:
    """A metric key in words: "best_val_accuracy" → "Best validation accuracy"."""
    if key in LABELS:
        return LABELS[key]
    words = key.replace("val_", "validation_").replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def _fmt(v) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.4f}" if abs(v) >= 1e-3 or v == 0 else f"{v:.3g}"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, list):
        return ", ".join(_fmt(x) for x in v[:12]) + (" …" if len(v) > 12 else "")
    return html.escape(str(v))


def _warning_html(w) -> str:
    if isinstance(w, dict):
        epoch = f"epoch {int(w['epoch'])}: " if isinstance(w.get("epoch"), int) else ""  # 1-based in warnings.json
        message = html.escape(str(w.get("message", "")))
        return f'<div class="warning"><strong>{html.escape(epoch)}</strong>{message}</div>'
    return f'<div class="warning">{html.escape(str(w))}</div>'


def write_report(run_dir, title: str, metrics: dict, plots: list[tuple[str, Path]], summary: str,
                 config_text: str, warnings: list | None = None, facts: dict | None = None,
                 per_class: list[tuple] | None = None) -> Path:
    """Write ``run_dir/report.html`` and return its path. ``facts``: label → text for the header
    (date, data, model, optimizer); ``per_class``: (class, precision, recall, F1, samples) rows;
    recall is the class's accuracy. The last rows may be the macro and weighted averages."""
    from ...formats.atomic import atomic_write_text
    run_dir = Path(run_dir)
    scored = [k for k, v in metrics.items() if k.startswith("test_") and k != "test_loss"
              and isinstance(v, (int, float)) and not isinstance(v, bool)]
    first = "test_accuracy" if "test_accuracy" in scored else (scored[0] if scored else None)  # the run's metric
    headline = (f"{html.escape(label(first))} <strong>{metrics[first]:.4f}</strong>" if first else "No test metrics")
    if metrics.get("test_loss") is not None:
        headline += f" &nbsp;·&nbsp; test loss {metrics['test_loss']:.4f}"
    best = f"best_val_{first[5:]}" if first else "best_val_accuracy"
    card_keys = [k for k in (first, "test_loss", best, "epochs", "seconds_per_epoch")
                 if k and metrics.get(k) is not None]
    cards = "".join(f'<div class="card" data-key="{k}"><div class="value">{_fmt(metrics[k])}</div>'
                    f'<div class="label">{html.escape(label(k))}</div></div>' for k in card_keys)
    fact_rows = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(str(v))}</dd>" for k, v in (facts or {}).items())
    rows = "".join(f"<tr><th>{html.escape(label(k))}</th><td>{_fmt(v)}</td></tr>" for k, v in metrics.items()
                   if k not in ("versions", "epoch_seconds"))
    figures = []
    for caption, path in plots:
        data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
        figures.append(f"<figure><figcaption>{html.escape(caption)}</figcaption>"
                       f'<img alt="{html.escape(caption)}" src="data:image/png;base64,{data}"></figure>')
    per_class_html = ""
    if per_class:
        body = "".join(f"<tr><td>{html.escape(str(c))}</td><td class='num'>{p:.4f}</td><td class='num'>{r:.4f}</td>"
                       f"<td class='num'>{f:.4f}</td><td class='num'>{n:,}</td></tr>" for c, p, r, f, n in per_class)
        per_class_html = ("<h2>Per-class precision, recall and F1 (test set)</h2><div class='scroll'>"
                          "<table id='per-class'><tr><th>class</th><th>precision</th><th>recall (accuracy)</th>"
                          "<th>F1</th><th>samples</th></tr>" + body + "</table></div>")
    versions = metrics.get("versions", {})
    footer = "made by layerwise" + (" · " + " · ".join(f"{html.escape(k)} {html.escape(str(v))}"
                                                      for k, v in versions.items()) if versions else "")
    page = PAGE.format(title=html.escape(title), subtitle=html.escape(f"run directory {run_dir}"),
                       cards=cards, facts=fact_rows, headline=headline, metric_rows=rows,
                       figures="\n".join(figures), per_class=per_class_html, summary=html.escape(summary),
                       config=html.escape(config_text), footer=footer,
                       warnings="".join(_warning_html(w) for w in (warnings or [])))
    out = run_dir / "report.html"
    atomic_write_text(out, page)
    return out

