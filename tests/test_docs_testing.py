"""The examples of docs/guides/testing.md, run as part of this suite.

pytest only collects ``tests/``, so the example tests are imported here, where pytest finds
them (a fixture is found by name in the module namespace, like a test). The autouse fixture
points the settings at the example project, as a user's own settings would.
"""

from __future__ import annotations

import pytest

from docs.examples.testing.test_forecast import (  # noqa: F401
    offline_weather,
    test_connection_error_is_a_502,
    test_forecast,
    test_one_open_client_for_every_request,
    test_upstream_outage_is_a_502,
)
from docs.examples.testing.test_forecast_unittest import ForecastTests  # noqa: F401
from tests.support.server import ROOT
from tests.support.snippets import example_project, section  # noqa: F401

pytest_plugins = ["pytester"]

EXAMPLE = ROOT / "docs" / "examples" / "testing"


def example_session(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, config: str
) -> None:
    """A fresh pytest project holding the guide's test files as written, configured by
    ``config`` (a pyproject.toml) alone, as a user's project would be."""
    pytester.makepyprojecttoml(config)
    for path in (EXAMPLE / "test_forecast.py", EXAMPLE / "test_forecast_unittest.py"):
        pytester.makepyfile(**{path.stem: path.read_text(encoding="utf-8")})
    monkeypatch.setenv("PYTHONPATH", str(ROOT))  # the example's modules, docs.examples.testing
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE")  # this suite's; it would win over the config


def documented_config() -> str:
    return section(EXAMPLE / "pytest.toml", "config")


def test_the_guide_tests_pass_as_written_with_the_documented_configuration(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    example_session(pytester, monkeypatch, documented_config())
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=6)
    result.stdout.fnmatch_lines(["*settings: docs.examples.testing.settings (from ini)*"])


def test_under_strict_mode_unmarked_async_tests_fail_as_the_guide_says(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = documented_config().replace('asyncio_mode = "auto"', "")
    example_session(pytester, monkeypatch, config)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    # The four pytest tests are async and unmarked; the unittest ones run under the mixin.
    result.assert_outcomes(passed=2, failed=4)
    result.stdout.fnmatch_lines(["*async def functions are not natively supported*"])


SESSION_EXAMPLE = EXAMPLE / "session"


@pytest.mark.parametrize("workers", ["0", "2"], ids=["one-process", "xdist"])
def test_the_session_example_passes_with_its_configuration(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, workers: str
) -> None:
    pytester.makepyprojecttoml(section(SESSION_EXAMPLE / "pytest.toml", "config"))
    for path in (SESSION_EXAMPLE / "conftest.py", SESSION_EXAMPLE / "test_forecast_session.py"):
        pytester.makepyfile(**{path.stem: path.read_text(encoding="utf-8")})
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", workers)
    result.assert_outcomes(passed=3)
    result.stdout.no_fnmatch_line("*Warning*")
