"""A startup that a server cuts short is reported as such, and a slow one says what it waits on
before any server can cut it (the real servers: ``tests/e2e/test_time_limits.py``)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from django_lifespan_di import LifespanNotRunning, runtime
from django_lifespan_di.asgi import LifespanApplication
from django_lifespan_di.registry import current_runtime
from tests.project.containers import Container
from tests.support.engine import journaled, make_runtime
from tests.support.waiting import eventually


@pytest.fixture
def hanging_client(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIFESPAN_DI_TEST_HANG_START", "http_client")


async def test_a_startup_the_server_cancels_says_what_was_opening_and_what_had_opened(
    hanging_client: None, caplog: pytest.LogCaptureFixture
) -> None:
    run = make_runtime(Container)
    starting = asyncio.ensure_future(run.start())
    await eventually(lambda: "http_client" in journaled("open") and len(journaled("open")) == 3)
    starting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await starting
    assert sorted(journaled("close")) == ["cache", "database"]
    [report] = [r.getMessage() for r in caplog.records if "server cancelled" in r.getMessage()]
    assert report.startswith("The server cancelled the lifespan's startup after 0.")
    assert "still opening: Container.http_client (for 0." in report
    assert "not begun (waiting for those): Container.reporter" in report
    opened = report.split("opened, and closed again: ")[1].split(". ")[0]
    assert sorted(opened.split(", ")) == ["Container.cache", "Container.database"]
    # What this process then says where the lifespan's objects are asked for.
    with pytest.raises(LifespanNotRunning) as caught:
        current_runtime()
    assert f"The lifespan is not running. {report}" == str(caught.value)


async def test_a_forked_child_does_not_blame_its_parents_cut_startup() -> None:
    runtime.startup_cut_short = (runtime.process_id + 1, "the parent's report")
    with pytest.raises(LifespanNotRunning) as caught:
        current_runtime()
    assert "the parent's report" not in str(caught.value)


async def test_a_slow_startup_says_what_it_waits_on_until_it_has_started(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(runtime, "SLOW_STARTUP_FIRST_SECONDS", 0.05)
    monkeypatch.setattr(runtime, "SLOW_STARTUP_EVERY_SECONDS", 0.1)
    monkeypatch.setenv("LIFESPAN_DI_TEST_SLOW_START", "http_client")
    monkeypatch.setenv("LIFESPAN_DI_TEST_SLOW_START_SECONDS", "0.3")
    run = make_runtime(Container)
    await run.start()
    lines = [r for r in caplog.records if r.getMessage().startswith("Lifespan startup has run")]
    assert len(lines) >= 2  # the first, and again while it still waits
    assert all(line.levelname == "WARNING" for line in lines)
    first = lines[0].getMessage()
    assert "still opening: Container.http_client (for 0." in first
    assert "not begun (waiting for those): Container.reporter" in first
    assert "opened: Container.database, Container.cache" in first or (
        "opened: Container.cache, Container.database" in first
    )
    count = len(lines)
    await asyncio.sleep(0.2)
    await run.stop()
    # Nothing more once startup has completed.
    assert len([r for r in caplog.records if "startup has run" in r.getMessage()]) == count


async def test_the_asgi_lifespan_sends_nothing_to_a_server_that_cancelled_it(
    hanging_client: None,
) -> None:
    """hypercorn raises on a startup.failed sent by a lifespan it gave up on."""
    sent: list[dict[str, Any]] = []
    messages: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    await messages.put({"type": "lifespan.startup"})

    async def send(message: Any) -> None:
        sent.append(message)

    application = LifespanApplication(django_app=None)  # type: ignore[arg-type]
    task = asyncio.ensure_future(application({"type": "lifespan", "state": {}}, messages.get, send))
    await eventually(lambda: "http_client" in journaled("open"))
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert sent == []
