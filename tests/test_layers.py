"""The package's layers import only downwards (docs/architecture.md, "Where things live").

The pure models sit under the stores and the planes, the stores under the planes, the
tools on top: a module that reaches upwards makes the layers import each other, which is
how a redesign that moves code between them (the request plane, the intelligence plane,
the stores) stops being able to move it.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "antiextract"

# lowest first; a module may import from its own layer and any below it
LAYERS = [
    ("redact", "vocab"),
    ("model",),
    ("settings", "audit", "metrics"),
    ("store",),
    ("intel",),
    ("request",),
    ("ops", "client", "__init__"),
]
# Deliberate upward imports, each lazy (inside a function), each with its reason:
ALLOWED = {
    # settings checks a storage URI exactly as the Redis store will parse it, and the
    # signal weights with their own dataclass, at start-up only
    ("settings", "store"),
    ("settings", "request"),
}


def layer_of(module: str) -> int:
    top = module.split(".")[1] if module.count(".") else "__init__"
    for i, names in enumerate(LAYERS):
        if top in names:
            return i
    raise AssertionError(f"{module} is in no layer: add it to LAYERS")


def imports(path: Path, module: str) -> list[tuple[str, bool]]:
    """(imported antiextract module, imported at module level?) for each import."""
    tree = ast.parse(path.read_text())
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    top_level = {id(n) for n in tree.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            names = [target] if node.module else [f"{target}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        for name in names:
            if name == "antiextract" or name.startswith("antiextract."):
                found.append((name, id(node) in top_level))
    return found


def test_every_module_imports_only_from_its_layer_or_below() -> None:
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        parts = list(rel.parts)
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        here = layer_of(module)
        for target, module_level in imports(path, module):
            if target == "antiextract":
                continue
            there = layer_of(target)
            if there <= here:
                continue
            pair = (module.split(".")[1], target.split(".")[1])
            if pair in ALLOWED and not module_level:
                continue
            wrong.append(f"{module} -> {target}")
    assert wrong == [], "imports that reach upwards: " + ", ".join(wrong)


def test_the_check_sees_an_upward_import(tmp_path: Path) -> None:
    """The rule above must be able to fail: a model importing the request plane is found."""
    path = tmp_path / "risk.py"
    path.write_text("from ..request.signals import read_signals\n")
    ((target, module_level),) = imports(path, "antiextract.model.risk")
    assert target == "antiextract.request.signals" and module_level
    assert layer_of(target) > layer_of("antiextract.model.risk")


def test_the_intelligence_plane_reads_only_models_stores_and_the_floor() -> None:
    """intel/ sits between the stores and the request plane: the request plane holds an
    IntelPlane and emits records into it, so an import the other way (intel -> request,
    intel -> ops) would tie the planes together again."""
    below = {"model", "store", "intel", *LAYERS[0], *LAYERS[2]}
    modules = sorted((PACKAGE / "intel").rglob("*.py"))
    assert {p.stem for p in modules} >= {"records", "verdicts", "plane", "memory"}
    wrong = []
    for path in modules:
        module = "antiextract.intel." + path.stem
        for target, _ in imports(path, module):
            top = target.split(".")[1] if target.count(".") else "__init__"
            if top not in below:
                wrong.append(f"{module} -> {target}")
    assert wrong == []
