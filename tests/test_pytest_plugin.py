"""The pytest plugin, run in a real inner pytest session (pytester) as a user project would."""

from __future__ import annotations

import sys

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


WITHOUT_PYTEST_ASYNCIO_TESTS = """
async def test_async(lifespan_client):
    pass


def test_sync(override):
    pass
"""

# pytest-asyncio as if it were not installed: not importable (find_spec() gives None, which is
# what the plugin checks) and its pytest11 plugin not loaded. `-p no:asyncio` alone would leave
# it importable. Plugin autoloading is off because pytest imports every pytest11 distribution's
# modules to mark them for assertion rewriting; pytest-django and this package's plugin are
# loaded by name instead, as their entry points would.
PYTEST_WITHOUT_PYTEST_ASYNCIO = """
import importlib.machinery, os, sys

class PathFinderWithoutPytestAsyncio(importlib.machinery.PathFinder):
    @classmethod
    def find_spec(cls, name, path=None, target=None):
        if name.partition(".")[0] == "pytest_asyncio":
            return None
        return super().find_spec(name, path, target)

sys.meta_path = [
    PathFinderWithoutPytestAsyncio if finder is importlib.machinery.PathFinder else finder
    for finder in sys.meta_path
]
os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
import pytest

plugins = ["pytest_django.plugin", "django_lifespan_di.pytest_plugin"]
raise SystemExit(pytest.main([arg for plugin in plugins for arg in ("-p", plugin)]))
"""


def test_without_pytest_asyncio_the_fixtures_say_what_to_install(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_inner=WITHOUT_PYTEST_ASYNCIO_TESTS)
    pytester.makeini(f"[pytest]\nDJANGO_SETTINGS_MODULE = tests.settings\npythonpath = {ROOT}\n")
    result = pytester.run(sys.executable, "-c", PYTEST_WITHOUT_PYTEST_ASYNCIO)
    result.assert_outcomes(errors=2)
    result.stdout.no_fnmatch_line("*plugins:*asyncio*")
    result.stdout.fnmatch_lines(
        [
            "*fixture 'lifespan_client': the lifespan fixtures need pytest-asyncio: "
            "pip install pytest-asyncio*",
            "*fixture 'override': the lifespan fixtures need pytest-asyncio*",
        ]
    )
    result.stdout.no_fnmatch_line("*fixture 'override' not found*")
