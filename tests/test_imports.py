"""The package's imports flow one way and never form a cycle.

Every import in every module is read from the source (including those inside functions), resolved
to a module of the package, and checked against the layering:

    0  leaves: errors, checks, settings, registry, _version, formats.atomic/container/figures (files, no model knowledge)
    1  core, data           the numerical core; data sets and input checks
    2  optim                update rules, schedules, weight averages, device kernels
    3  formats              model files and ONNX (build models through the registry, never model.py)
    4  training             the step, the fit state, batch sources, the loop, checkpoints, callbacks
    5  model                Sequential
    6  inspect              diagnostics, gradient checks
    7  app, sklearn, compat the applications
    8  the public API (__init__) and the old import paths (io, cli, __main__, _aliases)

A module may import from its own level or below, never from above.
"""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "src" / "layerwise"

LEVELS = [  # (module prefix, level); the longest matching prefix wins
    ("layerwise.errors", 0), ("layerwise.registry", 0), ("layerwise._version", 0), ("layerwise.checks", 0), ("layerwise.settings", 0),
    ("layerwise.formats.atomic", 0), ("layerwise.formats.container", 0), ("layerwise.formats.figures", 0),
    ("layerwise.core", 1), ("layerwise.data", 1),
    ("layerwise.optim", 2),
    ("layerwise.formats", 3),
    ("layerwise.training", 4),
    ("layerwise.model", 5),
    ("layerwise.inspect", 6),
    ("layerwise.app", 7), ("layerwise.sklearn", 7), ("layerwise.compat", 7),
    ("layerwise", 8),
]


def level(module: str) -> int:
    best = max((p for p, _ in LEVELS if module == p or module.startswith(p + ".")), key=len)
    return dict(LEVELS)[best]


def module_name(path: Path) -> str:
    parts = ["layerwise", *path.relative_to(ROOT).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_module(name: str) -> bool:
    rel = Path(*name.split(".")[1:]) if "." in name else Path()
    return (ROOT / rel).with_suffix(".py").exists() or (ROOT / rel / "__init__.py").exists()


def imports_of(path: Path) -> set[str]:
    """The package modules a file imports, anywhere in it."""
    me = module_name(path)
    package = me if path.name == "__init__.py" else me.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "layerwise"}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            elif (node.module or "").split(".")[0] == "layerwise":
                target = node.module
            else:
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.add(sub if is_module(sub) else target)
    found.discard(me)
    return found


GRAPH = {module_name(p): imports_of(p) for p in ROOT.rglob("*.py")}


def test_the_walk_sees_function_level_imports():
    assert "layerwise.formats.model_file" in GRAPH["layerwise.model"]  # inside Sequential.save
    assert len(GRAPH) > 40


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_imports_only_flow_downward(module):
    upward = sorted(t for t in GRAPH[module] if level(t) > level(module))
    assert not upward, f"{module} (level {level(module)}) imports from above: " + \
        ", ".join(f"{t} (level {level(t)})" for t in upward)


def test_no_import_cycles():
    state: dict[str, int] = {}
    stack: list[str] = []
    cycles = []

    def visit(m):
        state[m] = 1
        stack.append(m)
        for t in sorted(GRAPH.get(m, ())):
            if state.get(t) == 1:
                cycles.append(stack[stack.index(t):] + [t])
            elif t not in state:
                visit(t)
        stack.pop()
        state[m] = 2

    for m in sorted(GRAPH):
        if m not in state:
            visit(m)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)
