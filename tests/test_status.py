"""status.py: resource_status() and the readiness view, through Django's AsyncClient."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import pytest
from django.test import AsyncClient

import django_lifespan_di
from django_lifespan_di import LifespanNotRunning, register_lifespan_manager, resource_status
from django_lifespan_di.managers import unregister_lifespan_manager
from django_lifespan_di.registry import current_runtime

RESOURCES = {
    "Container.database",
    "Container.cache",
    "Container.http_client",
    "Container.reporter",
}
SECRET = "s3cr3t-key"


@asynccontextmanager
async def greeter() -> AsyncIterator[dict[str, str]]:
    yield {"greeting": SECRET}


@pytest.fixture
def with_manager() -> Iterator[None]:
    register_lifespan_manager(context_manager=greeter)
    yield
    unregister_lifespan_manager(greeter)


async def test_reports_every_resource_and_manager_as_ready(with_manager: None) -> None:
    before = datetime.now(UTC)
    async with django_lifespan_di.lifespan():
        statuses = resource_status()
    by_name = {s.name: s for s in statuses}
    assert set(by_name) == RESOURCES | {"tests.test_status.greeter"}
    assert {s.kind for s in statuses if s.name in RESOURCES} == {"resource"}
    assert by_name["tests.test_status.greeter"].kind == "manager"
    for status in statuses:
        assert status.status == "ready"
        assert status.is_ready
        assert status.error is None
        assert status.startup_ms is not None
        assert status.startup_ms >= 0
        assert status.since.tzinfo is not None
        assert status.since >= before


async def test_resource_status_outside_a_lifespan_raises() -> None:
    with pytest.raises(LifespanNotRunning, match="not running"):
        resource_status()


async def test_readiness_200_when_all_ready(with_manager: None) -> None:
    async with django_lifespan_di.lifespan():
        response = await AsyncClient().get("/ready/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["ready"] is True
    assert body["reason"] is None
    assert {r["name"] for r in body["resources"]} == RESOURCES | {"tests.test_status.greeter"}
    for item in body["resources"]:
        assert item["status"] == "ready"
        assert datetime.fromisoformat(item["since"]).tzinfo is not None
    assert SECRET not in response.content.decode()


async def test_readiness_503_with_a_reason_when_no_lifespan_runs() -> None:
    response = await AsyncClient().get("/ready/")
    assert response.status_code == 503
    assert response.json() == {
        "ready": False,
        "reason": "the lifespan is not running",
        "resources": [],
    }


async def test_readiness_503_names_the_failed_unit_by_error_type_only() -> None:
    async with django_lifespan_di.lifespan():
        unit = next(u for u in current_runtime().units if u.name == "Container.cache")
        unit.mark("failed", ConnectionRefusedError(f"redis://:{SECRET}@cache: refused"))
        response = await AsyncClient().get("/ready/")
        statuses = {s.name: s for s in resource_status()}
    assert response.status_code == 503
    body = response.json()
    assert body["ready"] is False
    assert body["reason"] == "not ready: Container.cache (failed: ConnectionRefusedError)"
    assert statuses["Container.cache"].error == "ConnectionRefusedError"
    assert statuses["Container.cache"].as_dict()["error"] == "ConnectionRefusedError"
    assert SECRET not in response.content.decode()
    assert SECRET not in repr(list(statuses.values()))


async def test_statuses_are_frozen_snapshots() -> None:
    async with django_lifespan_di.lifespan():
        snapshot = {s.name: s for s in resource_status()}
    assert snapshot["Container.http_client"].status == "ready"
    with pytest.raises(AttributeError):
        snapshot["Container.http_client"].status = "closed"  # type: ignore[misc]


async def test_readiness_shares_readyz_answer_while_draining() -> None:
    from tests.support.engine import make_runtime
    from tests.support.pinged import PingedContainer

    runtime = make_runtime(PingedContainer)
    await runtime.start()
    runtime.hold("request", "a request in flight")
    stopping = asyncio.ensure_future(runtime.stop())
    await asyncio.sleep(0.02)
    legacy = await AsyncClient().get("/ready/")
    readyz = await AsyncClient().get("/health/readyz/")
    runtime.release("request")
    await stopping
    assert (legacy.status_code, readyz.status_code) == (503, 503)
    assert legacy.json()["reason"] == readyz.json()["output"]
    assert legacy.json()["reason"] == "the lifespan is shutting down (draining)"
    assert {r["status"] for r in legacy.json()["resources"]} == {"ready"}
