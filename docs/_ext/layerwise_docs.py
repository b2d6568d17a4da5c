"""Pages made from the code while the documentation builds.

When the builder starts, this extension writes reStructuredText fragments into
``docs/generated/`` (ignored by git), which the pages ``.. include::``:

- ``first_run*``: a real ``layerwise train`` on the embedded digits (its printout, run directory,
  metrics and plots), for Getting started;
- ``options.inc``: every option of a run, from ``layerwise.app.options.OPTIONS``;
- ``commands.inc``: every sub-command's own arguments, from the CLI's argparse parser;
- ``vocabulary.inc``: every registered name, from ``layerwise.registry``;
- ``performance.inc``: the benchmark tables, printed by ``benchmarks/table.py`` from
  ``benchmarks/results/*.json``, with the commands recorded there;
- ``reliability.inc``: the tests, counted by pytest's own collection.

Nothing here is typed by hand: change the code and the pages follow.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1]
ROOT = DOCS.parent
GENERATED = DOCS / "generated"


# -- small reStructuredText helpers -----------------------------------------------------------------
def _cell(text) -> str:
    text = str(text).replace("\n", " ").strip()
    return text if text else "\\ "


def list_table(header: list[str], rows: list[list], widths: list[int] | None = None, title: str = "",
               align_right: bool = False, text_columns: int = 1) -> str:
    """A ``list-table`` directive; with ``align_right``, the columns after the first
    ``text_columns`` are numbers, aligned right."""
    out = [f".. list-table:: {title}".rstrip(), "   :header-rows: 1"]
    if widths:
        out.append("   :widths: " + " ".join(map(str, widths)))
    out.append("   :class: lw-table" + (f" lw-numbers lw-text-{text_columns}" if align_right else ""))
    out.append("")
    for row in [header, *rows]:
        for i, cell in enumerate(row):
            out.append(("   * - " if i == 0 else "     - ") + _cell(cell))
    return "\n".join(out) + "\n"


def literal(text: str, language: str = "text") -> str:
    return f".. code-block:: {language}\n\n" + textwrap.indent(text.rstrip() + "\n", "   ") + "\n"


def md_tables(text: str) -> list[tuple[str, list[str], list[list[str]]]]:
    """The Markdown tables in ``text`` as (caption line before it, header, rows)."""
    tables, lines, i = [], text.splitlines(), 0
    while i < len(lines):
        if lines[i].startswith("|") and i + 1 < len(lines) and re.match(r"^\|[-:| ]+\|$", lines[i + 1]):
            header = [c.strip() for c in lines[i].strip("|").split("|")]
            rows, j = [], i + 2
            while j < len(lines) and lines[j].startswith("|"):
                rows.append([c.strip() for c in lines[j].strip("|").split("|")])
                j += 1
            tables.append((header, rows))
            i = j
        else:
            i += 1
    return tables


def _md_inline(text: str) -> str:
    """Markdown `code` → reStructuredText ``code``."""
    return re.sub(r"(?<!`)`([^`]+)`(?!`)", r"``\1``", text)


def write(name: str, text: str) -> None:
    path = GENERATED / name
    if not path.exists() or path.read_text() != text:  # unchanged files keep their time stamps
        path.write_text(text)


# -- the option table -----------------------------------------------------------------------------------
def _default_text(option) -> str:
    value = option.default
    if value is None:
        return "(unset)"
    if value == "" or value == [] or value == 0.0 and option.path == "compile.learning_rate":
        return "(derived)" if value in ([], 0.0) else '""'
    return json.dumps(value) if not isinstance(value, str) else f'"{value}"'


def options_page() -> str:
    from layerwise.app import options

    sections: dict[str, list] = {}
    for option in options.OPTIONS:
        top = option.path.split(".")[0] if "." in option.path else "(top level)"
        sections.setdefault(top, []).append(option)
    out = []
    for top, opts in sections.items():
        heading = f"``[{top}]``" if top != "(top level)" else "Top level"
        out += [heading, "~" * len(heading), ""]
        rows = []
        for o in opts:
            where = f"``{o.path}``"
            flag = (f"``{o.flag}`` ({', '.join(o.commands)})" if o.flag else "config only")
            extra = " May change on ``--resume``." if o.resumable else ""
            rows.append([where, flag, f"``{_default_text(o)}``",
                         _flags_as_code(_rst_escape(options.help_text(o).replace("%%", "%"))) + extra])
        out.append(list_table(["config path", "flag (commands)", "default", "what it does"], rows,
                              widths=[24, 22, 13, 41]))
    return "\n".join(out)


def _rst_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("*", "\\*").replace("`", "\\`").replace("|", "\\|")


def _flags_as_code(text: str) -> str:
    """``--epochs`` and the like as inline literals: in plain text the smart-quotes transform would
    turn the two hyphens into an en dash (``–epochs``), which fails when copied into a shell."""
    return re.sub(r"(?<![`\w-])(--[A-Za-z][\w-]*)", r"``\1``", text)


def commands_page() -> str:
    """Each sub-command with the arguments that are not rows of the option table."""
    import argparse

    from layerwise.app import cli, options

    flags = {o.flag for o in options.OPTIONS if o.flag}
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    helps = {c.dest: c.help for c in sub._choices_actions}
    out = [f".. |n-commands| replace:: {len(sub.choices)}", "", ".. end of the substitutions", ""]
    for name, p in sub.choices.items():
        title = f"``layerwise {name}``"
        out += [title, "~" * len(title), "", _flags_as_code(_rst_escape(helps.get(name) or "")) + ".", ""]
        rows, shared = [], []
        for action in p._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            names = action.option_strings or [action.dest]
            if set(names) & flags:
                shared.append(names[0])
                continue
            arg = ", ".join(f"``{n}``" for n in names)
            if action.choices:
                arg += " {" + ", ".join(map(str, action.choices)) + "}"
            help_ = (action.help or "") % {"default": action.default} if action.help else ""
            rows.append([arg, _flags_as_code(_rst_escape(help_))])
        if rows:
            out.append(list_table(["argument", "what it does"], rows, widths=[30, 70]))
        if shared:
            out.append(f"and the {len(shared)} flags of the option table marked *{name}* "
                       f"({', '.join(f'``{s}``' for s in shared)}).\n")
    return "\n".join(out)


# -- the vocabulary -------------------------------------------------------------------------------------
def vocabulary_page() -> str:
    import layerwise  # noqa: F401  (registers everything)
    from layerwise import registry
    from layerwise.training import loggers  # noqa: F401  (TensorBoard, MLflowLogger)

    rows = []
    for kind in registry.KINDS:
        groups: dict[int, list[str]] = {}
        objects: dict[int, object] = {}
        for name in registry.names(kind):
            obj = registry.lookup(kind, name)
            if not (getattr(obj, "__module__", "") or "").startswith("layerwise"):
                continue
            groups.setdefault(id(obj), []).append(name)
            objects[id(obj)] = obj
        entries = []
        for key, names in groups.items():
            own = getattr(objects[key], "name", None)
            first = own if own in names else ("linear" if "linear" in names else names[0])
            rest = [n for n in names if n != first]
            aliases = f" ({', '.join(f'``{n}``' for n in rest)})" if rest else ""
            entries.append((first.lower(), f"``{first}``{aliases}"))
        rows.append([kind, ", ".join(text for _, text in sorted(entries))])
    return list_table(["kind", "names (aliases)"], rows, widths=[15, 85])


# -- performance -------------------------------------------------------------------------------------
def performance_page() -> str:
    from benchmarks import table

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        table.main()
    tables = md_tables(buf.getvalue())
    results = ROOT / "benchmarks" / "results"
    tasks = []
    for path in sorted(results.glob("task[0-9]*.json")):
        d = json.loads(path.read_text())
        tasks.append(f"- task {d['task']}: {d['title']} ({d['epochs']} epochs, median of {d['repeats']} runs; "
                     f"``results/{path.name}``)")
    captions = {"task": "Seconds per epoch, throughput, accuracy and memory on Fashion-MNIST (60,000 images).",
                "batch size": "Batch size (task 1's network, 20,000 samples, times scaled to 60,000).",
                "width": "Width of the two hidden layers (784-w-w-10).",
                "samples": "Memory: peak resident memory against the size of the data (784-32-10, one epoch).",
                "busy pairs": "Task 1 beside one busy process: the XLA engine and JAX's scan alone, in more "
                              "interleaved pairs (issue 30; results/task1_busy_busy_pairs.json).",
                "book task": "The book's network on both engines, against JAX's scan and the book's own network2.py "
                              "(issue 30; results/book_engine.json).",
                "GPU": "On a GPU (the CuPy backend, before the XLA engine), against PyTorch eager and CUDA-graph runs."}
    engine_captions = iter(["The NumPy and XLA engines against the peers (issue 30; the first epoch includes "
                            "compiling), from the engine result files.",
                            "Before the XLA engine: the step program (issue 24, since removed), from the program "
                            "result files."])
    out = ["The tasks, as their result files describe them:", "", *tasks, ""]
    for header, rows in tables:
        first = str(header[0])
        caption = (next(engine_captions, "") if first.startswith("s/epoch") else
                   next((c for k, c in captions.items() if first.startswith(k)), ""))
        out.append(list_table([_md_inline(h) for h in header], [[_md_inline(c) for c in r] for r in rows],
                              title=caption, align_right=True, text_columns=2 if "tool" in header else 1))

    commands, machines = [], []
    for path in sorted(results.glob("*.json")):
        d = json.loads(path.read_text())
        if "command" in d:
            commands.append(f"{d['command']}   # → results/{path.name}")
        m = d.get("machine")
        if m:
            machines.append([path.name, m.get("cpus", ""), m.get("processor", ""), m.get("python", ""),
                             f"{m.get('sgemm_peak_gflops', float('nan')):.0f}"])
    body = "\n".join(out)
    body += "\nThe commands recorded in the result files:\n\n" + literal("\n".join(commands), "bash")
    if machines:
        body += "\nThe machines they ran on, as recorded:\n\n" + list_table(
            ["result file", "CPUs", "processor", "Python", "sgemm peak (GFLOP/s)"], machines)

    book = results / "book.json"
    if book.exists():
        d = json.loads(book.read_text())
        by = {}
        for r in d["results"]:
            by.setdefault(r["config"], {})[r["monitors"]] = r
        rows = []
        for config, r in by.items():
            rows.append([config, f"{r[False]['seconds_per_epoch']:.3f}" if False in r else "",
                         f"{r[True]['seconds_per_epoch']:.3f}" if True in r else "",
                         f"{(r.get(False) or r.get(True))['test_accuracy']:.4f}"])
        body += ("\n.. _book-benchmark:\n\nThe book's own task\n-------------------\n\n"
                 f"{d['task']} (median of {d['repeats']}; ``results/book.json``, "
                 "made by ``python -m benchmarks.book --network2 path/to/network2_py3.py``; the book's "
                 "file is not shipped):\n\n")
        body += list_table(["run as", "no monitors, s/epoch", "four monitors, s/epoch", "test accuracy"], rows,
                           align_right=True)
    augment = results / "augment.json"
    if augment.exists():
        d = json.loads(augment.read_text())
        rows = [[name, f"{r['ms_per_step']:.2f}", f"{r['ms_per_step_augmented']:.2f}", f"{100 * r['overhead']:+.0f}%"]
                for name, r in d.items()]
        body += ("\nAugmentation\n------------\n\nThe cost of an :class:`~layerwise.Augment` layer per training "
                 "step (``results/augment.json``, made by ``python -m benchmarks.augment``):\n\n")
        body += list_table(["network", "ms/step", "ms/step augmented", "overhead"], rows, align_right=True)
    return body


# -- reliability: the tests, counted ------------------------------------------------------------------
COLLECT = r"""
import json, sys
import pytest

