"""Fakes for the whole session, in place before ``lifespan_session`` starts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from django_lifespan_di.testing import override_providers
from docs.examples.testing.containers import Container
from docs.examples.testing.fakes import offline_weather_client


@pytest.fixture(scope="session", autouse=True)
def offline_weather() -> Iterator[None]:
    # pytest sets up the autouse fixtures of a scope first: this override is in place when
    # lifespan_session starts, so the session's lifespan opens the offline client.
    with override_providers(Container.weather_client, offline_weather_client()):
        yield
