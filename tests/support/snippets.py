"""The snippet sections of the files under ``docs/examples/``, as the docs pages include them."""

from __future__ import annotations

import re
from pathlib import Path


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
