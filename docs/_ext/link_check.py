"""Every internal link of the built site resolves: the file it names exists, and so does the
anchor (an element with that id) when the link has one. External links are not followed (the
build machine has no network); they are counted.

Two exceptions, by where the page is: ``_static/`` holds the theme's assets (one is a Jinja macro
file with an .html name, not a page), so it is not read; the highlighted source listings under
``_modules/`` (Sphinx's viewcode) have their links' files checked but not their anchors, because
viewcode names a re-exported class by its import path (``#layerwise.Optimizer``) where the API page
names it by its module (``layerwise.optimizers.Optimizer``): such a link lands at the top of the
right page.

    python docs/_ext/link_check.py docs/_build/html     # exit 1 and a list when a link is broken

The Chinese edition is built inside the English one (``docs/_build/html/zh_CN``) and each page's
language switch links to the same page of the other edition, so the two are checked as:

    python docs/_ext/link_check.py docs/_build/html --skip zh_CN             # English (links into zh_CN/ must resolve)
    python docs/_ext/link_check.py docs/_build/html/zh_CN --root docs/_build/html   # 简体中文
"""
from __future__ import annotations

import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if value is None:
                continue
            if name in ("id", "name"):
                self.ids.add(value)
            elif (name == "href" and tag in ("a", "link")) or (name == "src" and tag in ("img", "script", "iframe")):
                self.links.append(value)


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8", errors="replace"))
    return page


def check(site: Path, root: Path | None = None, skip: tuple[str, ...] = ()) -> tuple[list[str], int, int]:
    """(broken links as "page: link (why)", internal links checked, external links skipped).

    The pages of ``site`` are read, except those under its folders named in ``skip``; a link may
    lead anywhere inside ``root`` (default: the site itself)."""
    site = site.resolve()
    root = (root or site).resolve()
    pages = {p: _parse(p) for p in site.rglob("*.html")
             if "_static" not in p.relative_to(site).parts and p.relative_to(site).parts[0] not in skip}
    broken, internal, external = [], 0, 0
    for page, parsed in pages.items():
        for link in parsed.links:
            parts = urlsplit(link)
            if parts.scheme or link.startswith("//"):
                external += parts.scheme in ("http", "https") or link.startswith("//")
                continue
            if not parts.path and not parts.fragment:
                continue
            internal += 1
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if target.is_dir():
                target = target / "index.html"
            where = f"{page.relative_to(site)}: {link}"
            if root not in target.parents and target != root:
                broken.append(f"{where} (outside the site)")
            elif not target.exists():
                broken.append(f"{where} (no such file)")
            elif parts.fragment and target.suffix == ".html" and "_modules" not in page.relative_to(site).parts:
                ids = pages[target].ids if target in pages else _parse(target).ids
                if unquote(parts.fragment) not in ids:
                    broken.append(f"{where} (no anchor #{parts.fragment})")
    return broken, internal, external


def main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="check every internal link of a built site")
    parser.add_argument("site", nargs="?", type=Path, default=Path("docs/_build/html"))
    parser.add_argument("--root", type=Path, help="links may lead anywhere inside this folder (default: the site)")
    parser.add_argument("--skip", action="append", default=[], help="a folder of the site whose pages are not read")
    args = parser.parse_args(argv)
    site = args.site
    if not (site / "index.html").exists():
        print(f"link_check: no built site at {site}")
        return 2
    broken, internal, external = check(site, args.root, tuple(args.skip))
    print(f"link_check: {internal} internal links checked, {len(broken)} broken; {external} external links not followed")
    for line in broken[:200]:
        print("  " + line)
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
