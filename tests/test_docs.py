"""The documentation: every public name is in the API reference, and the site builds with
warnings as errors (Sphinx + sphinx-gallery; the build runs every gallery script)."""
import importlib
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest

import layerwise

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
API = (DOCS / "api" / "index.rst").read_text() if (DOCS / "api" / "index.rst").exists() else ""


def _entry(entry: str) -> bool:
    """``entry`` has its own autosummary line or automodule in the API reference."""
    return (re.search(rf"^\s+{re.escape(entry)}$", API, re.M) is not None
            or f".. automodule:: layerwise.{entry}" in API)


def _documented(name: str, prefix: str = "") -> bool:
    """``name`` (under ``prefix``) has its own entry, or is another name of an object that has one
    and is named in the text (``BatchNormalization`` for ``BatchNorm``)."""
    if _entry(f"{prefix}{name}"):
        return True
    module = importlib.import_module("layerwise" + (f".{prefix.rstrip('.')}" if prefix else ""))
    obj = getattr(module, name)
    same = [other for other in dir(module) if other != name and getattr(module, other, None) is obj]
    return any(_entry(f"{prefix}{other}") for other in same) and (f"``{name}``" in API or f":class:`{name}`" in API)


@pytest.mark.skipif(not API, reason="docs/api/index.rst is not there")
def test_every_public_name_is_in_the_api_reference():
    missing = [n for n in layerwise.__all__ if n != "__version__" and not _documented(n)]
    assert not missing, f"add these names of layerwise.__all__ to docs/api/index.rst: {missing}"


@pytest.mark.skipif(not API, reason="docs/api/index.rst is not there")
@pytest.mark.parametrize("module", ["sklearn", "compat.nielsen", "compat.mnist_loader"])
def test_every_public_name_of_the_edge_modules_is_in_the_api_reference(module):
    """The modules without ``__all__``: every public class and function they define."""
    mod = importlib.import_module(f"layerwise.{module}")
    names = [n for n, v in vars(mod).items()
             if not n.startswith("_") and callable(v) and getattr(v, "__module__", None) == mod.__name__]
    missing = [n for n in names if not _entry(f"{module}.{n}")]
    assert names and not missing, f"add to docs/api/index.rst: {[f'{module}.{n}' for n in missing]}"


@pytest.mark.skipif(not API, reason="docs/api/index.rst is not there")
def test_every_public_name_of_the_keras_namespace_is_in_the_api_reference():
    keras = importlib.import_module("layerwise.compat.keras")
    missing = [n for n in keras.__all__
               if not isinstance(getattr(keras, n), types.ModuleType) and not _documented(n, "compat.keras.")]
    modules = [n for n in keras.__all__ if isinstance(getattr(keras, n), types.ModuleType) and f"``{n}``" not in API]
    assert not missing and not modules, f"add to docs/api/index.rst: {missing + modules}"


# -- numpydoc sections: each public callable says what it takes and what it returns -------------
def _api():
    sys.path.insert(0, str(DOCS / "_ext"))
    import lw_api
    return lw_api


def _returns_a_value(func) -> bool:
    """Whether the function's own body has ``return <value>`` or ``yield`` (nested functions aside)."""
    import ast
    import inspect
    import textwrap
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(func)))
    except (OSError, TypeError, SyntaxError):
        return False
    body = tree.body[0]
    stack = list(ast.iter_child_nodes(body))
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        if isinstance(node, (ast.Yield, ast.YieldFrom)) or (isinstance(node, ast.Return) and node.value is not None):
            return True
        stack.extend(ast.iter_child_nodes(node))
    return False


def _documented_callables():
    """(name, docstring, needs Parameters, needs Returns) for every name the API pages list and every
    method their pages show (documented, not left off by docs/_ext/lw_api.py)."""
    import inspect
    lw_api = _api()
    for name in lw_api.api_names(API):
        obj = lw_api._object(name)
        if inspect.isclass(obj):
            init = vars(obj).get("__init__")
            doc = (obj.__doc__ or "") + "\n" + (getattr(init, "__doc__", None) or "")
            try:
                takes = bool(inspect.signature(obj).parameters)
            except (TypeError, ValueError):
                takes = False
            yield name, doc, takes, False
            for key, value in vars(obj).items():
                func = getattr(value, "__func__", value)
                if (key.startswith("_") and key != "__call__") or isinstance(value, property) \
                        or not inspect.isfunction(func) or lw_api._internal(key, value) \
                        or key.startswith("set_") and key.endswith("_request"):
                    continue
                doc = inspect.getdoc(getattr(obj, key))
                if doc:
                    params = list(inspect.signature(func).parameters)
                    takes = bool(params[1:] if not isinstance(value, staticmethod) else params)
                    yield f"{name}.{key}", doc, takes, _returns_a_value(func)
        elif callable(obj):
            yield name, obj.__doc__ or "", bool(inspect.signature(obj).parameters), _returns_a_value(obj)


