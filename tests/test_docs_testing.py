"""The examples of docs/guides/testing.md, run as part of this suite.

pytest only collects ``tests/``, so the example tests are imported here, where pytest finds
them (a fixture is found by name in the module namespace, like a test). The autouse fixture
points the settings at the example project, as a user's own settings would.
"""

from __future__ import annotations

import os
import subprocess
import sys

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
    result.assert_outcomes(passed=8)
    result.stdout.fnmatch_lines(["*settings: docs.examples.testing.settings (from ini)*"])


def test_under_strict_mode_unmarked_async_tests_fail_as_the_guide_says(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = documented_config().replace('asyncio_mode = "auto"', "")
    example_session(pytester, monkeypatch, config)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    # The four pytest tests are async and unmarked; the unittest ones run under the mixin.
    result.assert_outcomes(passed=4, failed=4)
    result.stdout.fnmatch_lines(["*async def functions are not natively supported*"])


def test_the_unittest_example_passes_under_djangos_own_test_runner() -> None:
    """``manage.py test``, as a unittest user runs it: Django's runner, in a process of its own,
    its settings from manage.py. Sync and async tests pass, and nothing is logged about a
    lifespan that did not run."""
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    env["PYTHONPATH"] = str(ROOT)  # the example's modules, docs.examples.testing
    label = "docs.examples.testing.test_forecast_unittest"
    finished = subprocess.run(
        [sys.executable, str(EXAMPLE / "manage.py"), "test", label, "-v", "2"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    for test in ("forecast", "the_lifespan_state", "forecast_page", "upstream_outage"):
        assert f"test_{test} ({label}.ForecastTests.test_{test}) ... ok" in finished.stderr
    assert "Ran 4 tests" in finished.stderr
    assert "The lifespan did not run" not in finished.stderr + finished.stdout


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
