"""The examples of docs/guides/testing.md, run as part of this suite.

pytest only collects ``tests/``, so the example tests are imported here, where pytest finds
them (a fixture is found by name in the module namespace, like a test). The autouse fixture
points the settings at the example project, as a user's own settings would.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import override_settings

from docs.examples.testing.test_forecast import (  # noqa: F401
    offline_weather,
    test_connection_error_is_a_502,
    test_forecast,
    test_one_open_client_for_every_request,
    test_upstream_outage_is_a_502,
)
from docs.examples.testing.test_forecast_unittest import ForecastTests  # noqa: F401


@pytest.fixture(autouse=True)
def _example_project() -> Iterator[None]:
    with override_settings(
        ROOT_URLCONF="docs.examples.testing.urls",
        LIFESPAN_DI={"CONTAINERS": ["docs.examples.testing.containers.Container"]},
    ):
        yield