def _has_section(doc: str, title: str) -> bool:
    return re.search(rf"^\s*{title}\n\s*-{{3,}}\s*$", doc, re.M) is not None


@pytest.mark.skipif(not API, reason="docs/api/index.rst is not there")
def test_every_public_callable_has_parameters_and_returns_sections():
    """numpydoc's ``Parameters`` (when it takes any) and ``Returns`` (when it returns a value), each
    underlined with dashes, in the docstring of every callable the API pages show."""
    missing = []
    for name, doc, takes, returns in _documented_callables():
        lack = [t for t, need in (("Parameters", takes), ("Returns", returns)) if need and not _has_section(doc, t)]
        if lack:
            missing.append(f"{name}: {' and '.join(lack)}")
    assert not missing, "add numpydoc sections to these docstrings:\n" + "\n".join(missing)


@pytest.mark.skipif(not API, reason="docs/api/index.rst is not there")
def test_the_engine_methods_left_off_the_api_pages_exist():
    """docs/_ext/lw_api.py's INTERNAL names methods that exist (the build warns otherwise too)."""
    lw_api = _api()
    gone = [f"{path}.{name}" for path, names in lw_api.INTERNAL.items() for name in names
            if not hasattr(lw_api._resolve(path), name)]
    assert not gone, gone


@pytest.mark.slow
def test_docs_build_with_warnings_as_errors(tmp_path):
    """Both editions, as CI builds them: English into html/, 简体中文 into html/zh_CN/ (each page
    links to the same page of the other edition)."""
    pytest.importorskip("sphinx")
    pytest.importorskip("sphinx_gallery")
    pytest.importorskip("pydata_sphinx_theme")
    html = tmp_path / "html"
    for extra, out in (([], html), (["-D", "language=zh_CN"], html / "zh_CN")):
        proc = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", *extra,
                               "-d", str(tmp_path / f"doctrees{len(extra)}"), str(DOCS), str(out)],
                              cwd=ROOT, capture_output=True, text=True, timeout=1800)
        assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-10000:]
    for page in ("index.html", "getting_started.html", "guide/cli.html", "guide/glossary.html", "api/index.html"):
        assert (html / page).exists() and (html / "zh_CN" / page).exists(), page
    # every gallery script produced its page, and the figures were made
    scripts = sorted((DOCS / "gallery").rglob("plot_*.py"))
    images = list((html / "_images").glob("sphx_glr_plot_*.png"))
    assert len(images) >= len([s for s in scripts if s.parent.name == "gallery"])
    sys.path.insert(0, str(DOCS / "_ext"))
    import link_check
    broken, internal, _ = link_check.check(html, skip=("zh_CN",))
    assert internal > 100 and not broken, broken[:20]
    broken, internal, _ = link_check.check(html / "zh_CN", root=html)
    assert internal > 100 and not broken, broken[:20]
    # what a reader sees, in both editions at 1280 and 390 px (browser_check.py's docstring)
    import browser_check
    if browser_check.chromium() is None:
        pytest.skip("no Chromium: the browser check of the built pages did not run")
    problems = browser_check.check(html)
    assert not problems, problems


def test_every_chapter_names_the_note_it_follows():
    """docs/_ext/lw_sources.py has a line for every gallery chapter, and none for a missing one."""
    sys.path.insert(0, str(DOCS / "_ext"))
    try:
        lw_sources = importlib.import_module("lw_sources")
    finally:
        sys.path.pop(0)
    chapters = {p.stem for p in (DOCS / "gallery").glob("plot_*.py")}
    assert chapters, "no gallery chapters found"
    assert sorted(chapters - set(lw_sources.FOLLOWS)) == []
    assert sorted(set(lw_sources.FOLLOWS) - chapters) == []
    for chapter, refs in lw_sources.FOLLOWS.items():
        assert refs and all(note is None or note in lw_sources.NOTES for note, _, _ in refs), chapter
        for language in ("en", "zh_CN"):
            line = lw_sources.follows_line(chapter, language)
            assert line and "\n" not in line, (chapter, language)
