"""The files under ``docs/examples/``: their snippet sections, as the docs pages include them,
and the settings of the example project the testing and processes guides share."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import override_settings


def section(path: Path, name: str) -> str:
    """The lines between the snippet markers of section ``name``, as pymdownx.snippets cuts them.

    The markers are comments (``# --8<-- [start:name]``), in Python and TOML files alike.
    """
    text = path.read_text(encoding="utf-8")
    match = re.search(
        rf"^# --8<-- \[start:{name}\]\n(.*?)^# --8<-- \[end:{name}\]$", text, re.M | re.S
    )
    assert match, f"{path} has no snippet section {name!r}"
    return match.group(1).rstrip("\n")


@pytest.fixture(autouse=True)
def example_project() -> Iterator[None]:
    """The settings pointed at ``docs/examples/testing/``, as a user's own settings would be.

    Autouse in each test module that imports it (where the example tests are imported too).
    """
    with override_settings(
        ROOT_URLCONF="docs.examples.testing.urls",
        LIFESPAN_DI={"CONTAINERS": ["docs.examples.testing.containers.Container"]},
    ):
        yield
