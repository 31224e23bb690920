"""Deferred resources (``LIFESPAN_DI["DEFERRED"]``): opened after startup, in dependency order,
in the lifespan's own task; refused with ``ResourceNotReady`` until then; a failure stops
nothing else; shutdown cancels what is still opening and closes the rest in order.

The test container's ``reporter`` depends on ``http_client`` (through a Factory), which depends
on ``database``; nothing depends on ``reporter``. Faults come from ``LIFESPAN_DI_TEST_*``
variables (``tests/project/journal.py``).
"""

from __future__ import annotations

import asyncio
import logging
import os
import pickle
import subprocess
import sys
from collections.abc import Iterator

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import AsyncClient, Client, override_settings

from django_lifespan_di import (
    ConfigurationError,
    LifespanError,
    ResourceNotReady,
    StateKeyError,
    _internals,
    lifespan,
    resolve,
)
from django_lifespan_di.management import LifespanCommand
from django_lifespan_di.middleware import LifespanState, LifespanStateMiddleware
from django_lifespan_di.registry import current_runtime
from django_lifespan_di.thread import LifespanThread
from tests.project.containers import Container
from tests.support.engine import journaled, make_runtime
from tests.support.fault_containers import STUBBORN, StubbornStartContainer
from tests.support.server import ROOT
from tests.support.waiting import eventually

REPORTER = [(Container, "reporter")]
CHAIN = [(Container, "http_client"), (Container, "reporter")]
SETTINGS = {
    "CONTAINERS": ["tests.project.containers.Container"],
    "DEFERRED": ["tests.project.containers.Container.reporter"],
}


@pytest.fixture
def slow_reporter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIFESPAN_DI_TEST_SLOW_START", "reporter")
    monkeypatch.setenv("LIFESPAN_DI_TEST_SLOW_START_SECONDS", "0.3")


@pytest.fixture
def deferred_reporter() -> Iterator[None]:
    with override_settings(LIFESPAN_DI=SETTINGS):
        yield


async def test_opens_after_startup_is_refused_until_open_and_closes_in_order(
    slow_reporter: None,
) -> None:
    runtime = make_runtime(Container, deferred=REPORTER)
    state = await runtime.start()
    assert "reporter" not in state
    assert sorted(journaled("open")) == ["cache", "database", "http_client"]
    with pytest.raises(ResourceNotReady) as caught:
        resolve(Container.reporter)
    assert caught.value.resource == "Container.reporter"
    assert "Container.reporter is not ready: it is deferred" in str(caught.value)
    await runtime.deferred_settled()
    reporter = resolve(Container.reporter)
    assert runtime.state["reporter"] is reporter
    await runtime.stop()
    opened = journaled("open")  # the independent ones in any order, the deferred one last
    assert sorted(opened[:-1]) == ["cache", "database", "http_client"]
    assert opened[-1] == "reporter"
    assert journaled("close")[0] == "reporter"  # dependents first, the deferred one included
    assert sorted(journaled("close")) == ["cache", "database", "http_client", "reporter"]


async def test_a_deferred_chain_opens_in_dependency_order() -> None:
    runtime = make_runtime(Container, deferred=CHAIN)
    await runtime.start()
    await runtime.deferred_settled()
    assert journaled("open")[-2:] == ["http_client", "reporter"]
    await runtime.stop()
    closed = journaled("close")
    assert closed.index("reporter") < closed.index("http_client") < closed.index("database")


