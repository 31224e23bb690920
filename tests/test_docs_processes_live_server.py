"""The ``live_server`` example of docs/guides/processes.md, run as part of this suite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import override_settings

from docs.examples.processes.test_live_server import (  # noqa: F401
    offline_weather,
    test_forecast_page,
)


@pytest.fixture(autouse=True)
def _example_project() -> Iterator[None]:
    with override_settings(
        ROOT_URLCONF="docs.examples.testing.urls",
        LIFESPAN_DI={"CONTAINERS": ["docs.examples.testing.containers.Container"]},
    ):
        yield
