"""docs/troubleshooting.md cannot fall behind the package: every check id and every exception
class the package defines must have its entry there."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

import django_lifespan_di
from django_lifespan_di import exceptions

ROOT = Path(__file__).resolve().parent.parent
PAGE = (ROOT / "docs" / "troubleshooting.md").read_text(encoding="utf-8")
SOURCES = sorted((ROOT / "django_lifespan_di").rglob("*.py"))  # checks/ included
CHECK_ID = re.compile(r"django_lifespan_di\.[EW]\d{3}")

CHECK_IDS = sorted({m for path in SOURCES for m in CHECK_ID.findall(path.read_text())})
EXCEPTION_CLASSES = sorted(
    {
        name
        for module in (django_lifespan_di, exceptions)
        for name, obj in vars(module).items()
        if inspect.isclass(obj)
        and issubclass(obj, Exception)
        and obj.__module__.startswith("django_lifespan_di")
    }
)


def test_the_package_defines_what_is_checked() -> None:
    # Guards the scan itself: an empty list would let every test below pass vacuously.
    assert "django_lifespan_di.E001" in CHECK_IDS
    assert "django_lifespan_di.W203" in CHECK_IDS
    assert {"ConfigurationError", "StartupError", "StateKeyError"} <= set(EXCEPTION_CLASSES)


@pytest.mark.parametrize("check_id", CHECK_IDS)
def test_every_check_id_has_an_entry(check_id: str) -> None:
    short = check_id.rpartition(".")[2]
    assert f"#### {short}: " in PAGE, f"no heading for {check_id}"
    assert f"{check_id}: " in PAGE, f"no message of {check_id} as `manage.py check` shows it"


@pytest.mark.parametrize("name", EXCEPTION_CLASSES)
def test_every_exception_class_is_explained(name: str) -> None:
    # As a traceback shows it, so a search for the message finds the entry.
    assert f"django_lifespan_di.exceptions.{name}: " in PAGE, name


def test_the_not_running_warning_is_explained() -> None:
    assert "The lifespan did not run: no resource was started" in PAGE
