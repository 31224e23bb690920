"""The reference page documents every public name the package exports."""

from __future__ import annotations

import django_lifespan_di
from tests.support.server import ROOT

REFERENCE = (ROOT / "docs" / "reference.md").read_text(encoding="utf-8")
#: Re-exported from dependency-injector, documented in the injection guide.
DEPENDENCY_INJECTOR_MARKERS = {"Provide", "Provider"}


def test_every_exported_name_has_an_entry() -> None:
    missing = [
        name
        for name in sorted(set(django_lifespan_di.__all__) - DEPENDENCY_INJECTOR_MARKERS)
        if f"::: django_lifespan_di.{name}" not in REFERENCE
    ]
    assert not missing, f"docs/reference.md has no `::: django_lifespan_di.<name>` for {missing}"
