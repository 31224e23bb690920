"""contrib/health_check: django-health-check's own view, formats and command speak for the
lifespan, through the pings' cache (the real django-health-check release of the locks)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.apps import apps
from django.test import AsyncClient, override_settings
from health_check.base import HealthCheck

from django_lifespan_di import health, lifespan, register_ping
from django_lifespan_di.contrib.health_check.checks import (
    Lifespan,
    LifespanResource,
    lifespan_checks,
)
from tests.project.journal import record
from tests.support.engine import journaled
from tests.support.pinged import CONTAINER, PingedContainer

SETTINGS = {"CONTAINERS": [CONTAINER], "PING_MAX_AGE": 60}


@pytest.fixture(autouse=True)
def pings() -> Iterator[None]:
    before = dict(health._pings)
    try:
        with override_settings(LIFESPAN_DI=SETTINGS):
            yield
    finally:
        health._pings.clear()
        health._pings.update(before)


def ping(name: str, *, fails: bool = False) -> Any:
    def ping_it(value: Any) -> None:
        record(f"ping {name}")
        if fails:
            raise ConnectionError(f"redis://:s3cr3t@{name}:6379 refused")

    return ping_it


def test_the_app_has_a_label_of_its_own() -> None:
    assert apps.get_app_config("lifespan_health_check").name == (
        "django_lifespan_di.contrib.health_check"
    )
    assert apps.get_app_config("health_check").name == "health_check"


def test_lifespan_checks_are_the_lifespan_and_each_pinged_resource() -> None:
    register_ping(PingedContainer.db, ping("db"))
    register_ping(PingedContainer.queue, ping("queue"), timeout=3)
    assert lifespan_checks() == [
        Lifespan,
        (LifespanResource, {"resource": "PingedContainer.db"}),
        (LifespanResource, {"resource": "PingedContainer.queue"}),
    ]
    check = LifespanResource(resource="PingedContainer.db")
    assert isinstance(check, HealthCheck)
    assert check.labels == {"check": "LifespanResource", "resource": "PingedContainer.db"}
    assert check.timeout.total_seconds() == 3
    assert Lifespan().timeout.total_seconds() == 3


async def checks_answer(fmt: str = "json") -> Any:
    return await AsyncClient().get(f"/health-check/?format={fmt}")


async def test_every_check_passes_with_one_ping_per_resource() -> None:
    register_ping(PingedContainer.db, ping("db"))
    async with lifespan():
        answer = await checks_answer()
        await checks_answer("text")
    assert answer.status_code == 200
    # The URLconf's checks are those of the settings it was first imported under.
    assert answer.json()["Lifespan()"] == "OK"
    assert set(answer.json().values()) == {"OK"}
    assert journaled("ping") == ["db"]


async def test_a_failed_critical_resource_fails_its_check_and_the_lifespan() -> None:
    register_ping(PingedContainer.db, ping("db", fails=True))
    async with lifespan():
        view_checks = [
            await Lifespan().get_result(),
            await LifespanResource(resource="PingedContainer.db").get_result(),
            await LifespanResource(resource="PingedContainer.cache").get_result(),
        ]
        answer = await checks_answer()
    errors = [None if r.error is None else str(r.error) for r in view_checks]
    assert errors == [
        "Unavailable: not ready: PingedContainer.db (ping failed: ConnectionError)",
        "Unavailable: PingedContainer.db: ping failed: ConnectionError",
        None,
    ]
    assert answer.status_code == 500
    assert "s3cr3t" not in answer.content.decode()
    assert journaled("ping") == ["db"]


async def test_a_failed_non_critical_resource_passes_with_a_warning_status() -> None:
    register_ping(PingedContainer.queue, ping("queue", fails=True), critical=False)
    async with lifespan():
        check = LifespanResource(resource="PingedContainer.queue")
        result = await check.get_result()
        lifespan_result = await Lifespan().get_result()
    assert result.error is None
    assert lifespan_result.error is None
    assert check.pretty_status() == "Warning: ping failed: ConnectionError (not critical)"
    assert LifespanResource(resource="PingedContainer.db").pretty_status() == "OK"


async def test_without_a_lifespan_every_check_fails_saying_so() -> None:
    results = [
        await Lifespan().get_result(),
        await LifespanResource(resource="PingedContainer.db").get_result(),
    ]
    assert [str(r.error) for r in results] == [
        "Unavailable: the lifespan is not running",
        "Unavailable: the lifespan is not running",
    ]


async def test_a_resource_the_lifespan_does_not_have_fails_by_name() -> None:
    async with lifespan():
        result = await LifespanResource(resource="PingedContainer.nothing").get_result()
    assert str(result.error) == (
        "Unavailable: PingedContainer.nothing is not a resource of the running lifespan"
    )
