"""The two editions of the site (English and 简体中文) and links to the guide's chapters.

- ``:chapter:`delta_rule``` links to the gallery chapter whose script is
  ``gallery/plot_<NN>_delta_rule.py`` (or ``gallery/scripts/plot_example_<name>.py``) whatever its
  number, with the chapter's title (in the edition being built); ``:chapter:`text <delta_rule>```
  gives the text; ``:chapter:`gradient_clipping, optimizers``` links to the first of the named
  chapters that exists (for a chapter still being written). A name with no chapter is a warning,
  so ``sphinx -W`` fails on it.
- The language switch: every page gets ``lw_switch`` in its template context, the relative URL
  of the same page in the other edition. The English site is built into ``OUT`` and the Chinese
  one into ``OUT/zh_CN`` (``.ci/run``), so from English the link goes down into ``zh_CN/`` and
  from Chinese it goes up one level.
- Chinese search: ``html_search_language = "zh"`` for a ``zh*`` build. Sphinx splits words with
  jieba (in the ``docs`` extra); jieba's dictionary alone cuts 反向传播 into 反向 + 传播 and 正则化
  into 正则 + 化, so a search for the whole term would find nothing. The glossary's Chinese terms
  (简体, 繁體 and the Nielsen translation's) are given to jieba as a user dictionary, written
  into the build's doctree folder when the build starts.
"""
from __future__ import annotations

import re
from pathlib import Path

from docutils import nodes
from sphinx import addnodes
from sphinx.util import logging
from sphinx.util.docutils import SphinxRole

DOCS = Path(__file__).resolve().parents[1]
GALLERY = DOCS / "gallery"
logger = logging.getLogger(__name__)

#: The editions: their switch's label, and its short form for a phone's header.
EDITIONS = {"en": ("English", "EN"), "zh_CN": ("简体中文", "中文")}


def chapter_doc(name: str) -> str | None:
    """The docname of the chapter whose script is ``plot_<NN>_<name>.py`` (or a script page)."""
    found = sorted(GALLERY.glob(f"plot_[0-9]*_{name}.py"))
    if len(found) == 1:
        return f"auto_examples/{found[0].stem}"
    script = GALLERY / "scripts" / f"plot_example_{name}.py"
    if script.exists():
        return f"auto_examples/scripts/{script.stem}"
    return None


class ChapterRole(SphinxRole):
    def run(self):
        m = re.fullmatch(r"(.*?)\s*<([^<>]+)>", self.text, re.S)
        title, name = (m.group(1), m.group(2).strip()) if m else (None, self.text.strip())
        docname = next(filter(None, (chapter_doc(n.strip()) for n in name.split(","))), None)
        if docname is None:
            names = sorted(re.sub(r"^plot_\d+_", "", p.stem) for p in GALLERY.glob("plot_[0-9]*_*.py"))
            logger.warning("no gallery chapter named %r (chapters: %s)", name, ", ".join(names),
                           location=self.get_location())
            return [nodes.literal(self.rawtext, title or name)], []
        node = addnodes.pending_xref(self.rawtext, refdomain="std", reftype="doc", reftarget="/" + docname,
                                     refexplicit=title is not None, refwarn=True, refdoc=self.env.docname)
        node += nodes.inline(self.rawtext, title or docname, classes=["xref", "std", "std-doc"])
        return [node], []


def _language(app) -> str:
    return "zh_CN" if (app.config.language or "en").startswith("zh") else "en"


def glossary_terms(path: Path = DOCS / "guide" / "glossary.rst") -> list[str]:
    """The Chinese terms of the glossary's tables (cells with CJK characters, split at the
    punctuation between alternatives: 偏置（偏差） gives 偏置 and 偏差)."""
    terms = []
    for cell in re.findall(r"^\s+(?:\* -|-) (.+)$", path.read_text(encoding="utf-8"), re.M):
        if not re.search(r"[\u4e00-\u9fff]", cell) or "``" in cell or ":" in cell:
            continue
        for part in re.split(r"[（）()、，,；;：:/\s]+", cell):
            if re.fullmatch(r"[\u4e00-\u9fffA-Za-z0-9 δ]+", part) and re.search(r"[\u4e00-\u9fff]{2}", part):
                terms.append(part)
    return sorted(set(terms))


def config_inited(app, config) -> None:
    if _language(app) == "zh_CN":
        config.html_search_language = "zh"
        words = Path(app.doctreedir) / "lw_jieba_terms.txt"
        words.parent.mkdir(parents=True, exist_ok=True)
        words.write_text("".join(f"{term.replace(' ', '')} 100000 n\n" for term in glossary_terms()), encoding="utf-8")
        config.html_search_options = {**(config.html_search_options or {}), "dict": str(words)}


def page_context(app, pagename, templatename, context, doctree) -> None:
    here = _language(app)
    other = "en" if here == "zh_CN" else "zh_CN"
    depth = pagename.count("/")
    up = "../" * depth
    target = f"{pagename}.html"
    if here == "en":
        url = f"{up}zh_CN/{target}"
    else:
        url = f"{up}../{target}"
    context["lw_switch"] = {"url": url, "label": EDITIONS[other][0], "short": EDITIONS[other][1],
                            "here": EDITIONS[here][0],
                            "lang": "zh-CN" if other == "zh_CN" else "en"}


def _chinese_search():
    """Sphinx's Chinese search with a working JavaScript stemmer. Sphinx 9.0 ends the page's
    ``language_data.js`` with ``window.Stemmer = <language_name>Stemmer``, i.e. ``ChineseStemmer``,
    but zh ships the English stemmer, so every search stops on "ChineseStemmer is not defined"
    (sphinx-doc/sphinx#14229, fixed by #14416 after 9.0): name the class the file defines."""
    from sphinx.search.zh import SearchChinese

    class SearchChineseEnglishStemmer(SearchChinese):
        language_name = "English"   # -> window.Stemmer = EnglishStemmer (english-stemmer.js)

    return SearchChineseEnglishStemmer


def setup(app):
    app.add_search_language(_chinese_search())
    app.add_role("chapter", ChapterRole())
    app.connect("config-inited", config_inited)
    app.connect("html-page-context", page_context)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
