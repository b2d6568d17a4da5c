"""How the gallery's figures are drawn and saved (named by strings in conf.py's sphinx_gallery_conf).

- ``reset_style``: before every gallery script, after sphinx-gallery has reset Matplotlib, the
  house style: larger fonts than Matplotlib's defaults, so that a figure shrunk to the text column
  stays readable (the issue's "larger fonts"). A script may still set its own sizes.
- ``scrape``: sphinx-gallery's Matplotlib scraper (which also saves the 2x images of
  ``image_srcset``), and then, in each saved PNG, a text chunk ``lw:min-font-px``: the size in
  pixels, at the PNG's own resolution, of the smallest visible text of the figure. The browser
  check (``browser_check.py``) multiplies it by the scale at which a page shows the image to find
  text drawn smaller than 10 px.
"""
from __future__ import annotations

import re
from pathlib import Path

#: Matplotlib settings every gallery figure starts from.
STYLE = {
    "font.size": 12,
    "axes.titlesize": 13,
    "axes.labelsize": 12,
    "xtick.labelsize": 11,
    "ytick.labelsize": 11,
    "legend.fontsize": 11,
    "figure.titlesize": 14,
    "figure.dpi": 100,
    "savefig.dpi": "figure",
    "savefig.bbox": "tight",
}
KEY = "lw:min-font-px"


def reset_style(gallery_conf, fname, when=None):
    import matplotlib

    matplotlib.rcParams.update(STYLE)


def _min_font_px(fig) -> float | None:
    """The smallest visible, non-empty text of ``fig``, in pixels of the saved image."""
    import matplotlib
    from matplotlib.text import Text

    dpi = matplotlib.rcParams["savefig.dpi"]
    dpi = fig.dpi if dpi == "figure" else float(dpi)
    sizes = [t.get_fontsize() * dpi / 72.0 for t in fig.findobj(Text)
             if t.get_visible() and t.get_text().strip() and (t.axes is None or t.axes.get_visible())]
    return min(sizes) if sizes else None


def scrape(block, block_vars, gallery_conf, **kwargs):
    import matplotlib.pyplot as plt
    from sphinx_gallery.scrapers import matplotlib_scraper

    sizes = [_min_font_px(plt.figure(n)) for n in plt.get_fignums()]
    rst = matplotlib_scraper(block, block_vars, gallery_conf, **kwargs)
    paths = re.findall(r"^\s*\.\. image-sg:: (\S+)$|^\s+(?:\* )?\.\. image-sg:: (\S+)$", rst, re.M)
    paths = [a or b for a, b in paths]
    if len(paths) == len(sizes):
        for path, size in zip(paths, sizes):
            if size is not None:
                _tag(Path(gallery_conf["src_dir"]) / path.lstrip("/"), size)
    return rst


def _tag(png: Path, size: float) -> None:
    from PIL import Image, PngImagePlugin

    if not png.exists():
        return
    with Image.open(png) as im:
        im.load()
        info = PngImagePlugin.PngInfo()
        for k, v in im.text.items() if hasattr(im, "text") else []:
            if k != KEY:
                info.add_text(k, str(v))
        info.add_text(KEY, f"{size:.2f}")
        im.save(png, pnginfo=info)


def min_font_px(png: Path) -> float | None:
    """The value ``scrape`` wrote into ``png``, or None."""
    from PIL import Image

    try:
        with Image.open(png) as im:
            value = getattr(im, "text", {}).get(KEY)
    except OSError:
        return None
    return float(value) if value else None
