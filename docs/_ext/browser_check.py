"""Open built pages in headless Chromium and report what a reader would see go wrong.

    python docs/_ext/browser_check.py docs/_build/html [--screenshots DIR]

For each page and window width (1280 and 390 px): every image must be decoded (loaded, with a
size) and the page must not scroll sideways (code blocks may scroll inside themselves). The
search page must return results for "Adam". Pages are checked in a copy of the site with a small
script added that writes its findings into the DOM, which Chromium then dumps. Exit status 1 on a
problem, 2 when there is no Chromium.
"""
from __future__ import annotations

import argparse
import html
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PAGES = ["index.html", "getting_started.html", "auto_examples/plot_06_optimizers.html",
         "auto_examples/plot_12_augmentation.html", "api/generated/layerwise.Dense.html", "guide/cli.html"]
WIDTHS = (1280, 390)
PROBE = """<script>
window.addEventListener("load", async () => {
  const images = [...document.images];
  images.forEach(i => { i.loading = "eager"; });
  const loaded = i => new Promise(resolve => {
    if (i.complete) { resolve(i.naturalWidth > 0 ? null : i.getAttribute("src")); return; }
    i.addEventListener("load", () => resolve(i.naturalWidth > 0 ? null : i.getAttribute("src")));
    i.addEventListener("error", () => resolve(i.getAttribute("src")));
    setTimeout(() => resolve(i.getAttribute("src") + " (not loaded in time)"), 20000);
  });
  const bad = (await Promise.all(images.map(loaded))).filter(x => x !== null);
  const root = document.documentElement;
  const wide = [...document.querySelectorAll("body *")].filter(e => {
    const r = e.getBoundingClientRect();
    return r.width > 0 && r.right > root.clientWidth + 1 && getComputedStyle(e).position !== "fixed";
  }).slice(0, 5).map(e => e.tagName + "." + e.className);
  const results = document.querySelectorAll("#search-results li, ul.search li").length;
  const message = JSON.stringify({
    images: images.length, bad: [...new Set(bad)], scrollWidth: root.scrollWidth, width: root.clientWidth,
    wide, results});
  document.body.setAttribute("data-lw-check", message);
  if (window.parent !== window) window.parent.postMessage(message, "*");
});
</script>"""
# Chromium will not make a window narrower than 500 px, so each page is opened in an iframe of the
# width under test, and the probe posts its findings to the frame around it.
FRAME = """<!doctype html><html><body style="margin:0">
<iframe src="{src}" style="width:{width}px;height:900px;border:0"></iframe>
<script>addEventListener("message", e => document.body.setAttribute("data-lw-check", e.data));</script>
</body></html>"""


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def probe(browser: str, url: str, width: int, screenshot: Path | None = None) -> dict:
    frame = Path(tempfile.mkdtemp()) / "frame.html"
    frame.write_text(FRAME.format(src=url, width=width))
    url = frame.as_uri()
    args = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            f"--window-size={max(width, 500)},900", "--virtual-time-budget=40000"]
    if screenshot is not None:
        subprocess.run(args + [f"--screenshot={screenshot}", url], capture_output=True, timeout=120)
    out = subprocess.run(args + ["--dump-dom", url], capture_output=True, text=True, timeout=120).stdout
    m = re.search(r'data-lw-check="([^"]*)"', out)
    return json.loads(html.unescape(m.group(1))) if m else {"error": "the probe did not run"}


def check(site: Path, screenshots: Path | None = None) -> list[str]:
    browser = chromium()
    if browser is None:
        raise FileNotFoundError("no chromium")
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "site"
        shutil.copytree(site, copy)
        for page in PAGES + ["search.html"]:
            path = copy / page
            path.write_text(path.read_text().replace("</body>", PROBE + "</body>"))
        for page in PAGES:
            for width in WIDTHS:
                shot = screenshots / f"{page.replace('/', '_')[:-5]}-{width}.png" if screenshots else None
                r = probe(browser, (copy / page).as_uri(), width, shot)
                if "error" in r:
                    problems.append(f"{page} at {width}px: {r['error']}")
                    continue
                if r["bad"]:
                    problems.append(f"{page} at {width}px: images not decoded: {r['bad']}")
                if r["scrollWidth"] > r["width"] + 1:
                    problems.append(f"{page} at {width}px: scrolls sideways ({r['scrollWidth']} > {r['width']} px; "
                                    f"widest: {r['wide']})")
        r = probe(browser, (copy / "search.html").as_uri() + "?q=Adam", 1280)
        if not r.get("results"):
            problems.append(f"searching for 'Adam' found nothing ({r})")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path)
    parser.add_argument("--screenshots", type=Path)
    args = parser.parse_args()
    if args.screenshots:
        args.screenshots.mkdir(parents=True, exist_ok=True)
    try:
        problems = check(args.site, args.screenshots)
    except FileNotFoundError:
        print("no Chromium on this machine", file=sys.stderr)
        return 2
    for p in problems:
        print(p)
    print(f"{len(PAGES) * len(WIDTHS) + 1} checks, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