class Collect:
    def __init__(self):
        self.items = []
    def pytest_collection_modifyitems(self, session, config, items):
        for item in items:
            marks = sorted({m.name for m in item.iter_markers()} & {"slow", "gpu"})
            doc = (getattr(item.module, "__doc__", None) or "").strip()
            self.items.append({"file": item.nodeid.split("::")[0], "marks": marks, "doc": doc})

c = Collect()
code = pytest.main(["--collect-only", "-q", "-m", "", "-p", "no:cacheprovider", "tests"], plugins=[c])
json.dump(c.items, open(sys.argv[1], "w"))
sys.exit(0 if code in (0, 5) else code)
"""


def _first_sentence(doc: str) -> str:
    doc = " ".join(doc.split())
    m = re.match(r"(.+?[.:])(\s|$)", doc)
    return (m.group(1) if m else doc).rstrip(":") + ("" if (m and m.group(1).endswith(".")) else ".")


def reliability_page() -> str:
    out_json = GENERATED / "tests.json"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    subprocess.run([sys.executable, "-c", COLLECT, str(out_json)], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=600)
    items = json.loads(out_json.read_text())
    files: dict[str, dict] = {}
    for it in items:
        f = files.setdefault(it["file"], {"default": 0, "slow": 0, "gpu": 0, "doc": it["doc"]})
        if "gpu" in it["marks"]:
            f["gpu"] += 1
        elif "slow" in it["marks"]:
            f["slow"] += 1
        else:
            f["default"] += 1
    rows = [[f"``{name.removeprefix('tests/')}``", v["default"], v["slow"] or "", v["gpu"] or "",
             _rst_escape(_first_sentence(v["doc"])) if v["doc"].strip() else ""]
            for name, v in sorted(files.items())]
    totals = {k: sum(v[k] for v in files.values()) for k in ("default", "slow", "gpu")}
    rows.append(["**all**", f"**{totals['default']}**", f"**{totals['slow']}**", f"**{totals['gpu']}**", ""])

    def constant(path, name):
        m = re.search(rf'{name}\s*=\s*int\(os\.environ\.get\("[A-Z_]+",\s*"(\d+)"\)\)', (ROOT / path).read_text())
        return m.group(1) if m else "?"

    head = (f".. |n-tests| replace:: {len(items)}\n.. |n-default| replace:: {totals['default']}\n"
            f".. |n-slow| replace:: {totals['slow']}\n.. |n-gpu| replace:: {totals['gpu']}\n"
            f".. |n-files| replace:: {len(files)}\n"
            f".. |fuzz-examples| replace:: {constant('tests/test_fuzz.py', 'FUZZ_EXAMPLES')}\n"
            f".. |fault-kills| replace:: {constant('tests/test_faults.py', 'KILLS')}\n\n")
    return head, list_table(["file in tests/", "default", "slow", "GPU", "what it checks (the file's docstring)"],
                            rows, widths=[30, 10, 7, 7, 46])


# -- the first run ----------------------------------------------------------------------------------
def first_run() -> None:
    """Train on digits with the CLI, as a reader would, and keep what it wrote."""
    work = GENERATED / "first-run-work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    env = {**os.environ, "MPLBACKEND": "Agg", "COLUMNS": "100", "NO_COLOR": "1",
           "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    command = ["layerwise", "train"]
    proc = subprocess.run([sys.executable, "-m", "layerwise", *command[1:]], cwd=work, env=env,
                          capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"layerwise train failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    run = next((work / "runs").iterdir())
    dest = GENERATED / "first-run"
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(run, dest)
    shutil.rmtree(work, ignore_errors=True)
    printed = proc.stdout.replace(str(work) + os.sep, "")
    write("first_run_output.inc", literal("$ " + " ".join(command) + "\n" + printed, "console"))
    listing = []
    for path in sorted(dest.rglob("*")):
        rel = path.relative_to(dest)
        if path.is_file():
            listing.append(f"{'    ' * (len(rel.parts) - 1)}{rel.name:<28} {path.stat().st_size:>9,} bytes")
        else:
            listing.append(f"{rel.name}/")
    write("first_run_tree.inc", literal(f"{run.name}/\n" + textwrap.indent("\n".join(listing), "    ")))
    metrics = json.loads((dest / "metrics.json").read_text())
    rows = [[f"``{k}``", f"{v:.4g}" if isinstance(v, float) else json.dumps(v)]
            for k, v in metrics.items() if not isinstance(v, (dict, list))]
    write("first_run_metrics.inc", list_table(["key", "value"], rows, widths=[40, 60]))
    history = (dest / "history.csv").read_text().splitlines()
    write("first_run_history.inc", literal("\n".join(history[:4] + ["..."] + history[-2:])))
    write("first_run_name.inc", f".. |run-dir| replace:: ``runs/{run.name}``\n")
    write("first_run_report.inc", report_screenshot(dest))


# -- install: the extras, from pyproject.toml ---------------------------------------------------------
EXTRA_USES = {
    "plot": "plots and the HTML report of a run",
    "test": "the test suite",
    "docs": "building these pages",
    "tune": "``layerwise tune`` (Optuna, PostgreSQL workers)",
    "onnx": "ONNX export",
    "tensorboard": "the TensorBoard callback",
    "mlflow": "the MLflow callback",
    "keras": "``save_weights`` in Keras's ``.weights.h5`` format",
    "gpu": "the XLA engine on an NVIDIA GPU (JAX's CUDA build; fit(device=\"cuda\"))",
}


def extras_page() -> str:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    rows = [["(none)", "always", ", ".join(f"``{d.split(';')[0].strip()}``" for d in project["dependencies"])]]
    for name, deps in project.get("optional-dependencies", {}).items():
        rows.append([f"``{name}``", EXTRA_USES.get(name, ""), ", ".join(f"``{d}``" for d in deps)])
    return list_table(["extra", "for", "installs"], rows, widths=[12, 30, 58])


def report_screenshot(run_dir: Path) -> str:
    """A picture of report.html in headless Chromium, when the build machine has it."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if browser is None:
        return ("(No Chromium on the machine that built these pages, so no picture of the report here: "
                "open ``report.html`` in a browser.)\n")
    out = GENERATED / "report.png"
    try:
        subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                        f"--screenshot={out}", "--window-size=1100,2200", (run_dir / "report.html").as_uri()],
                       check=True, capture_output=True, timeout=120)
    except (subprocess.SubprocessError, OSError):
        return "(Chromium could not draw the report on the machine that built these pages.)\n"
    return (".. figure:: /generated/report.png\n   :alt: The top of report.html\n   :width: 550px\n\n"
            "   The top of ``report.html`` of the run above, drawn by headless Chromium during the build.\n")


