"""health/: pings of the live objects, their cache and single flight, and the probes' answers."""

from __future__ import annotations

import asyncio
import logging
import math
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from dependency_injector import providers
from django.test import AsyncClient, override_settings

from django_lifespan_di import health, lifespan, register_lifespan_manager, register_ping
from django_lifespan_di.databases import database_pool
from django_lifespan_di.exceptions import ConfigurationError
from django_lifespan_di.health import (
    PingBook,
    book_of,
    liveness,
    pinged_names,
    readiness,
    registered_pings,
    startup,
)
from django_lifespan_di.managers import unregister_lifespan_manager
from django_lifespan_di.registry import current_runtime, runtime_or_none
from tests.project.containers import Tracked
from tests.project.journal import record
from tests.support.engine import journaled, make_runtime
from tests.support.pinged import (
    CONTAINER,
    INSTANCE,
    InstanceContainer,
    OtherContainer,
    PingedContainer,
)

SETTINGS = {"CONTAINERS": [CONTAINER], "PING_MAX_AGE": 60}
PASSWORD = "hunter2"
DSN = f"postgresql://app:{PASSWORD}@db.internal:5432/app"


@pytest.fixture(autouse=True)
def pings() -> Iterator[None]:
    """Every ping a test registers is gone after it; those of the test project stay."""
    before = dict(health._pings)
    try:
        with override_settings(LIFESPAN_DI=SETTINGS):
            yield
    finally:
        health._pings.clear()
        health._pings.update(before)


def counting(name: str) -> Callable[[Any], None]:
    def ping(value: Any) -> None:
        record(f"ping {name}")

    return ping


async def probe(path: str = "/health/readyz/") -> Any:
    return await AsyncClient().get(path)


# -- registering --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("provider", "named"),
    [
        (PingedContainer.db.provides, "tests.project.containers.open_async"),
        (providers.Factory(Tracked), "an unnamed Factory"),
        (providers.Resource(Tracked), "an unnamed Resource"),
    ],
    ids=["not-a-provider", "undeclared-factory", "undeclared-resource"],
)
def test_a_ping_is_for_a_declared_shared_resource(provider: Any, named: str) -> None:
    with pytest.raises(ConfigurationError, match=r"pings a shared providers\.Resource") as caught:
        register_ping(provider, counting("db"))
    assert named in str(caught.value)


def test_a_ping_of_a_request_resource_or_a_factory_is_refused() -> None:
    from tests.project.containers import Container

    for provider in (Container.unit_of_work, Container.service):
        with pytest.raises(ConfigurationError, match=r"not tests\.project\.containers\.Contain"):
            register_ping(provider, counting("x"))  # type: ignore[arg-type]


def test_a_ping_must_be_callable() -> None:
    with pytest.raises(ConfigurationError, match="needs a callable that takes the live object"):
        register_ping(PingedContainer.db, "SELECT 1")  # type: ignore[arg-type]


@pytest.mark.parametrize("timeout", [0, -1, math.nan, math.inf, True, "1"])
def test_a_timeout_is_a_finite_number_of_seconds(timeout: Any) -> None:
    with pytest.raises(ConfigurationError, match=r"PingedContainer\.db, \.\.\., timeout=\.\.\.\)"):
        register_ping(PingedContainer.db, counting("db"), timeout=timeout)


def test_critical_is_a_bool() -> None:
    with pytest.raises(ConfigurationError, match=r"critical=\.\.\.\) must be True or False"):
        register_ping(PingedContainer.db, counting("db"), critical="yes")  # type: ignore[arg-type]


def test_registering_again_replaces_and_unregistering_removes() -> None:
    first, second = counting("first"), counting("second")
    register_ping(PingedContainer.db, first)
    register_ping(PingedContainer.db, second, timeout=2)
    (registration,) = [r for r in registered_pings() if r.provider is PingedContainer.db]
    assert (registration.ping, registration.timeout, registration.critical) == (second, 2.0, True)
    assert registration.name == "tests.support.pinged.PingedContainer.db"
    health.unregister_ping(PingedContainer.db)
    assert all(r.provider is not PingedContainer.db for r in registered_pings())


def test_names_are_those_of_the_running_lifespan_for_configured_containers_only() -> None:
    register_ping(PingedContainer.queue, counting("queue"))
    register_ping(OtherContainer.search, counting("search"))
    register_ping(PingedContainer.db, counting("db"))
    assert pinged_names() == ["PingedContainer.queue", "PingedContainer.db"]


