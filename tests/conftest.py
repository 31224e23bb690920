from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.project import journal


@pytest.fixture(autouse=True)
def _clear_journal() -> Iterator[None]:
    journal.EVENTS.clear()
    yield
    journal.EVENTS.clear()