def settings_page() -> str:
    """Every LAYERWISE_* environment switch, from layerwise.settings.SETTINGS."""
    from layerwise import settings
    rows = [[f"``{s.name}``", s.kind, "unset" if s.default is None else f"``{s.default}``", s.help]
            for s in settings.SETTINGS]
    return list_table(["variable", "kind", "default", "what it does"], rows, [25, 8, 10, 57])


# -- the extension -------------------------------------------------------------------------------------
def generate(app) -> None:
    GENERATED.mkdir(exist_ok=True)
    write("options.inc", options_page())
    write("settings.inc", settings_page())
    write("commands.inc", commands_page())
    write("vocabulary.inc", vocabulary_page())
    write("extras.inc", extras_page())
    write("performance.inc", performance_page())
    head, table = reliability_page()
    write("reliability_counts.inc", head)
    write("reliability.inc", table)
    first_run()


# -- docstrings: plain text → reStructuredText ------------------------------------------------------
# layerwise's docstrings are written as plain text for the source reader: formulas on indented
# lines, Markdown pipe tables, |x| for absolute values, lists without blank lines around them.
# This turns that convention into reStructuredText without touching the source: pipe tables become
# tables, indented formula blocks become literal blocks, and the characters that reStructuredText
# would read as markup are escaped outside ``code``.
_DIRECTIVE = re.compile(r"^\s*\.\. [\w:-]+::")
_BULLET = re.compile(r"^\s*[-*•] \S")
_TABLE_RULE = re.compile(r"^\s*\|[-:| ]+\|\s*$")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _escape_markup(line: str) -> str:
    """Escape |, * and trailing-underscore references outside ``literal`` spans and roles."""
    parts = re.split(r"(``.+?``|:[\w:]+:`[^`]+`|`[^`]+`_?)", line)
    for i in range(0, len(parts), 2):
        text = parts[i]
        text = text.replace("\\", "\\\\")
        text = text.replace("|", "\\|").replace("*", "\\*")
        text = re.sub(r"(\w)_(?=[\s.,;:)\]\\'\"]|$)", r"\1\\_", text)  # x_ would be a reference
        parts[i] = text
    return "".join(parts)


