"""The ``live_server`` example of docs/guides/processes.md, run as part of this suite."""

from __future__ import annotations

from docs.examples.processes.test_live_server import (  # noqa: F401
    offline_weather,
    test_forecast_page,
)
from tests.support.snippets import example_project  # noqa: F401
