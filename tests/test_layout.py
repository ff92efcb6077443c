"""The house's shape, read from the source (README "Layout"): the engine imports neither Kedro
nor the Kedro face (``pipelines``, ``specs``), its rooms import each other without a circle,
and no engine string spells a parameter (the spec layer passes the names it needs)."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "mtl_pipeline"
#: The Kedro face and the project's Kedro settings: everything else is the engine.
FACE = {
    "pipelines",
    "specs",
    "hooks",
    "tracking",
    "settings",
    "pipeline_registry",
    "preflight",
    "__main__",
    "readme_tables",
}
#: The one engine room that may import Kedro: the custom Kedro datasets.
KEDRO_ROOM = "datasets"
PARAMETER = re.compile(r"\b(tweets|newsgroups|factors|meta|predict)\.[a-z_]+")


def _modules() -> dict[str, tuple[str, ast.Module]]:
    """Engine module name → (its room, its syntax tree)."""
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        room = parts[0]
        if room in FACE or room == "__init__":
            continue
        name = ".".join(("mtl_pipeline", *parts)).removesuffix(".__init__")
        out[name] = (room, ast.parse(path.read_text(encoding="utf-8")))
    return out


def _imports(name: str, tree: ast.Module) -> set[str]:
    """Every module ``name`` imports (relative imports resolved)."""
    package = name if name.count(".") == 1 else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                found.add(f"{base}.{node.module}" if node.module else base)
            else:
                found.add(node.module or "")
    return found


def _room_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "mtl_pipeline" and len(parts) > 1 else None


def test_the_engine_imports_neither_kedro_nor_the_kedro_face():
    wrong = []
    for name, (room, tree) in _modules().items():
        for target in _imports(name, tree):
            if _room_of(target) in FACE:
                wrong.append(f"{name} imports {target}")
            if target.split(".")[0].startswith("kedro") and room != KEDRO_ROOM:
                wrong.append(f"{name} imports {target}")
    assert wrong == []


def test_the_engine_rooms_import_each_other_without_a_circle():
    graph: dict[str, set[str]] = defaultdict(set)
    for name, (room, tree) in _modules().items():
        for target in _imports(name, tree):
            other = _room_of(target)
            if other and other != room and other not in FACE and other != "__init__":
                graph[room].add(other)
    done: set[str] = set()

    def circle_from(room: str, path: tuple[str, ...]) -> tuple[str, ...] | None:
        if room in path:
            return (*path[path.index(room) :], room)
        if room in done:
            return None
        for other in sorted(graph[room]):
            found = circle_from(other, (*path, room))
            if found:
                return found
        done.add(room)
        return None

    circles = [c for room in sorted(graph) if (c := circle_from(room, ()))]
    assert circles == []


def test_no_engine_string_spells_a_parameter():
    """Docstrings may describe where a setting comes from; messages and values may not name
    it (``specs/`` passes the name with the value: ``SampleNames``, ``OnDegenerate``, ...)."""
    spelt = []
    for name, (_, tree) in _modules().items():
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and node.body
            and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Constant)
        }
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in docstrings
                and PARAMETER.search(node.value)
            ):
                spelt.append(f"{name}, line {node.lineno}: {node.value!r}")
    assert spelt == []