def _pipe_tables(lines: list[str]) -> list[str]:
    out, i = [], 0
    while i < len(lines):
        line = lines[i]
        if line.strip().startswith("|") and i + 1 < len(lines) and _TABLE_RULE.match(lines[i + 1]):
            indent = line[:_indent(line)]
            j = i + 2
            while j < len(lines) and lines[j].strip().startswith("|"):
                j += 1
            header, *rows = [[c.strip() for c in row.strip().strip("|").split("|")]
                             for row in [lines[i], *lines[i + 2:j]]]
            width = len(header)
            rows = [(r + [""] * width)[:width] for r in rows]
            table = list_table([_md_inline(c) for c in header], [[_md_inline(c) for c in r] for r in rows])
            out += ([""] if out and out[-1].strip() else []) + [indent + t if t else "" for t in table.splitlines()]
            out.append("")
            i = j
        else:
            out.append(line)
            i += 1
    return out


def plain_to_rst(lines: list[str]) -> list[str]:
    lines = _pipe_tables(list(lines))
    out: list[str] = []
    i = 0
    directive_indent = None  # inside a directive (our tables, or ones the author wrote)
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            out.append(line)
            i += 1
            continue
        ind = _indent(line)
        if directive_indent is not None:
            if ind > directive_indent:
                out.append(line)
                i += 1
                continue
            directive_indent = None
        if _DIRECTIVE.match(line):
            directive_indent = ind
            if out and out[-1].strip():
                out.append("")
            out.append(line)
            i += 1
            continue
        if line.lstrip().startswith(">>>"):
            out.append(line)
            i += 1
            continue
        # previous non-blank line, and whether a blank line separates it from this one
        k = len(out) - 1
        while k >= 0 and not out[k].strip():
            k -= 1
        prev = out[k] if k >= 0 else None
        blank_before = k < len(out) - 1
        if prev is not None and ind > _indent(prev) and not _BULLET.match(prev) and not prev.rstrip().endswith("::") \
                and not (_in_bullet(out, k, _indent(prev) - 2) and not blank_before):
            # an indented block: formulas or code. Gather it (blank lines inside included).
            j = i
            block = []
            while j < len(lines) and (not lines[j].strip() or _indent(lines[j]) > _indent(prev)):
                block.append(lines[j])
                j += 1
            while block and not block[-1].strip():
                block.pop()
                j -= 1
            base = _indent(prev)
            if blank_before:
                if prev.rstrip().endswith(":"):
                    out[k] = prev.rstrip() + ":"
                else:
                    out.append(" " * base + "::")
                    out.append("")
            else:  # the line before belongs to the block: "Training:  μ, σ² = ...\n    y = ..."
                out.pop(k)
                while out and not out[-1].strip():
                    out.pop()
                if out:
                    out.append("")
                out.append(" " * base + "::")
                out.append("")
                block = [prev] + block
            out.append("")
            out += ["    " + b if b.strip() else "" for b in block]
            out.append("")
            i = j
            continue
        if prev is not None and not blank_before:
            # lists need blank lines around them; a line back at a list's indent ends it
            if _BULLET.match(line) and not _BULLET.match(prev) and _indent(prev) == ind \
                    and not _is_bullet_continuation(out, k, ind):
                out.append("")
            elif not _BULLET.match(line) and _indent(prev) >= ind and _in_bullet(out, k, ind):
                out.append("")
        out.append(_escape_markup(line) if not _DIRECTIVE.match(line) else line)
        i += 1
    return out


