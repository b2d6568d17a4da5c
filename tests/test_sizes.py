"""Sizes that keep the code readable (issue: one definition per concept): no function over 60
lines, the Sequential class under 350, and the optimizers with their kernels and the gradient chain
shorter than the 762 lines they took when each rule was written two or three times."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "src" / "layerwise"


def test_no_function_is_longer_than_60_lines():
    long = []
    for path in ROOT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > 60:
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({length} lines)")
    assert not long, "split these functions:\n" + "\n".join(long)


def test_sequential_stays_under_350_lines():
    tree = ast.parse((ROOT / "model.py").read_text())
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Sequential")
    assert cls.end_lineno - cls.lineno + 1 < 350


def test_each_update_rule_is_written_once():
    lines = sum(len((ROOT / "optim" / f).read_text().splitlines()) for f in ("optimizers.py", "fused.py", "chain.py"))
    assert lines < 762
    assert not (ROOT / "optim" / "kernels.py").exists() and not (ROOT / "optim" / "_fused_kernels.py").exists()
