"""The package's import graph: no circle, imports that run one way, at most 8 floors.

Read from the source with ``ast``, imports under ``TYPE_CHECKING`` and inside functions
included: a type-only import ties two modules' designs as much as any other. The layers are
the map of ``CONTRIBUTING.md`` ("Layout"): primitives at the bottom, the engine on them, the
decorator on the engine, the hosts (one per kind of process) on the engine's face, and what
sits around them (middleware, status, test kit, checks, app config, the package root) on top.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import django_lifespan_di

PACKAGE = Path(django_lifespan_di.__file__).parent
ROOT = "django_lifespan_di"

#: Each module's layer, lowest first; a module imports only from its own layer or below.
LAYERS: dict[str, tuple[str, ...]] = {
    "primitives": (
        "exceptions",
        "naming",
        "waiting",
        "_internals",
        "databases",
        "conf",
        "managers",
        "events",
        "recording",
    ),
    "engine": ("opening", "graph", "scopes", "runtime", "registry"),
    "decorator": ("specs", "injection"),
    "hosts": ("asgi", "reactor", "thread", "wsgi", "celery", "management"),
    "around": (
        "middleware",
        "health",
        "status",
        "testing",
        "pytest_plugin",
        "checks",
        "contrib",
        "apps",
        "timeline",
        "telemetry",
        "debug_toolbar",
        "",
    ),
}
#: What hosts may import of the engine: its face, never its inner rooms.
ENGINE_FACE = ("runtime", "registry")
MAX_FLOORS = 8


def module_names() -> dict[str, Path]:
    """``runtime``, ``management.commands.runserver``, ``""`` for the package root -> path."""
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = module_names()


def top(module: str) -> str:
    """The room a module belongs to: ``management`` for everything under it."""
    return module.split(".")[0]


def layer_of(module: str) -> int:
    names = list(LAYERS)
    for index, name in enumerate(names):
        if top(module) in LAYERS[name]:
            return index
    raise AssertionError(
        f"{ROOT}.{module} is in no layer: add it to LAYERS here and to CONTRIBUTING.md's map."
    )


@functools.cache
def imports_of(module: str) -> frozenset[str]:
    """The package's modules that ``module`` imports (never itself or a package above it)."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = [ROOT, *filter(None, package.split("."))]
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for target in targets:
            if target != ROOT and not target.startswith(f"{ROOT}."):
                continue
            name = target.removeprefix(ROOT).removeprefix(".")
            while name and name not in MODULES:
                name = name.rpartition(".")[0]
            if name and name != module and not module.startswith(f"{name}."):
                found.add(name)
    return frozenset(found)


@functools.cache
def floor(module: str) -> int:
    return 1 + max((floor(other) for other in imports_of(module)), default=0)


def find_circle() -> str | None:
    """The first import circle found, as ``a -> b -> a``; None when there is none."""

    def path_back(start: str, current: str, seen: tuple[str, ...]) -> tuple[str, ...] | None:
        for other in sorted(imports_of(current)):
            if other == start:
                return (*seen, other)
            if other not in seen:
                found = path_back(start, other, (*seen, other))
                if found:
                    return found
        return None

    for module in MODULES:
        circle = path_back(module, module, (module,))
        if circle is not None:
            return " -> ".join(f"{ROOT}.{name}" for name in circle)
    return None


def test_there_is_no_import_circle() -> None:
    assert find_circle() is None


def test_imports_run_one_way_down_the_layers() -> None:
    upward = [
        f"{ROOT}.{module} ({list(LAYERS)[layer_of(module)]}) imports {ROOT}.{other} "
        f"({list(LAYERS)[layer_of(other)]})"
        for module in MODULES
        for other in imports_of(module)
        if layer_of(other) > layer_of(module)
    ]
    assert upward == []


def test_hosts_reach_the_engine_through_its_face_only() -> None:
    hosts, engine = LAYERS["hosts"], LAYERS["engine"]
    inner = [
        f"{ROOT}.{module} imports {ROOT}.{other}"
        for module in MODULES
        if top(module) in hosts
        for other in imports_of(module)
        if top(other) in engine and top(other) not in ENGINE_FACE
    ]
    assert inner == []


def test_the_package_has_at_most_eight_floors() -> None:
    assert find_circle() is None  # floors are counted on a graph without circles
    floors = max(floor(module) for module in MODULES)
    longest = max(MODULES, key=floor)
    chain = [longest]
    while imports_of(chain[-1]):
        chain.append(max(imports_of(chain[-1]), key=floor))
    assert floors <= MAX_FLOORS, "longest chain: " + " -> ".join(chain)


def test_every_module_has_a_layer() -> None:
    assert all(layer_of(module) >= 0 for module in MODULES)