def _in_bullet(out, k, ind) -> bool:
    """Is line k (the previous non-blank one) part of a bullet item at indent ``ind``?"""
    while k >= 0 and out[k].strip():
        if _BULLET.match(out[k]) and _indent(out[k]) == ind:
            return True
        if _indent(out[k]) <= ind and not _BULLET.match(out[k]):
            return False
        k -= 1
    return False


def _is_bullet_continuation(out, k, ind) -> bool:
    return _in_bullet(out, k, ind)


# a ``literal`` or a :role:`...` makes a line prose about code, not code ("a = f(z), with ``xp``")
_MARKUP = re.compile(r"``|:[\w:]+:`")
_CODE_LINE = re.compile(r"^\s*(from \w|import \w|>>> |@\w|[\w.\[\]\"']+ = \S|[\w.]+\(.*\)\s*(#.*)?$)")


def _parses(para: list[str]) -> bool:
    """Whether the lines are Python (a formula such as "z = x·W + b, a = f(z); keeps x" is not)."""
    import ast
    try:
        ast.parse(textwrap.dedent("\n".join(para)))
    except SyntaxError:
        return False
    return True


def _code_paragraphs(lines: list[str]) -> list[str]:
    """A paragraph that is all Python statements (an example whose indentation the docstring
    dedent removed) becomes a literal block."""
    out, i = [], 0
    while i < len(lines):
        if lines[i].strip() and (i == 0 or not lines[i - 1].strip()):
            j = i
            while j < len(lines) and lines[j].strip():
                j += 1
            para = lines[i:j]
            indent = min(_indent(x) for x in para)
            if all(_indent(x) == indent for x in para[:1]) and all(_CODE_LINE.match(x) for x in para) \
                    and not any(_MARKUP.search(x) for x in para) and _parses(para) \
                    and not (out and out[-1 - (not out[-1].strip())].rstrip().endswith("::")):
                out += [" " * indent + "::", ""] + ["    " + x for x in para]
                i = j
                continue
        out.append(lines[i])
        i += 1
    return out


