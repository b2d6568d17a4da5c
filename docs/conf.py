"""Sphinx configuration for layerwise's documentation.

Build (warnings are errors):

    python -m sphinx -W --keep-going -b html docs docs/_build/html

Everything a page shows that is a number, a table or a figure is made while the site builds:
the gallery scripts run (sphinx-gallery), ``_ext/layerwise_docs.py`` trains a first run with the
CLI, renders the option table, the vocabulary, the benchmark tables and the test counts.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(DOCS / "_ext"))
sys.path.insert(0, str(ROOT))          # benchmarks/ (its table code is reused)
sys.path.insert(0, str(ROOT / "src"))  # the package, even when it is not installed

os.environ.setdefault("MPLBACKEND", "Agg")
# The build runs many small fits; keep each one quiet and single-threaded (a 2-core machine).
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import layerwise  # noqa: E402

project = "layerwise"
author = "layerwise developers"
copyright = "layerwise developers, MIT licence"
version = release = layerwise.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",  # MathJax 3 copied into the site: formulas render without a network
    "sphinx.ext.viewcode",
    "sphinx_gallery.gen_gallery",
    "layerwise_docs",
    "lw_api",   # the API pages: the engine's methods left off, backreferences by documented name
    "lw_i18n",  # the Chinese edition: the language switch, Chinese search, :chapter: links
    "lw_sources",  # under each chapter's title: the study note and section it follows
]

# -- the Chinese edition (简体中文) ---------------------------------------------------------------------
# ``python -m sphinx -b html -D language=zh_CN docs docs/_build/html/zh_CN`` builds it from the
# gettext catalogs in locale/zh_CN/LC_MESSAGES/ (one per top-level folder: index, getting_started,
# guide, auto_examples; see locale/README.md for how to update them). Untranslated text shows in
# English.
language = "en"
locale_dirs = ["locale/"]
gettext_compact = True
gettext_uuid = False
gettext_location = False   # catalogs without source line numbers: a moved line changes nothing

exclude_patterns = ["_build", "README.md", "gallery", "generated"]
templates_path = ["_templates"]
html_static_path = ["_static"]
html_css_files = ["layerwise.css"]
html_js_files = ["layerwise.js"]     # figures open at full size on a click

# -- the theme ----------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"layerwise {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "navbar_align": "left",
    "header_links_before_dropdown": 6,
    # No right-hand sidebar on the gallery's chapters: their figures get the width.
    "secondary_sidebar_items": {pattern: ["page-toc", "sourcelink"]
                                for pattern in ("index", "getting_started", "guide/*", "api/**")}
                               | {"auto_examples/**": []},
    # The language switch stays in the header at every width (docs/_templates/lw-language-switch.html).
    "navbar_persistent": ["search-button-field", "lw-language-switch"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version", "theme-version"],
}
html_sidebars = {page: [] for page in ("index", "getting_started", "guide/cli", "guide/vocabulary",
                                       "guide/performance", "guide/reliability",
                                       "guide/glossary")}  # wide tables
html_show_sourcelink = True

# -- autodoc --------------------------------------------------------------------------------------
autosummary_generate = True
autodoc_default_options = {"members": True, "member-order": "bysource", "show-inheritance": True}
autodoc_typehints = "none"           # signatures show names and defaults; docstrings say the types
autodoc_member_order = "bysource"
autoclass_content = "both"
add_module_names = False
toc_object_entries_show_parents = "all"  # the page's contents name layerwise.activations.get(), not get()
nitpicky = True
nitpick_ignore_regex = [
    (r"py:.*", r"(np|numpy|cupy|scipy|pandas|sklearn|optuna|onnx|argparse|pathlib|typing)\..*"),
    (r"py:class", r"(Any|Callable|Path|ndarray|array|ArrayLike|dtype|optional|sequence|callable|"
                  r"BaseEstimator|ClassifierMixin|RegressorMixin|TransformerMixin)"),
    (r"py:class", r"layerwise\..*\._[A-Za-z].*"),  # private bases shown by show-inheritance
    (r"py:class", r"(object|Exception|ValueError|TypeError|RuntimeError|OSError|UserWarning|list|dict)"),
]
suppress_warnings = ["autosummary.import_cycle"]

# -- docstrings -------------------------------------------------------------------------------------
# A docstring is plain text (formulas as written), which ``_ext/layerwise_docs.py`` turns into
# reST, ending in numpydoc sections ("Parameters", "Returns", each underlined with dashes), which
# it hands to napoleon's NumPy-style parser (sphinx.ext.napoleon.NumpyDocstring; types stay text,
# as numpydoc prints them). The parser is called on the sections only, not loaded as an
# extension: the extension also reads the first line of every property's docstring as
# "type: description" ("The rate the next update will use: ..." would become a type).

# -- sphinx-gallery ---------------------------------------------------------------------------------
# sphinx-gallery links the names an example uses to the API reference; to find a name's shortest
# import path it calls getattr on parent modules and expects AttributeError when a name is not
# there. layerwise.compat.keras answers an unknown name with an error that is both a ConfigError
# (naming the construct) and an AttributeError; other modules may raise something else on a probe,
# so any exception means "not there".
import sphinx_gallery.backreferences as _backreferences  # noqa: E402

_short_module_name = _backreferences._get_short_module_name


def _get_short_module_name(module_name, obj_name):
    # the module the API reference documents the object under, so that its page's "Examples
    # using" mini-gallery finds it (``lw.activations.get("relu")`` is a layerwise.core.activations.
    # ReLU, documented as layerwise.activations.ReLU); else sphinx-gallery's shortest path
    import lw_api
    home = lw_api.documented_module(module_name, obj_name)
    if home is not None:
        return home
    try:
        return _short_module_name(module_name, obj_name)
    except Exception:  # noqa: BLE001
        return None


_backreferences._get_short_module_name = _get_short_module_name

sphinx_gallery_conf = {
    "examples_dirs": ["gallery"],
    "gallery_dirs": ["auto_examples"],
    # every script runs; LAYERWISE_DOCS_ONLY=regex runs only the matching ones while a chapter is
    # being written (the others keep their last output if they ran before, else show no output)
    "filename_pattern": os.environ.get("LAYERWISE_DOCS_ONLY") or r"/plot_",
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "remove_config_comments": True,
    # Matplotlib's defaults, then the house style (larger fonts: lw_figures.STYLE) before every script.
    "reset_modules": ("matplotlib", "lw_figures.reset_style"),
    "abort_on_example_error": False,
    "only_warn_on_example_error": False,   # a failing script fails the build
    "capture_repr": (),
    "min_reported_time": 1,
    "show_memory": False,
    # Matplotlib's scraper, which also records each figure's smallest text size in its PNG (for
    # the browser check); every figure also gets a 2x image (srcset) for sharp high-DPI screens.
    "image_scrapers": ("lw_figures.scrape",),
    "image_srcset": ["2x"],
    "matplotlib_animations": False,
    "write_computation_times": True,
    # "Examples using X" on every API page (the ``minigallery`` in _templates/autosummary): the
    # examples that use a layerwise name are recorded here, under the name the page documents
    "doc_module": ("layerwise",),
    "backreferences_dir": "api/generated/backreferences",
}
