"""Open built pages in headless Chromium and report what a reader would see go wrong.

    python docs/_ext/browser_check.py docs/_build/html [--screenshots DIR] [--languages en,zh_CN]

Both editions are checked: the English site at ``SITE`` and the Chinese one at ``SITE/zh_CN``
(built with ``-D language=zh_CN``). For each edition, page and window width (1280 and 390 px):

- every image is decoded (loaded, with a size);
- the page does not scroll sideways (code blocks, wide maths and wide tables may scroll inside
  their own box);
- no heading is clipped: its text fits its box and the window;
- no display formula is clipped: a formula wider than the column must sit in a box that scrolls;
- no name in a table cell is broken letter by letter;
- captions have WCAG AA contrast (at least 4.5:1) against their background;
- at 1280 px, no figure text is drawn smaller than 10 px: each gallery PNG records the size of its
  smallest text at its own resolution (``lw_figures.scrape``), and the page's scale of the image
  (shown width / natural width) gives the size on screen.

The search page must find "Adam" in English, and 反向传播 and 正则化 in Chinese. Pages are
checked in a copy of the site with a small script added that writes its findings into the DOM,
which Chromium then dumps. Exit status 1 on a problem, 2 when there is no Chromium.
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
from urllib.parse import quote, unquote, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lw_figures  # noqa: E402

#: Pages checked in each edition; a chapter is named without its number (the gallery is renumbered
#: as chapters are added), the first existing name of each tuple is taken.
PAGES = ["index.html", "getting_started.html",
         ("backpropagation",), ("optimizers",), ("fashion_mnist", "regularization"),
         "guide/glossary.html", "api/generated/layerwise.Dense.html", "guide/cli.html"]
WIDTHS = (1280, 390)
EDITIONS = {"en": "", "zh_CN": "zh_CN"}
SEARCHES = {"en": ["Adam"], "zh_CN": ["反向传播", "正则化"]}
MIN_TEXT_PX = 10.0
MIN_CONTRAST = 4.5

PROBE = r"""<script>
window.addEventListener("load", async () => {
  const sleep = ms => new Promise(r => setTimeout(r, ms));
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    try { await MathJax.startup.promise; } catch (e) {}
  }
  const images = [...document.images];
  images.forEach(i => { i.loading = "eager"; });
  const loaded = i => new Promise(resolve => {
    if (i.complete) { resolve(i.naturalWidth > 0 ? null : i.getAttribute("src")); return; }
    i.addEventListener("load", () => resolve(i.naturalWidth > 0 ? null : i.getAttribute("src")));
    i.addEventListener("error", () => resolve(i.getAttribute("src")));
    setTimeout(() => resolve(i.getAttribute("src") + " (not loaded in time)"), 20000);
  });
  const bad = (await Promise.all(images.map(loaded))).filter(x => x !== null);
  await sleep(300);
  const root = document.documentElement, W = root.clientWidth;
  const name = e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") +
                    (typeof e.className === "string" && e.className ? "." + e.className.split(/\s+/).join(".") : "");
  const wide = [...document.querySelectorAll("body *")].filter(e => {
    const r = e.getBoundingClientRect();
    return r.width > 0 && r.right > W + 1 && getComputedStyle(e).position !== "fixed" &&
           !e.closest("pre, .highlight, .pst-scrollable-table-container, .table-wrapper, mjx-container, div.math");
  }).slice(0, 5).map(name);
  const article = document.querySelector("article") || document.body;
  const scrollsX = e => { const o = getComputedStyle(e).overflowX; return o === "auto" || o === "scroll"; };
  const inScroller = e => { for (let p = e; p && p !== document.body; p = p.parentElement) if (scrollsX(p)) return p; return null; };
  // Headings: the text fits its box, and the box fits the window.
  const headings = [...article.querySelectorAll("h1, h2, h3")].filter(h => {
    const r = h.getBoundingClientRect();
    return r.width > 0 && (h.scrollWidth > h.clientWidth + 1 || r.right > W + 1 || r.left < -1);
  }).map(h => h.textContent.trim().slice(0, 60));
  // Display maths: wider than its column only inside a box that scrolls.
  const formulas = [...article.querySelectorAll('mjx-container[display="true"], div.math')].filter(m => {
    if (m.tagName === "DIV" && m.querySelector("mjx-container")) return false;
    const box = m.getBoundingClientRect();
    if (box.width === 0) return false;
    const inner = m.tagName === "MJX-CONTAINER" ? (m.firstElementChild || m) : m;
    const need = Math.max(m.scrollWidth, inner.getBoundingClientRect().width);
    const scroller = inScroller(m);
    if (scroller) return scroller.getBoundingClientRect().right > W + 1;
    return need > box.width + 1 || box.right > W + 1;
  }).map(m => (m.getAttribute("aria-label") || m.textContent || "").trim().slice(0, 60));
  // Names in table cells: never one letter per line.
  const letters = [...article.querySelectorAll("td code, td .pre, th code")].filter(c => {
    const rects = [...c.getClientRects()].filter(r => r.width > 0);
    const em = parseFloat(getComputedStyle(c).fontSize) || 14;
    return c.textContent.trim().length >= 4 && rects.length >= 3 && Math.max(...rects.map(r => r.width)) < 2.2 * em;
  }).slice(0, 5).map(c => c.textContent.trim().slice(0, 40));
  // Captions: WCAG contrast of the text against the first opaque background behind it.
  const rgb = s => (s.match(/[\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => { const f = c => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
                               return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const background = e => { for (let p = e; p; p = p.parentElement) { const c = rgb(getComputedStyle(p).backgroundColor);
                            if (c.length >= 3 && (c.length < 4 || c[3] > 0.5)) return c; } return [255, 255, 255]; };
  const captions = [...article.querySelectorAll("figcaption, figcaption p, .caption, .caption-text, p.sphx-glr-signature")]
    .filter(c => c.textContent.trim()).map(c => {
      const fg = lum(rgb(getComputedStyle(c).color)), bg = lum(background(c));
      return {text: c.textContent.trim().slice(0, 40), ratio: (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05)};
    }).filter(c => c.ratio < __MIN_CONTRAST__).slice(0, 5);
  // Figures: shown width against natural width, for the size of their text on screen.
  const figures = images.filter(i => i.naturalWidth > 0 && /_images\/sphx_glr_/.test(i.currentSrc || i.src)).map(i => ({
    src: i.currentSrc || i.src, shown: i.getBoundingClientRect().width, natural: i.naturalWidth}));
  const results = document.querySelectorAll("#search-results li, ul.search li").length;
  const message = JSON.stringify({images: images.length, bad: [...new Set(bad)], scrollWidth: root.scrollWidth,
                                  width: W, wide, headings, formulas, letters, captions, figures, results});
  document.body.setAttribute("data-lw-check", message);
  if (window.parent !== window) window.parent.postMessage(message, "*");
});
</script>""".replace("__MIN_CONTRAST__", str(MIN_CONTRAST))
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


def pages(site: Path) -> list[str]:
    """PAGES with each chapter's name resolved to its numbered page."""
    out = []
    for page in PAGES:
        if isinstance(page, tuple):
            # the newest match: a local build folder may still hold a renumbered chapter's old page
            found = [max(hits, key=lambda p: p.stat().st_mtime) for name in page
                     if (hits := list((site / "auto_examples").glob(f"plot_[0-9]*_{name}.html")))]
            out.append(found[0].relative_to(site).as_posix() if found else f"auto_examples/plot_NN_{page[0]}.html")
        else:
            out.append(page)
    return out


def _figure_problems(copy: Path, r: dict) -> list[str]:
    problems = []
    for fig in r.get("figures", []):
        path = Path(unquote(urlsplit(fig["src"]).path))
        if copy not in path.parents:
            continue
        size = lw_figures.min_font_px(path)
        if size is None or not fig["natural"]:
            continue
        shown = size * fig["shown"] / fig["natural"]
        if shown < MIN_TEXT_PX:
            problems.append(f"{path.name}: text {shown:.1f} px on screen ({size:.1f} px in the image, "
                            f"shown at {fig['shown']:.0f} of {fig['natural']} px)")
    return problems


def check(site: Path, screenshots: Path | None = None, languages: tuple[str, ...] = ("en", "zh_CN")) -> list[str]:
    browser = chromium()
    if browser is None:
        raise FileNotFoundError("no chromium")
    problems, checks = [], 0
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "site"
        shutil.copytree(site, copy)
        for lang in languages:
            edition = copy / EDITIONS[lang] if EDITIONS[lang] else copy
            if not (edition / "index.html").exists():
                problems.append(f"[{lang}] the edition is not built (no {edition.relative_to(copy) / 'index.html'})")
                continue
            todo = pages(edition)
            for page in todo + ["search.html"]:
                path = edition / page
                if path.exists():
                    path.write_text(path.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"),
                                    encoding="utf-8")
            for page in todo:
                if not (edition / page).exists():
                    problems.append(f"[{lang}] {page}: no such page")
                    continue
                for width in WIDTHS:
                    checks += 1
                    where = f"[{lang}] {page} at {width}px"
                    shot = (screenshots / f"{lang}-{page.replace('/', '_')[:-5]}-{width}.png") if screenshots else None
                    r = probe(browser, (edition / page).as_uri(), width, shot)
                    if "error" in r:
                        problems.append(f"{where}: {r['error']}")
                        continue
                    if r["bad"]:
                        problems.append(f"{where}: images not decoded: {r['bad']}")
                    if r["scrollWidth"] > r["width"] + 1:
                        problems.append(f"{where}: scrolls sideways ({r['scrollWidth']} > {r['width']} px; "
                                        f"widest: {r['wide']})")
                    if r["headings"]:
                        problems.append(f"{where}: clipped headings: {r['headings']}")
                    if r["formulas"]:
                        problems.append(f"{where}: clipped formulas: {r['formulas']}")
                    if r["letters"]:
                        problems.append(f"{where}: names broken letter by letter in tables: {r['letters']}")
                    for c in r["captions"]:
                        problems.append(f"{where}: caption contrast {c['ratio']:.2f}:1 < {MIN_CONTRAST}:1 ({c['text']!r})")
                    if width == 1280:
                        problems += [f"{where}: {p}" for p in _figure_problems(copy, r)]
            for query in SEARCHES[lang]:
                checks += 1
                r = probe(browser, (edition / "search.html").as_uri() + "?q=" + quote(query), 1280)
                if not r.get("results"):
                    problems.append(f"[{lang}] searching for {query!r} found nothing ({r.get('error', r.get('results'))})")
    check.count = checks  # type: ignore[attr-defined]
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path)
    parser.add_argument("--screenshots", type=Path)
    parser.add_argument("--languages", default="en,zh_CN", help="editions to check (default: en,zh_CN)")
    args = parser.parse_args()
    if args.screenshots:
        args.screenshots.mkdir(parents=True, exist_ok=True)
    try:
        problems = check(args.site, args.screenshots, tuple(args.languages.split(",")))
    except FileNotFoundError:
        print("no Chromium on this machine", file=sys.stderr)
        return 2
    for p in problems:
        print(p)
    print(f"{getattr(check, 'count', 0)} checks, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