_SECTION = re.compile(r"^\s*(Parameters|Other Parameters|Returns|Yields|Raises|Warns|See Also|Notes|"
                      r"References|Examples|Attributes|Methods)\s*$")
_UNDERLINE = re.compile(r"^\s*-{3,}\s*$")


# napoleon's NumPy-style parser for the sections: parameters as a list (name, type in italics,
# description), returns as a field; types stay text (no cross-references: without intersphinx a
# linked ``int`` would be a broken link under nitpicky). Imported when used, so that the tests
# that import this module run without Sphinx installed.
def _napoleon():
    from sphinx.ext.napoleon import Config
    from sphinx.ext.napoleon.docstring import NumpyDocstring
    config = Config(napoleon_google_docstring=False, napoleon_numpy_docstring=True,
                    napoleon_use_param=False, napoleon_use_rtype=False, napoleon_use_ivar=True,
                    napoleon_preprocess_types=False)
    return NumpyDocstring, config


def _sections(lines: list[str], what: str) -> list[str]:
    """The numpydoc sections at a docstring's end, rendered by napoleon. A description line
    (indented under its ``name : type`` line) is escaped as prose is; names, types and headings
    are not."""
    base = min((_indent(x) for x in lines if x.strip()), default=0)
    lines = [line if not line.strip() or _indent(line) == base else _escape_markup(line) for line in lines]
    numpy_docstring, config = _napoleon()
    return str(numpy_docstring(lines, config, what=what)).splitlines()


