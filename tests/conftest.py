from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from django_lifespan_di import runtime
from tests.project import journal


@pytest.fixture(autouse=True)
def _clear_journal() -> Iterator[None]:
    journal.EVENTS.clear()
    yield
    journal.EVENTS.clear()


@pytest.fixture(autouse=True)
def _forget_cut_startups() -> Iterator[None]:
    """A test that cancels a startup leaves this process's record of it to itself alone."""
    yield
    runtime.startup_cut_short = None


@pytest.fixture
def throwaway_views() -> Iterator[None]:
    """Views with bad markers, made in a test, must not linger in the checks of other tests."""
    yield
    gc.collect()
