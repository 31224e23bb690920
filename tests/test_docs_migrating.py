"""docs/migrating.md: what it includes, and a step that fails on purpose.

The guide's code comes from three snapshots of one project (docs/examples/migrating/before/,
part1/ and part2/), which tests/e2e/test_migrating.py serves and whose own tests it runs.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import override_settings

import django_lifespan_di
from django_lifespan_di import StartupError, lifespan, managers, register_lifespan_manager
from django_lifespan_di.managers import unregister_lifespan_manager
from docs.examples.migrating.part1.library.handlers import httpx_lifespan_manager

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "migrating.md"
EXAMPLES = ROOT / "docs" / "examples" / "migrating"
STAGES = ("before", "part1", "part2")
# pymdownx.snippets: `--8<-- "path"` or `--8<-- "path:section"` on one line, or one path (with
# an optional section) a line between two `--8<--` lines.
INCLUDE = re.compile(r'--8<-- "([^":]+)(?::([\w-]+))?"')
BLOCK = re.compile(r"^\s*--8<--\s*\n(.*?)^\s*--8<--\s*$", re.M | re.S)


def included() -> list[tuple[str, str | None]]:
    """(path, section or None) of every snippet the guide includes."""
    text = GUIDE.read_text(encoding="utf-8")
    found = [(path, section or None) for path, section in INCLUDE.findall(text)]
    for block in BLOCK.findall(text):
        for line in filter(None, (line.strip() for line in block.splitlines())):
            path, _, section = line.partition(":")
            found.append((path, section or None))
    return found


def test_the_guide_includes_only_the_tested_snapshots() -> None:
    includes = included()
    assert len(includes) > 10
    for path, section in includes:
        file = ROOT / path
        stage = file.relative_to(EXAMPLES).parts[0] if file.is_relative_to(EXAMPLES) else None
        assert stage in STAGES, f"{path} is not part of a tested snapshot"
        assert file.is_file(), path
        if section is not None:
            text = file.read_text(encoding="utf-8")
            assert f"--8<-- [start:{section}]" in text, f"{path} has no section {section!r}"
            assert f"--8<-- [end:{section}]" in text, f"{path} has no end of {section!r}"


def test_what_the_guide_calls_unchanged_is_unchanged() -> None:
    def text(stage: str, name: str) -> str:
        return (EXAMPLES / stage / name).read_text(encoding="utf-8").replace(stage, "<stage>")

    for name in ("websocket.py", "urls.py", "library/urls.py"):
        assert text("before", name) == text("part1", name) == text("part2", name), name


def test_lifespan_manager_is_exported() -> None:
    assert django_lifespan_di.LifespanManager is managers.LifespanManager
    assert "LifespanManager" in django_lifespan_di.__all__


@override_settings(
    LIFESPAN_DI={"CONTAINERS": ["docs.examples.migrating.part2.library.containers.Container"]}
)
async def test_keeping_the_manager_next_to_its_provider_is_refused() -> None:
    """Part 2 with the registration of the manager the provider replaces left in place."""
    register_lifespan_manager(context_manager=httpx_lifespan_manager)
    try:
        with pytest.raises(
            StartupError, match="both put 'httpx_client_from_user' into the lifespan state"
        ):
            async with lifespan():
                pass
    finally:
        unregister_lifespan_manager(httpx_lifespan_manager)
