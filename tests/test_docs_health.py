"""The examples of docs/guides/health.md: pings of the live clients, the probes, and
django-health-check's view, against services on 127.0.0.1 (``tests/support/upstream.py``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from dependency_injector import providers
from django.test import AsyncClient, override_settings

from django_lifespan_di import health, lifespan
from django_lifespan_di.testing import override_providers
from docs.examples.health.apps import ShopConfig
from docs.examples.health.containers import Container
from tests.support.upstream import Upstream

pytestmark = pytest.mark.usefixtures("example_settings")


@pytest.fixture
def example_settings() -> Iterator[None]:
    before = dict(health._pings)
    with override_settings(
        LIFESPAN_DI={"CONTAINERS": ["docs.examples.health.containers.Container"]},
        ROOT_URLCONF="docs.examples.health.urls",
    ):
        ShopConfig.ready(None)  # type: ignore[arg-type]  # what Django calls at setup
        yield
    health._pings.clear()
    health._pings.update(before)


async def test_ready_while_both_answer_and_degraded_when_search_does_not() -> None:
    with Upstream() as upstream:
        for search_url, expected in ((upstream.url(), "pass"), ("http://127.0.0.1:9", "warn")):
            config = providers.Configuration(
                default={"payments_url": upstream.url(), "search_url": search_url}
            )
            with override_providers(Container.config, config):
                async with lifespan():
                    ready = await AsyncClient().get("/health/readyz/")
                    checks = await AsyncClient().get("/health-check/?format=json")
            assert ready.status_code == 200
            assert ready.json()["status"] == expected
            assert checks.json()["LifespanResource(resource='Container.payments')"] == "OK"