async def test_a_deferred_failure_is_logged_and_stops_nothing_else(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("LIFESPAN_DI_TEST_FAIL_START", "http_client")
    runtime = make_runtime(Container, deferred=CHAIN)
    await runtime.start()
    await runtime.deferred_settled()
    statuses = {unit.name: unit.status for unit in runtime.units}
    assert statuses == {
        "Container.database": "ready",
        "Container.cache": "ready",
        "Container.http_client": "failed",
        "Container.reporter": "failed",
    }
    with pytest.raises(ResourceNotReady, match="failed to open"):
        resolve(Container.reporter)
    await runtime.stop()
    assert sorted(journaled("close")) == ["cache", "database"]
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert (
        "The deferred Container.http_client did not open; this process goes on without it: "
        "Container.http_client failed to start: ConnectionRefusedError"
    ) in errors[0]
    assert (
        "Container.reporter was not opened: Container.http_client, which it depends on"
        in (errors[1])
    )


async def test_shutdown_cancels_a_deferred_opening(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("LIFESPAN_DI_TEST_HANG_START", "reporter")
    runtime = make_runtime(Container, deferred=REPORTER)
    await runtime.start()
    await eventually(lambda: "reporter" in journaled("open"))
    await runtime.stop()  # no ShutdownError: nothing opened was left open
    assert sorted(journaled("close")) == ["cache", "database", "http_client"]
    assert (
        "Shutdown began before these deferred resources opened; their opening is cancelled: "
        "Container.reporter"
    ) in caplog.text


async def test_a_deferred_opening_gets_startup_timeout_then_fails_alone(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("LIFESPAN_DI_TEST_HANG_START", "reporter")
    runtime = make_runtime(Container, deferred=REPORTER, startup_timeout=0.2)
    await runtime.start()
    await runtime.deferred_settled()
    [reporter] = [unit for unit in runtime.units if unit.name == "Container.reporter"]
    assert reporter.status == "failed"
    assert isinstance(reporter.error, TimeoutError)
    assert "STARTUP_TIMEOUT'] = 0.2 s after startup; this process goes on" in caplog.text
    assert resolve(Container.http_client).name == "http_client"  # the others serve on
    await runtime.stop()


@pytest.mark.parametrize(
    ("path", "check_id", "message"),
    [
        (
            "http_client",
            "E010",
            "Container.http_client cannot be deferred: Container.reporter, which opens at "
            "startup, depends on it",
        ),
        ("nothing", "E009", "Container has no provider 'nothing'"),
        ("service", "E009", "it is a Factory, not a shared Resource"),
        ("unit_of_work", "E009", "it is a RequestResource, not a shared Resource"),
    ],
)
def test_what_cannot_be_deferred_is_refused_by_name(path: str, check_id: str, message: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        make_runtime(Container, deferred=[(Container, path)])
    assert caught.value.check_id == f"django_lifespan_di.{check_id}"
    assert message in str(caught.value)


# -- through Django, the settings and every kind of process ---------------------------------


async def test_a_view_needing_it_answers_503_and_readiness_names_it(
    monkeypatch: pytest.MonkeyPatch, deferred_reporter: None
) -> None:
    monkeypatch.setenv("LIFESPAN_DI_TEST_HANG_START", "reporter")
    async with lifespan():
        runtime = current_runtime()
        response = await AsyncClient().get("/inject/reporter/")
        assert response.status_code == 503
        assert response["Retry-After"] == "5"
        assert "Container.reporter is not ready yet" in response.content.decode()
        ready = await AsyncClient().get("/ready/")
        assert ready.status_code == 503
        assert "Container.reporter (" in ready.json()["reason"]
        with pytest.raises(ResourceNotReady, match=r"Container\.reporter is not ready"):
            LifespanState.of(runtime)["reporter"]
        assert (await AsyncClient().get("/state/")).status_code == 200  # the others serve


def test_other_errors_of_a_view_are_left_to_django() -> None:
    middleware = LifespanStateMiddleware(lambda request: HttpResponse())
    assert middleware.process_exception(HttpRequest(), ValueError("a view's bug")) is None


class WaitingCommand(LifespanCommand):
    async def handle_async(self, *args: object, **options: object) -> str:
        return str(resolve(Container.reporter).name)


def test_a_lifespan_command_runs_once_its_deferred_resources_opened(
    slow_reporter: None, deferred_reporter: None
) -> None:
    assert WaitingCommand().handle() == "reporter"


def test_with_lifespan_runs_the_command_once_its_deferred_resources_opened() -> None:
    """A real process: with_lifespan installs a SIGTERM handler in its main thread."""
    done = subprocess.run(
        [sys.executable, "-m", "django", "with_lifespan", "report_reporter"],
        cwd=ROOT,
        env={
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "LIFESPAN_DI_TEST_DEFERRED": SETTINGS["DEFERRED"][0],
            "LIFESPAN_DI_TEST_SLOW_START": "reporter",
            "LIFESPAN_DI_TEST_SLOW_START_SECONDS": "0.5",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "reporter"


def test_a_lifespan_thread_does_not_wait_unless_asked(
    slow_reporter: None, deferred_reporter: None
) -> None:
    """WSGI servers and workers serve at once: what needs the resource is refused meanwhile."""
    with LifespanThread() as thread:
        with pytest.raises(ResourceNotReady):
            resolve(Container.reporter)
        thread.wait_deferred()
        assert resolve(Container.reporter).name == "reporter"


def test_resource_not_ready_survives_transport() -> None:
    error = ResourceNotReady("Container.search is not ready", "Container.search")
    copy = pickle.loads(pickle.dumps(error))
    assert isinstance(copy, ResourceNotReady)
    assert isinstance(copy, LifespanError)
    assert (str(copy), copy.resource) == (str(error), "Container.search")


async def test_startup_completes_before_a_deferred_resource_begins(slow_reporter: None) -> None:
    runtime = make_runtime(Container, deferred=REPORTER)
    await runtime.start()
    assert "reporter" not in journaled("open")  # it begins when the lifespan next waits
    await asyncio.sleep(0)
    await eventually(lambda: "reporter" in journaled("open"))
    await runtime.stop()


async def test_a_deferred_opening_that_ignores_cancellation_is_abandoned(
    caplog: pytest.LogCaptureFixture,
) -> None:
    STUBBORN.reset()
    runtime = make_runtime(
        StubbornStartContainer,
        deferred=[(StubbornStartContainer, "stubborn")],
        startup_timeout=0.2,
    )
    await runtime.start()
    await runtime.deferred_settled()
    [stubborn] = [unit for unit in runtime.units if unit.name == "StubbornStartContainer.stubborn"]
    assert stubborn.status == "abandoned"
    assert "Abandoned the start of StubbornStartContainer.stubborn" in caplog.text
    STUBBORN.release()
    await runtime.stop()
    await eventually(lambda: "stubborn" in journaled("close"))  # it closes itself, once


async def test_a_missing_key_is_still_a_state_key_error_with_deferred_resources(
    slow_reporter: None,
) -> None:
    runtime = make_runtime(Container, deferred=REPORTER)
    await runtime.start()
    with pytest.raises(StateKeyError, match=r"request\.state has no .missing."):
        LifespanState.of(runtime)["missing"]
    await runtime.stop()
    with pytest.raises(StateKeyError):  # a state of no run has no deferred resources either
        LifespanState.of(None)["missing"]


def test_under_wsgi_a_view_needing_it_answers_503_too(
    monkeypatch: pytest.MonkeyPatch, deferred_reporter: None
) -> None:
    """The sync middleware chain (WSGI workers, runserver) turns it into a 503 the same way."""
    monkeypatch.setenv("LIFESPAN_DI_TEST_HANG_START", "reporter")
    with LifespanThread() as thread, _internals.routing_async_to_sync(thread.loop):
        response = Client().get("/inject/reporter/")
        assert response.status_code == 503
        assert "Container.reporter is not ready yet" in response.content.decode()
        assert Client().get("/sync-state/").status_code == 200