def process_docstring(app, what, name, obj, options, lines: list[str]) -> None:
    """Plain-text prose to reST, then the numpydoc sections that may end the docstring (a heading
    such as ``Parameters`` underlined with dashes) through napoleon."""
    cut = next((i for i in range(len(lines) - 1) if _SECTION.match(lines[i]) and _UNDERLINE.match(lines[i + 1])),
               len(lines))
    sections = _sections(lines[cut:], what) if cut < len(lines) else []
    lines[:] = plain_to_rst(_code_paragraphs(lines[:cut])) + ([""] + sections if sections else [])


def skip_member(app, what, name, obj, skip, options):
    """scikit-learn's generated metadata-routing methods are not layerwise's API."""
    if name.startswith("set_") and name.endswith("_request") or name == "get_metadata_routing":
        return True
    return None


def follow_imported(app, modname, attribute):
    """viewcode's module for a documented name: where a class or function is defined, but the
    documenting module for data and for what has no Python source (``OPTIONS``, a tuple; a field
    holding ``int``). Without this viewcode asks such a value for its ``__module__`` ("builtins")
    and lists a source page that does not exist."""
    import importlib
    try:
        obj = importlib.import_module(modname)
        for part in attribute.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError):
        return None
    defined_in = getattr(obj, "__module__", None) if (isinstance(obj, type) or callable(obj)) else None
    if isinstance(defined_in, str) and defined_in.split(".")[0] == "layerwise":
        return None  # viewcode's own rule: the object's __module__
    return modname


def setup(app):
    app.connect("viewcode-follow-imported", follow_imported)
    app.connect("builder-inited", generate)
    app.connect("autodoc-process-docstring", process_docstring)
    app.connect("autodoc-skip-member", skip_member)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
