"""The locked versions in ``requirements/``: what the tests run and the docs record."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from packaging.requirements import Requirement

REQUIREMENTS = Path(__file__).resolve().parents[2] / "requirements"
#: The lock whose versions the docs pages record: the newest Python's development lock.
VERSIONS_LOCK = REQUIREMENTS / "dev-py313.txt"
DEV_LOCKS = sorted(REQUIREMENTS.glob("dev-py3*.txt"))


def current_lock() -> Path:
    """The lock this environment was installed from (``make test``: this Python's dev lock)."""
    given = os.environ.get("LIFESPAN_DI_LOCK")
    if given:
        return Path(given)
    return REQUIREMENTS / f"dev-py{sys.version_info[0]}{sys.version_info[1]}.txt"


def pinned(lock: Path) -> list[Requirement]:
    """Every ``name==version`` line of ``lock``, with its environment marker."""
    lines = lock.read_text(encoding="utf-8").splitlines()
    return [Requirement(line) for line in lines if line and not line[0].isspace() and "==" in line]


def locked_versions(lock: Path) -> dict[str, str]:
    """``{distribution: version}`` that ``lock`` pins for this interpreter (names lower-cased)."""
    return {
        requirement.name.lower(): str(requirement.specifier).removeprefix("==")
        for requirement in pinned(lock)
        if requirement.marker is None or requirement.marker.evaluate()
    }
