"""No module reads another module's private attributes (DESIGN.md, "One definition per concept").

The source of every module under src/layerwise is read, and these are reported as ``file:line what``:

1. an attribute ``obj._name`` (one leading underscore, not a dunder) read, written or deleted, also
   when spelled ``getattr/setattr/hasattr/delattr(obj, "_name")``, ``vars(obj)[...]`` or
   ``obj.__dict__[...]``/``obj.__dict__.get/pop/setdefault("_name")``, where ``obj`` is not
   ``self``, ``cls`` or ``super()`` — unless the same file defines ``_name``: a ``def _name`` or
   ``class _name``, an assignment ``self._name = ...`` / ``cls._name = ...``, or an assignment to
   ``_name`` in a class body. (A class's own private attribute may be used by its module's other
   code; a name the file does not define belongs to another module, which must make it public:
   ``layer.last_output``, not ``layer._a``.)
2. ``from M import _name`` where ``_name`` is an attribute of ``M`` (not a submodule of a package).
3. an import of a private module (a dotted path with a component ``_name``, e.g. ``_common``) from
   outside the package that contains it: ``compat/keras/_common.py`` is private to
   ``layerwise.compat.keras`` and its subpackages, ``_version.py`` to ``layerwise``.

Exceptions are listed below by file and access (no line numbers, so edits elsewhere in a file
keep them valid): third-party private APIs we must use (THIRD_PARTY), and reads in files that are
being changed elsewhere (PENDING, to be emptied).
"""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "src" / "layerwise"

# Private APIs of other projects, used on purpose: (file relative to src/layerwise, access).
THIRD_PARTY = {
    # numpy.memmap keeps its mmap in ``_mmap`` (no public accessor): how a memory-mapped array's file
    # is found so that batches are read with plain file reads instead of mapping the file.
    ("data/inputs.py", "a._mmap"),
    # scikit-learn's parameter validation (the model for our option table): the constraint types,
    # and the helpers every scikit-learn estimator uses to check sample weights and parameters.
    ("sklearn.py", "sklearn.utils._param_validation"),
    ("sklearn.py", "sklearn.utils.validation._check_sample_weight"),
    ("sklearn.py", "sklearn.base._fit_context"),
}

# Reads in files other changes are rewriting (model.py, compat/keras/); each is to be made public
# there and removed from this list.
PENDING: set[tuple[str, str]] = set()

ACCESSORS = {"getattr", "setattr", "hasattr", "delattr"}
DICT_METHODS = {"get", "pop", "setdefault"}


def is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def is_own(node: ast.expr) -> bool:
    """``self``, ``cls`` or ``super()``: the object's own (possibly inherited) attributes."""
    if isinstance(node, ast.Name):
        return node.id in ("self", "cls")
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "super"


def defined_names(tree: ast.AST) -> set[str]:
    """The private names a file defines (see the module docstring)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        if isinstance(node, ast.ClassDef):
            for stmt in node.body:
                targets = stmt.targets if isinstance(stmt, ast.Assign) else \
                    [stmt.target] if isinstance(stmt, (ast.AnnAssign, ast.AugAssign)) else []
                names |= {t.id for t in targets if isinstance(t, ast.Name)}
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store) and is_own(node.value):
            names.add(node.attr)
    return {n for n in names if is_private(n)}


def string_arg(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def dict_owner(node: ast.expr) -> ast.expr | None:
    """``obj`` when ``node`` is ``obj.__dict__`` or ``vars(obj)``."""
    if isinstance(node, ast.Attribute) and node.attr == "__dict__":
        return node.value
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "vars" and node.args:
        return node.args[0]
    return None


def attribute_accesses(tree: ast.AST):
    """(line, obj expression, attribute name, how it is written) of every attribute access by name."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            yield node.lineno, node.value, node.attr, f"{ast.unparse(node.value)}.{node.attr}"
        elif isinstance(node, ast.Call) and node.args:
            func, name = node.func, string_arg(node.args[1] if len(node.args) > 1 else None)
            if isinstance(func, ast.Name) and func.id in ACCESSORS and name is not None:
                yield node.lineno, node.args[0], name, f"{ast.unparse(node.args[0])}.{name}"
            elif isinstance(func, ast.Attribute) and func.attr in DICT_METHODS:
                owner, name = dict_owner(func.value), string_arg(node.args[0])
                if owner is not None and name is not None:
                    yield node.lineno, owner, name, f"{ast.unparse(func.value)}[{name!r}]"
        elif isinstance(node, ast.Subscript):
            owner, name = dict_owner(node.value), string_arg(node.slice)
            if owner is not None and name is not None:
                yield node.lineno, owner, name, f"{ast.unparse(node.value)}[{name!r}]"


