"""The lifespan's events: stable fields in each log record's ``extra``, and the observers."""

from __future__ import annotations

import logging
import os

import pytest

from django_lifespan_di import ShutdownError, StartupError, events
from tests.support.engine import make_runtime
from tests.support.engine_containers import ChainContainer, greeting_manager

CHAIN = ("first", "sibling", "middle", "last")
MANAGER = "tests.support.engine_containers.greeting_manager"


@pytest.fixture(autouse=True)
def _debug_level(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="django_lifespan_di")


def fields(record: logging.LogRecord) -> dict[str, object]:
    return {
        key: getattr(record, key)
        for key in ("event_name", "pid", "resource", "kind", "duration_ms", "error")
        if hasattr(record, key)
    }


def of(records: list[logging.LogRecord], event: str) -> list[logging.LogRecord]:
    return [r for r in records if getattr(r, "event_name", None) == event]


async def test_a_run_emits_each_event_with_its_fields(caplog: pytest.LogCaptureFixture) -> None:
    runtime = make_runtime(ChainContainer, managers=[greeting_manager])
    await runtime.start()
    await runtime.stop()

    ours = [r for r in caplog.records if r.name == "django_lifespan_di"]
    assert all(r.pid == os.getpid() for r in ours)  # type: ignore[attr-defined]
    names = [r.event_name for r in ours]  # type: ignore[attr-defined]
    assert names[0] == "lifespan.starting"
    assert names[-1] == "lifespan.stopped"
    assert names.count("resource.starting") == names.count("resource.started") == 4
    assert names.count("resource.stopping") == names.count("resource.stopped") == 4
    assert names.count("manager.started") == names.count("manager.stopped") == 1
    assert names.index("lifespan.started") < names.index("lifespan.stopping")
    assert names.index("lifespan.stopping") < names.index("shutdown.drained")
    assert names.index("shutdown.drained") < names.index("manager.stopping")

    [started] = [r for r in of(ours, "resource.started") if r.resource == "ChainContainer.middle"]  # type: ignore[attr-defined]
    assert fields(started) == {
        "event_name": "resource.started",
        "pid": os.getpid(),
        "resource": "ChainContainer.middle",
        "kind": "resource",
        "duration_ms": pytest.approx(started.duration_ms),  # type: ignore[attr-defined]
    }
    assert isinstance(started.duration_ms, float)  # type: ignore[attr-defined]
    # The human message is as it was.
    assert started.getMessage().startswith("Started ChainContainer.middle in ")
    assert started.levelno == logging.INFO
    [manager] = of(ours, "manager.stopped")
    assert (manager.resource, manager.kind) == (MANAGER, "manager")  # type: ignore[attr-defined]
    [lifespan_started] = of(ours, "lifespan.started")
    assert lifespan_started.getMessage().endswith(f"(pid {os.getpid()})")
    assert "resource" not in fields(lifespan_started)
    # Records name the line that emitted them, not the helper.
    assert {r.module for r in ours} == {"runtime"}
    [drained] = of(ours, "shutdown.drained")
    assert drained.still_running == 0  # type: ignore[attr-defined]


async def test_failures_carry_the_error_type_never_its_message(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIFESPAN_DI_TEST_FAIL_START", "last")
    monkeypatch.setenv("LIFESPAN_DI_TEST_FAIL_STOP", "middle")
    with pytest.raises(StartupError):
        await make_runtime(ChainContainer).start()

    [failed_start] = of(caplog.records, "resource.failed")[:1]
    assert fields(failed_start) == {
        "event_name": "resource.failed",
        "pid": os.getpid(),
        "resource": "ChainContainer.last",
        "kind": "resource",
        "error": "ConnectionRefusedError",
    }
    # The summary line says it at ERROR; this one does not repeat it.
    assert failed_start.levelno == logging.DEBUG
    [startup_failed] = of(caplog.records, "lifespan.startup_failed")
    assert startup_failed.levelno == logging.ERROR
    assert startup_failed.error == "StartupError"  # type: ignore[attr-defined]
    [failed_stop] = [r for r in of(caplog.records, "resource.failed") if r.levelno == logging.ERROR]
    assert (failed_stop.resource, failed_stop.error) == ("ChainContainer.middle", "RuntimeError")  # type: ignore[attr-defined]
    assert of(caplog.records, "lifespan.rollback_failed")[0].levelno == logging.ERROR


async def test_a_failed_shutdown_is_an_event_too(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIFESPAN_DI_TEST_FAIL_STOP", "first")
    runtime = make_runtime(ChainContainer)
    await runtime.start()
    with pytest.raises(ShutdownError):
        await runtime.stop()
    [shutdown_failed] = of(caplog.records, "lifespan.shutdown_failed")
    assert shutdown_failed.error == "ShutdownError"  # type: ignore[attr-defined]
    assert not of(caplog.records, "lifespan.stopped")


async def test_observers_get_each_event_and_one_that_fails_breaks_nothing(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[events.Event] = []

    def failing(event: events.Event) -> None:
        raise ValueError("an observer's own bug")

    monkeypatch.setattr(events, "OBSERVERS", [failing, seen.append])
    runtime = make_runtime(ChainContainer)
    await runtime.start()
    await runtime.stop()

    logged = [getattr(r, "event_name", None) for r in caplog.records]
    assert [e.name for e in seen] == [e for e in logged if e and e != "observer.failed"]
    first = seen[0]
    assert first.about is runtime
    assert first.fields["event_name"] == "lifespan.starting"
    assert first.time_ns <= seen[-1].time_ns
    failures = of(caplog.records, "observer.failed")
    assert len(failures) == len(seen)
    assert failures[0].observed == "lifespan.starting"  # type: ignore[attr-defined]
    assert failures[0].exc_info is not None
