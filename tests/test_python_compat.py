"""The package stays clear of what Python 3.14 deprecates or removes in asyncio.

Python 3.14 deprecates asyncio's policy system and ``asyncio.iscoroutinefunction`` (both to be
removed in 3.16), removes the child watchers, and ``asyncio.get_event_loop()`` no longer creates
a loop when the thread has none: it raises ``RuntimeError``. No 3.14 interpreter runs the
matrix yet, so the package's source is read instead: every module of ``django_lifespan_di/``
is parsed with ``ast`` (not grep: a docstring or a comment that names one of these is fine, an
aliased import is not) and any reference to a name below fails, with file:line and what to use
instead.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

import pytest

from tests.support.server import ROOT

PACKAGE = ROOT / "django_lifespan_di"

POLICY = (
    "deprecated in Python 3.14, removed in 3.16 (the policy system): choose the loop with "
    "asyncio.Runner(loop_factory=...) or asyncio.run(..., loop_factory=...) (3.12+), or create "
    "it with asyncio.new_event_loop() / a loop class and run it yourself"
)
CHILD_WATCHER = (
    "removed in Python 3.14: asyncio's subprocess support needs no child watcher, delete the call"
)
#: ``asyncio.<name>`` (also reached through a submodule, e.g. ``asyncio.events.<name>``) -> why
#: it must go and what replaces it.
ASYNCIO: dict[str, str] = {
    **dict.fromkeys(
        (
            "get_event_loop_policy",
            "set_event_loop_policy",
            "AbstractEventLoopPolicy",
            "BaseDefaultEventLoopPolicy",
            "DefaultEventLoopPolicy",
            "WindowsSelectorEventLoopPolicy",
            "WindowsProactorEventLoopPolicy",
        ),
        POLICY,
    ),
    "iscoroutinefunction": (
        "deprecated in Python 3.14, removed in 3.16: use inspect.iscoroutinefunction (or "
        "asgiref.sync.iscoroutinefunction for functions marked with markcoroutinefunction)"
    ),
    "get_event_loop": (
        "Python 3.14 no longer creates a loop when the thread has none (RuntimeError): in a "
        "coroutine or a callback use asyncio.get_running_loop(); elsewhere create one with "
        "asyncio.new_event_loop(), or run the coroutine with asyncio.run / asyncio.Runner("
        "loop_factory=...)"
    ),
    "set_event_loop": (
        "sets the thread's 'current loop', which only get_event_loop() and the policies "
        "deprecated in 3.14 read: a loop run with loop.run_until_complete() / run_forever() or "
        "asyncio.Runner(loop_factory=...) is the running loop without it"
    ),
    **dict.fromkeys(
        (
            "get_child_watcher",
            "set_child_watcher",
            "AbstractChildWatcher",
            "SafeChildWatcher",
            "FastChildWatcher",
            "MultiLoopChildWatcher",
            "PidfdChildWatcher",
            "ThreadedChildWatcher",
        ),
        CHILD_WATCHER,
    ),
}
#: Outside asyncio: uvloop's policy-based entry points (uvloop deprecated them for the same
#: reason) -> what replaces them.
OTHER: dict[str, str] = {
    "uvloop.install": (
        "sets an event loop policy (deprecated by uvloop, gone with the policies in 3.16): use "
        "uvloop.run(...) or asyncio.Runner(loop_factory=uvloop.new_event_loop)"
    ),
    "uvloop.EventLoopPolicy": POLICY,
}


@dataclass(frozen=True)
class Use:
    path: str
    line: int
    name: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.name}: {replacement(self.name)}"


def replacement(qualified: str) -> str:
    return OTHER.get(qualified) or ASYNCIO[qualified.rpartition(".")[2]]


def flagged(qualified: str) -> str | None:
    """The listed name ``qualified`` (a dotted name as imported) refers to, or None."""
    if qualified in OTHER:
        return qualified
    module, _, name = qualified.rpartition(".")
    if (module == "asyncio" or module.startswith("asyncio.")) and name in ASYNCIO:
        return f"asyncio.{name}"
    return None


def imported_names(tree: ast.Module) -> dict[str, str]:
    """Each name an import binds anywhere in the module -> the dotted name it stands for."""
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    names[alias.asname] = alias.name
                else:  # `import asyncio.events` binds `asyncio`
                    top = alias.name.partition(".")[0]
                    names[top] = top
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return names


def dotted(node: ast.expr, names: dict[str, str]) -> str | None:
    """``asyncio.events.get_event_loop_policy`` for that expression, through the imports; None
    for anything that is not a chain of attributes on an imported name."""
    if isinstance(node, ast.Name):
        return names.get(node.id)
    if isinstance(node, ast.Attribute):
        base = dotted(node.value, names)
        return None if base is None else f"{base}.{node.attr}"
    return None


def uses(source: str, path: str) -> list[Use]:
    """Every reference in ``source`` to a listed name: imports, calls, attribute reads, base
    classes, annotations."""
    tree = ast.parse(source, filename=path)
    names = imported_names(tree)
    found: set[Use] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            candidates = [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Name | ast.Attribute):
            candidates = [dotted(node, names) or ""]
        else:  # `import asyncio` names a module, never one of the listed functions or classes
            continue
        found.update(
            Use(path, node.lineno, name) for name in map(flagged, candidates) if name is not None
        )
    return sorted(found, key=lambda use: (use.path, use.line, use.name))


def package_uses() -> list[Use]:
    return [
        use
        for module in sorted(PACKAGE.rglob("*.py"))
        if "__pycache__" not in module.parts
        for use in uses(module.read_text(encoding="utf-8"), module.relative_to(ROOT).as_posix())
    ]


def test_the_package_uses_nothing_python_3_14_deprecates_or_removes() -> None:
    found = package_uses()
    assert not found, "Python 3.14 deprecates or removes what the package uses:\n" + "\n".join(
        map(str, found)
    )


# -- the check itself: it sees every listed name in every form, and nothing else ----------------

LISTED = [f"asyncio.{name}" for name in ASYNCIO] + list(OTHER)


def spellings(qualified: str) -> list[str]:
    """Ways a module can reach ``qualified``."""
    module, _, name = qualified.rpartition(".")
    forms = [
        f"import {module}\n{qualified}()",
        f"import {module} as alias\nclass C(alias.{name}): pass",
        f"from {module} import {name}\n",
        f"from {module} import {name} as renamed\nrenamed()",
        f"def f():\n    import {module}\n    x: {qualified} = {qualified}",
    ]
    if module == "asyncio":
        forms += [
            f"import asyncio.events\nasyncio.events.{name}",
            f"from asyncio import events\nevents.{name}()",
        ]
    return forms


@pytest.mark.parametrize("qualified", LISTED)
def test_the_check_finds_each_name_however_it_is_reached(qualified: str) -> None:
    for source in spellings(qualified):
        found = uses(source, "example.py")
        assert found, f"missed:\n{source}"
        assert {use.name for use in found} == {qualified}, source
        assert all(use.line >= 1 for use in found)


def test_the_report_names_the_file_line_and_the_replacement() -> None:
    source = "import asyncio\n\n\nasyncio.iscoroutinefunction(print)\nasyncio.get_event_loop()\n"
    found = [str(use) for use in uses(source, "django_lifespan_di/example.py")]
    assert found == [
        f"django_lifespan_di/example.py:4: asyncio.iscoroutinefunction: "
        f"{ASYNCIO['iscoroutinefunction']}",
        f"django_lifespan_di/example.py:5: asyncio.get_event_loop: {ASYNCIO['get_event_loop']}",
    ]
    assert "inspect.iscoroutinefunction" in found[0]
    assert "asyncio.new_event_loop()" in found[1]
    assert "loop_factory" in replacement("asyncio.DefaultEventLoopPolicy")


def test_the_check_leaves_the_replacements_and_mere_mentions_alone() -> None:
    source = '''
"""asyncio.get_event_loop_policy() and asyncio.iscoroutinefunction are named here only."""
import asyncio
import inspect
from asgiref.sync import iscoroutinefunction

# asyncio.set_event_loop_policy(None) in a comment
get_event_loop_policy = "a local name"
inspect.iscoroutinefunction(print)
iscoroutinefunction(print)
asyncio.get_running_loop
asyncio.new_event_loop()
asyncio.Runner(loop_factory=asyncio.new_event_loop)
loop = asyncio.new_event_loop()
loop.get_event_loop = None
'''
    assert uses(source, "example.py") == []