def test_each_database_the_lifespan_owns_has_a_ping_of_its_own() -> None:
    with override_settings(LIFESPAN_DI={**SETTINGS, "DATABASES": ["default"]}):
        (ping,) = [r for r in registered_pings() if r.provider is database_pool("default")]
        assert (ping.name, ping.timeout, ping.critical) == (
            "django_lifespan_di.databases.Databases.default",
            health.DATABASE_PING_TIMEOUT,
            True,
        )
    assert all(r.provider is not database_pool("default") for r in registered_pings())


# -- pinging ------------------------------------------------------------------------------------


async def test_a_database_the_lifespan_owns_is_pinged_without_a_registration() -> None:
    with override_settings(LIFESPAN_DI={**SETTINGS, "DATABASES": ["default"]}):
        async with lifespan():
            report = await readiness()
    (check,) = [c for c in report.checks if c.name == "Databases.default"]
    assert check.ping is not None
    assert (report.status, check.status, check.ping.error) == ("pass", "pass", None)


async def test_a_ping_registered_for_a_database_replaces_its_own() -> None:
    def refuse(pool: object) -> None:
        raise ConnectionRefusedError

    register_ping(database_pool("default"), refuse)
    with override_settings(LIFESPAN_DI={**SETTINGS, "DATABASES": ["default"]}):
        (ping,) = [r for r in registered_pings() if r.provider is database_pool("default")]
        async with lifespan():
            report = await readiness()
    assert ping.ping is refuse
    assert report.status == "fail"
    assert report.output == "not ready: Databases.default (ping failed: ConnectionRefusedError)"


async def test_pings_get_the_objects_views_get_async_on_the_loop_sync_in_a_worker() -> None:
    seen: dict[str, tuple[Any, str, asyncio.AbstractEventLoop | None]] = {}

    async def ping_db(db: Tracked) -> None:
        seen["db"] = (db, threading.current_thread().name, asyncio.get_running_loop())

    def ping_cache(cache: Tracked) -> None:
        seen["cache"] = (cache, threading.current_thread().name, None)

    async def answer(queue: Tracked) -> None:
        seen["queue"] = (queue, threading.current_thread().name, asyncio.get_running_loop())

    register_ping(PingedContainer.db, ping_db)
    register_ping(PingedContainer.cache, ping_cache)
    # A sync callable that returns an awaitable (an async client's method): awaited on the loop.
    register_ping(PingedContainer.queue, lambda queue: answer(queue))
    async with lifespan() as state:
        report = await readiness()
        loop = asyncio.get_running_loop()
    assert report.status == "pass"
    assert seen["db"] == (state["db"], threading.current_thread().name, loop)
    assert seen["cache"] == (state["cache"], "django-lifespan-di", None)
    assert seen["queue"][0] is state["queue"]
    assert seen["queue"][2] is loop


async def test_results_are_cached_for_ping_max_age_then_pinged_again() -> None:
    register_ping(PingedContainer.db, counting("db"))
    async with lifespan():
        for _ in range(3):
            assert (await probe()).status_code == 200
        assert journaled("ping") == ["db"]
        with override_settings(LIFESPAN_DI={**SETTINGS, "PING_MAX_AGE": 0.01}):
            await asyncio.sleep(0.02)
            assert (await probe()).status_code == 200
    assert journaled("ping") == ["db", "db"]


async def test_a_hundred_probes_at_once_start_one_ping_per_resource() -> None:
    async def slow(name: str) -> None:
        record(f"ping {name}")
        await asyncio.sleep(0.05)

    register_ping(PingedContainer.db, lambda db: slow("db"))
    register_ping(PingedContainer.queue, lambda queue: slow("queue"))
    async with lifespan():
        answers = await asyncio.gather(*(probe() for _ in range(100)))
    assert {answer.status_code for answer in answers} == {200}
    assert sorted(journaled("ping")) == ["db", "queue"]