def package_of(path: Path) -> list[str]:
    """The dotted package a file belongs to, as parts (``["layerwise", "compat", "keras"]``)."""
    return ["layerwise", *path.relative_to(ROOT).parent.parts]


def is_module(parts: list[str]) -> bool:
    rel = Path(*parts[1:]) if len(parts) > 1 else Path()
    return ((ROOT / rel).with_suffix(".py").exists() or (ROOT / rel).with_suffix(".c").exists()  # a C extension
            or (ROOT / rel / "__init__.py").exists())


def import_accesses(path: Path, tree: ast.AST):
    """(line, what) of every private import: a private name from a module, or a private module
    from outside its package."""
    package = package_of(path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules = [(a.name.split("."), a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - (node.level - 1)]
                target = base + (node.module.split(".") if node.module else [])
                shown = "." * node.level + (node.module or "")
            else:
                target, shown = (node.module or "").split("."), node.module or ""
            modules = [(target, shown)]
            for alias in node.names:
                if not is_private(alias.name):
                    continue
                if target[0] == "layerwise" and is_module(target + [alias.name]):
                    modules.append((target + [alias.name], f"{shown}.{alias.name}"))
                else:
                    yield node.lineno, f"{shown}.{alias.name}"
        else:
            continue
        for parts, shown in modules:
            for i, part in enumerate(parts):
                if is_private(part) and not (parts[0] == "layerwise" and package[:i] == parts[:i]):
                    yield node.lineno, shown
                    break


def private_reads(path: Path, source: str | None = None) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text() if source is None else source)
    own = defined_names(tree)
    found = [(line, shown) for line, obj, name, shown in attribute_accesses(tree)
             if is_private(name) and not is_own(obj) and name not in own]
    return sorted(set(found) | set(import_accesses(path, tree)))


def test_the_checker_finds_each_spelling():
    src = '''
from .other import _helper
from ._common import thing
from ..compat.keras._common import x
import layerwise.compat.keras._common
class Mine:
    _table = {}
    def __init__(self):
        self._kept = 1
    def _method(self):
        return super()._parent_thing()
def uses(layer, other):
    layer._a; other._kept; other._method(); Mine._table
    getattr(layer, "_b", None); setattr(layer, "_c", 1)
    layer.__dict__.pop("_d", None); vars(layer)["_e"]; layer.__dict__["_f"]
    layer.__dict__; layer.__len__; layer.public
'''
    found = [what for _, what in private_reads(ROOT / "training" / "example.py", src)]
    assert sorted(found) == sorted([
        ".other._helper", "..compat.keras._common", "layerwise.compat.keras._common",
        "layer._a", "layer._b", "layer._c", "layer.__dict__['_d']", "vars(layer)['_e']",
        "layer.__dict__['_f']"])
    # inside its own package the private module may be imported
    assert private_reads(ROOT / "compat" / "keras" / "example.py", "from ._common import thing") == []


def all_private_reads() -> list[tuple[str, int, str]]:
    return [(path.relative_to(ROOT).as_posix(), line, what)
            for path in sorted(ROOT.rglob("*.py")) for line, what in private_reads(path)]


def test_no_module_reads_another_modules_private_attributes():
    found = [f"{rel}:{line} {what}" for rel, line, what in all_private_reads()
             if (rel, what) not in THIRD_PARTY | PENDING]
    assert not found, ("private attributes read across modules (make them public, or move the code to "
                       "the module that owns them):\n" + "\n".join(found))


def test_every_allowed_read_still_occurs():
    seen = {(rel, what) for rel, _, what in all_private_reads()}
    stale = sorted((THIRD_PARTY | PENDING) - seen)
    assert not stale, f"allowed reads that no longer occur (remove them from the lists): {stale}"
