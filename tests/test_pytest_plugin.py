"""The pytest plugin, run in a real inner pytest session (pytester) as a user project would."""

from __future__ import annotations

import pytest

from tests.support.server import ROOT

pytest_plugins = ["pytester"]

INNER_TESTS = """
import asyncio

from tests.project.containers import Container, Tracked

seen = {}


async def test_first_run(lifespan, lifespan_client):
    seen["client"] = lifespan["http_client"]
    seen["loop"] = asyncio.get_running_loop()


async def test_second_run_gets_a_fresh_resource_on_its_own_loop(lifespan):
    assert lifespan["http_client"] is not seen["client"]
    assert asyncio.get_running_loop() is not seen["loop"]
    assert seen["client"].closed


async def test_fails_with_an_override_in_place(lifespan_client, override):
    override(Container.http_client, Tracked("fake"))
    assert False, "this test fails on purpose"


def test_the_override_was_undone():
    assert not Container.http_client.overridden


async def test_a_later_run_gets_the_real_client(lifespan):
    assert lifespan["http_client"].name == "http_client"
"""


def test_fixtures_in_a_user_test_session(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner=INNER_TESTS)
    pytester.makeini(
        f"[pytest]\nDJANGO_SETTINGS_MODULE = tests.settings\npythonpath = {ROOT}\n"
        "asyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:logging")
    result.assert_outcomes(passed=4, failed=1)
    result.stdout.fnmatch_lines(["E *AssertionError: this test fails on purpose"])
