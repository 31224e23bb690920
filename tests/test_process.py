"""The process lifespan: one ``LifespanThread`` per process, started once, failures kept."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from django_lifespan_di import LifespanNotRunning, StartupError, process, resolve
from django_lifespan_di.process import (
    forget_process_lifespan,
    start_process_lifespan,
    stop_process_lifespan,
)
from tests.project.containers import Container


@pytest.fixture(autouse=True)
def forget() -> Iterator[None]:
    yield
    forget_process_lifespan()


def test_it_starts_once_and_stops() -> None:
    thread = start_process_lifespan()
    assert start_process_lifespan() is thread
    assert resolve(Container.cache) is thread.state["cache"]
    stop_process_lifespan()
    assert not thread.is_running
    stop_process_lifespan()  # nothing left to stop


def test_stopping_before_anything_started_does_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(process, "_thread", None)  # as in a process that never started one
    stop_process_lifespan()
    with pytest.raises(LifespanNotRunning, match="The lifespan is not running"):
        resolve(Container.cache)


def test_a_failed_startup_is_kept_and_named_by_every_later_use(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LIFESPAN_DI_TEST_FAIL_START", "database")
    with pytest.raises(StartupError) as first:
        start_process_lifespan()
    monkeypatch.delenv("LIFESPAN_DI_TEST_FAIL_START")
    with pytest.raises(StartupError) as again:
        start_process_lifespan()  # not retried in this process
    assert again.value is first.value
    with pytest.raises(LifespanNotRunning, match=r"failed to start.*Container\.database"):
        resolve(Container.cache)