async def test_the_pings_of_all_resources_run_concurrently() -> None:
    # Each ping waits until all three have started: run one after another, they would time out.
    everyone = asyncio.Barrier(3)

    async def ping(value: Any) -> None:
        await everyone.wait()

    for provider in (PingedContainer.db, PingedContainer.cache, PingedContainer.queue):
        register_ping(provider, ping, timeout=5)
    async with lifespan():
        report = await readiness()
    assert report.status == "pass"
    assert [c.ping.result for c in report.checks if c.ping is not None] == ["pass"] * 3


async def test_a_hanging_ping_is_abandoned_at_its_timeout_and_blocks_nothing() -> None:
    async def hang(db: Tracked) -> None:
        record("ping db")
        await asyncio.sleep(3600)

    register_ping(PingedContainer.db, hang, timeout=0.2)
    register_ping(PingedContainer.queue, counting("queue"))
    async with lifespan():
        pending = asyncio.ensure_future(probe("/health/readyz/?verbose"))
        # Meanwhile the loop serves requests, and livez answers.
        assert (await probe("/health/livez/")).status_code == 200
        assert (await probe("/health/startupz/")).status_code == 200
        response = await pending
    assert response.status_code == 503
    body = response.json()
    assert body["output"] == "not ready: PingedContainer.db (ping failed: TimeoutError)"
    assert body["checks"]["PingedContainer.db"][0]["observedValue"] == 200.0
    assert body["checks"]["PingedContainer.queue"][0]["ping"] == "pass"


async def test_no_second_ping_starts_while_an_abandoned_sync_one_still_runs() -> None:
    released = threading.Event()

    def stuck(db: Tracked) -> None:
        record("ping db")
        released.wait(10)

    register_ping(PingedContainer.db, stuck, timeout=0.1)
    try:
        async with lifespan():
            with override_settings(LIFESPAN_DI={**SETTINGS, "PING_MAX_AGE": 0.01}):
                first = await readiness()
                await asyncio.sleep(0.02)
                second = await readiness()
                released.set()
                book = book_of(current_runtime())
                underway = book.underway[book.pinged[0].unit]
                await asyncio.wait(underway)
                await asyncio.sleep(0.02)
                third = await readiness()
    finally:
        released.set()
    assert [r.output for r in (first, second)] == [
        "not ready: PingedContainer.db (ping failed: TimeoutError)"
    ] * 2
    assert third.status == "pass"
    assert journaled("ping") == ["db", "db"]


async def test_a_ping_that_cancels_itself_fails() -> None:
    async def cancelled(db: Tracked) -> None:
        raise asyncio.CancelledError

    register_ping(PingedContainer.db, cancelled)
    async with lifespan():
        report = await readiness()
    assert report.output == "not ready: PingedContainer.db (ping failed: CancelledError)"


