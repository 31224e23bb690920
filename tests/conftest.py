from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from django_lifespan_di import runtime
from tests.project import journal

# Here, not in each module that uses it: a fixture imported into a module is that module's
# own, and each would start a PostgreSQL cluster of its own for the session.
from tests.support.postgres import postgres_server  # noqa: F401  (a fixture)


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
