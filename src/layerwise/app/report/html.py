"""The run report: one self-contained HTML page (images embedded, no network)."""
from __future__ import annotations

import base64
import html
import json
from pathlib import Path

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>layerwise run: {title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #222; }}
h1 {{ margin-bottom: 0.2rem; }} .sub {{ color: #666; margin-top: 0; }}
table.metrics td, table.metrics th {{ padding: 0.25rem 0.8rem; text-align: left; border-bottom: 1px solid #ddd; }}
.headline {{ font-size: 1.6rem; margin: 1rem 0; }}
figure {{ margin: 1.5rem 0; }} figure img {{ max-width: 100%; border: 1px solid #eee; }}
pre {{ background: #f6f6f6; padding: 0.8rem; overflow-x: auto; font-size: 0.85rem; }}
.warning {{ background: #fff4e5; border-left: 4px solid #f0a020; padding: 0.4rem 0.8rem; margin: 0.3rem 0; }}
</style></head>
<body>
<h1>{title}</h1>
<p class="sub">{subtitle}</p>
<p class="headline" id="final-accuracy">{headline}</p>
{warnings}
<h2>Metrics</h2>
<table class="metrics">{metric_rows}</table>
{figures}
<h2>Model</h2>
<pre id="summary">{summary}</pre>
<h2>Configuration</h2>
<pre id="config">{config}</pre>
<script>
// marks the page once every picture has decoded (used by the browser test)
window.addEventListener("load", function () {{
  var imgs = Array.prototype.slice.call(document.images);
  var ok = imgs.filter(function (i) {{ return i.complete && i.naturalWidth > 0; }}).length;
  document.body.setAttribute("data-images-loaded", ok + "/" + imgs.length);
}});
</script>
</body></html>
"""


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.4f}" if abs(v) >= 1e-3 or v == 0 else f"{v:.3g}"
    if isinstance(v, list):
        return ", ".join(_fmt(x) for x in v[:12]) + (" …" if len(v) > 12 else "")
    return html.escape(str(v))


def write_report(run_dir, title: str, metrics: dict, plots: list[tuple[str, Path]], summary: str,
                 config_text: str, warnings: list[str] | None = None) -> Path:
    """Write ``run_dir/report.html`` and return its path."""
    from ...formats.atomic import atomic_write_text
    run_dir = Path(run_dir)
    acc = metrics.get("test_accuracy")
    headline = (f"Test accuracy <strong>{acc:.4f}</strong>" if acc is not None else "No test metrics")
    if metrics.get("test_loss") is not None:
        headline += f" &nbsp;·&nbsp; test loss {metrics['test_loss']:.4f}"
    rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{_fmt(v)}</td></tr>" for k, v in metrics.items()
                   if k != "versions") + "".join(
        f"<tr><th>{html.escape(k)} version</th><td>{html.escape(str(v))}</td></tr>"
        for k, v in metrics.get("versions", {}).items())
    figures = []
    for caption, path in plots:
        data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
        figures.append(f'<figure><img alt="{html.escape(caption)}" src="data:image/png;base64,{data}">'
                       f"<figcaption>{html.escape(caption)}</figcaption></figure>")
    warn_html = "".join(f'<div class="warning">{html.escape(w)}</div>' for w in (warnings or []))
    page = PAGE.format(title=html.escape(title), subtitle=html.escape(f"run directory {run_dir}"),
                       headline=headline, metric_rows=rows, figures="\n".join(figures),
                       summary=html.escape(summary), config=html.escape(config_text), warnings=warn_html)
    out = run_dir / "report.html"
    atomic_write_text(out, page)
    return out


def metrics_json(metrics: dict) -> str:
    return json.dumps(metrics, indent=2, sort_keys=False)