async def test_a_failed_non_critical_ping_is_a_warning_readiness_stays_200(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def down(queue: Tracked) -> None:
        raise ConnectionError("refused")

    register_ping(PingedContainer.queue, down, critical=False)
    async with lifespan():
        response = await probe("/health/readyz/?verbose")
        legacy = await probe("/ready/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "warn"
    assert body["output"] == (
        "degraded: PingedContainer.queue (ping failed: ConnectionError; not critical)"
    )
    check = body["checks"]["PingedContainer.queue"][0]
    assert (check["status"], check["ping"], check["critical"]) == ("warn", "warn", False)
    assert legacy.status_code == 200
    assert legacy.json()["ready"] is True
    assert legacy.json()["reason"] == body["output"]


async def test_no_secret_in_any_answer_or_log_line(caplog: pytest.LogCaptureFixture) -> None:
    def leaky(db: Tracked) -> None:
        raise ConnectionError(f"could not connect to {DSN}")

    register_ping(PingedContainer.db, leaky)
    caplog.set_level(logging.DEBUG)
    async with lifespan():
        answers = [
            await probe(path)
            for path in (
                "/health/readyz/",
                "/health/readyz/?verbose",
                "/health/readyz/?format=openmetrics",
                "/ready/",
                "/health-check/?format=json",
                "/health-check/?format=text",
                "/health-check/?format=openmetrics",
            )
        ]
    assert answers[0].json() == {
        "status": "fail",
        "output": "not ready: PingedContainer.db (ping failed: ConnectionError)",
    }
    assert answers[3].status_code == 503
    for answer in answers:
        text = answer.content.decode()
        assert PASSWORD not in text
        assert "postgresql://" not in text
    assert "The ping of PingedContainer.db fails: ConnectionError" in caplog.text
    assert PASSWORD not in caplog.text
    assert "postgresql://" not in caplog.text


# -- when pings run -----------------------------------------------------------------------------


async def test_no_ping_before_startup_has_completed() -> None:
    reports = []

    @asynccontextmanager
    async def asks_early() -> AsyncIterator[None]:
        reports.append(await readiness())
        yield

    register_ping(PingedContainer.db, counting("db"))
    register_lifespan_manager(context_manager=asks_early)
    try:
        async with lifespan():
            pass
    finally:
        unregister_lifespan_manager(asks_early)
    assert [(r.status, r.output) for r in reports] == [("fail", "the lifespan is starting")]
    assert journaled("ping") == []


async def test_draining_answers_503_before_any_resource_closes_and_pings_nothing() -> None:
    register_ping(PingedContainer.db, counting("db"))
    runtime = make_runtime(PingedContainer)
    await runtime.start()
    runtime.hold("request", "a request in flight")
    stopping = asyncio.ensure_future(runtime.stop())
    await asyncio.sleep(0.02)
    response = await probe("/health/readyz/")
    startup_answer = await probe("/health/startupz/")
    closed_meanwhile = journaled("close")
    runtime.release("request")
    await stopping
    assert response.status_code == 503
    assert response.json()["output"] == "the lifespan is shutting down (draining)"
    assert startup_answer.status_code == 200
    assert closed_meanwhile == []
    assert journaled("ping") == []


async def test_shutdown_waits_for_a_ping_in_flight_before_closing() -> None:
    started, finish = asyncio.Event(), asyncio.Event()

    async def slow(db: Tracked) -> None:
        started.set()
        await finish.wait()
        record(f"ping done, db closed={db.closed}")

    register_ping(PingedContainer.db, slow, timeout=5)
    runtime = make_runtime(PingedContainer)
    await runtime.start()
    probing = asyncio.ensure_future(readiness())
    await started.wait()
    stopping = asyncio.ensure_future(runtime.stop())
    await asyncio.sleep(0.05)
    assert runtime.in_flight() == ["the ping of PingedContainer.db"]
    finish.set()
    await stopping
    await probing
    assert journaled("ping") == ["done, db closed=False"]


async def test_a_flight_whose_run_stopped_handing_out_pings_nothing() -> None:
    register_ping(PingedContainer.db, counting("db"))
    async with lifespan():
        runtime = current_runtime()
        book = PingBook(runtime)
        runtime.phase = "draining"
        await book.fly(book.pinged[0])
        runtime.phase = "running"
    assert book.results == {}
    assert journaled("ping") == []


async def test_a_ping_of_a_container_the_lifespan_does_not_run_is_not_run() -> None:
    register_ping(OtherContainer.search, counting("search"))
    async with lifespan():
        assert book_of(current_runtime()).pinged == ()
        assert (await readiness()).status == "pass"


# -- the probes ---------------------------------------------------------------------------------


async def test_without_a_lifespan_readyz_and_startupz_fail_livez_passes() -> None:
    answers = {p: await probe(f"/health/{p}/") for p in ("livez", "readyz", "startupz")}
    assert {p: a.status_code for p, a in answers.items()} == {
        "livez": 200,
        "readyz": 503,
        "startupz": 503,
    }
    assert answers["readyz"].json() == {"status": "fail", "output": "the lifespan is not running"}
    assert answers["livez"]["Content-Type"] == "application/health+json"
    assert answers["livez"]["Cache-Control"] == "no-store"


async def test_startup_fails_while_the_lifespan_starts() -> None:
    runtime = make_runtime(PingedContainer)
    assert startup(runtime).output == "the lifespan is still starting"
    assert startup(None).output == "the lifespan is not running"


async def test_verbose_answers_hold_each_units_state_ping_duration_and_age() -> None:
    register_ping(PingedContainer.db, counting("db"))
    async with lifespan():
        await probe()
        ready = (await probe("/health/readyz/?verbose")).json()
        live = (await probe("/health/livez/?verbose")).json()
        started = (await probe("/health/startupz/?verbose")).json()
    db = ready["checks"]["PingedContainer.db"][0]
    assert {k: db[k] for k in ("componentType", "status", "state", "critical", "ping")} == {
        "componentType": "resource",
        "status": "pass",
        "state": "ready",
        "critical": True,
        "ping": "pass",
    }
    assert db["observedUnit"] == "ms"
    assert db["observedValue"] >= 0
    assert db["ageSeconds"] >= 0
    assert db["time"].endswith("+00:00")
    assert "ping" not in ready["checks"]["PingedContainer.cache"][0]
    assert live["status"] == "pass"
    assert live["checks"]["event loop"][0]["observedUnit"] == "ms"
    assert set(started["checks"]) == {f"PingedContainer.{n}" for n in ("db", "cache", "queue")}


async def test_openmetrics_has_each_resource_up_its_ping_and_startup_seconds() -> None:
    register_ping(PingedContainer.db, counting("db"))
    async with lifespan():
        ready = await probe("/health/readyz/?format=openmetrics")
        live = await probe("/health/livez/?format=openmetrics")
    assert ready.status_code == 200
    assert ready["Content-Type"].startswith("application/openmetrics-text; version=1.0.0")
    lines = ready.content.decode().splitlines()
    assert 'lifespan_health{probe="readyz"} 1' in lines
    assert 'lifespan_resource_up{resource="PingedContainer.db"} 1' in lines
    assert any(
        line.startswith('lifespan_ping_seconds{resource="PingedContainer.db"} ') for line in lines
    )
    assert any(
        line.startswith('lifespan_startup_seconds{resource="PingedContainer.queue"} ')
        for line in lines
    )
    assert lines[-1] == "# EOF"
    live_lines = live.content.decode().splitlines()
    assert 'lifespan_health{probe="livez"} 1' in live_lines
    assert any(line.startswith("lifespan_loop_answer_seconds ") for line in live_lines)
    assert not any("resource=" in line for line in live_lines)


async def test_an_unknown_format_is_a_400_that_names_the_formats() -> None:
    response = await probe("/health/readyz/?format=xml")
    assert response.status_code == 400
    assert "use ?format=json or ?format=openmetrics" in response.content.decode()


def test_livez_fails_while_the_lifespan_loop_is_blocked(
    monkeypatch: pytest.MonkeyPatch, lifespan_thread: Any
) -> None:
    monkeypatch.setattr(health, "LOOP_ANSWER_LIMIT", 0.05)
    runtime = runtime_or_none()
    assert liveness(runtime).status == "pass"
    unblock = threading.Event()
    lifespan_thread.loop.call_soon_threadsafe(unblock.wait, 5)
    try:
        report = liveness(runtime)
    finally:
        unblock.set()
    assert report.status == "fail"
    assert report.output == (
        "the lifespan's event loop did not answer within 0.05 s: something blocks it"
    )


async def test_livez_on_the_lifespan_loop_itself_passes_without_waiting() -> None:
    async with lifespan():
        assert liveness(current_runtime()) == health.Report("pass", None)


def test_names_skip_a_container_entry_that_does_not_import() -> None:
    register_ping(PingedContainer.db, counting("db"))
    with override_settings(LIFESPAN_DI={"CONTAINERS": ["tests.nowhere.Container", CONTAINER]}):
        assert pinged_names() == ["PingedContainer.db"]


def test_the_databases_the_lifespan_owns_are_pinged_names_too() -> None:
    """django-health-check's per-resource checks list each owned database, whether its ping is
    the default or one the project registered, after the configured containers' resources."""
    register_ping(PingedContainer.db, counting("db"))
    with override_settings(LIFESPAN_DI={**SETTINGS, "DATABASES": ["default"]}):
        assert pinged_names() == ["PingedContainer.db", "Databases.default"]
        register_ping(database_pool("default"), counting("pool"))
        try:
            assert pinged_names() == ["PingedContainer.db", "Databases.default"]
        finally:
            health.unregister_ping(database_pool("default"))


async def test_a_container_named_by_its_instance_lists_its_pinged_names_as_the_report() -> None:
    register_ping(InstanceContainer.mail, counting("mail"))
    with override_settings(LIFESPAN_DI={**SETTINGS, "CONTAINERS": [CONTAINER, INSTANCE]}):
        assert pinged_names() == ["InstanceContainer.mail"]
        async with lifespan():
            report = await readiness()
        (mail,) = [check for check in report.checks if check.name == "InstanceContainer.mail"]
        assert mail.status == "pass"
        assert journaled("ping") == ["mail"]
