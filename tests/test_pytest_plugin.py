"""The pytest plugin, run in a real inner pytest session (pytester) as a user project would."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

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


# A session-wide lifespan, as the testing guide configures it: tests and fixtures on the
# session's loop; a session-scoped autouse fixture replaces the cache for the whole session
# before lifespan_session starts (pytest sets up autouse fixtures first within a scope).
SESSION_CONFTEST = """
import pytest

from django_lifespan_di.testing import override_providers
from tests.project.containers import Container, Tracked


@pytest.fixture(scope="session", autouse=True)
def offline_cache():
    with override_providers(Container.cache, Tracked("offline cache")):
        yield
"""

SESSION_FIRST_MODULE = """
from django.test import AsyncClient

from django_lifespan_di import resolve
from tests.project.containers import Container, Tracked


async def test_the_session_override_is_in_place(lifespan_session):
    assert lifespan_session["cache"].name == "offline cache"


async def test_an_override_for_one_test(lifespan_session, override):
    override(Container.http_client, Tracked("fake"))
    assert resolve(Container.http_client).name == "fake"
    response = await AsyncClient().get("/inject/async/http_client/")
    assert b"fake" in response.content, response.content


async def test_the_next_test_gets_the_started_client_again(lifespan_session):
    assert resolve(Container.http_client) is lifespan_session["http_client"]
    response = await AsyncClient().get("/inject/async/http_client/")
    assert b"fake" not in response.content, response.content
"""

SESSION_SECOND_MODULE = """
import asyncio

from django_lifespan_di import resolve
from tests.project.containers import Container


async def test_another_module_uses_the_same_run(lifespan_session):
    client = lifespan_session["http_client"]
    assert not client.closed
    assert client.loop is asyncio.get_running_loop()
    assert resolve(Container.http_client) is client
"""

SESSION_INI = (
    f"[pytest]\nDJANGO_SETTINGS_MODULE = tests.settings\npythonpath = {ROOT}\n"
    "asyncio_mode = auto\nasyncio_default_test_loop_scope = session\n"
    "asyncio_default_fixture_loop_scope = session\n"
)


def journal_by_process(path: Path) -> dict[str, Counter[str]]:
    by_process: dict[str, Counter[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        pid, event = line.split(" ", 1)
        by_process.setdefault(pid, Counter())[event] += 1
    return by_process


def make_session_suite(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Path:
    pytester.makeconftest(SESSION_CONFTEST)
    pytester.makepyfile(test_first=SESSION_FIRST_MODULE, test_second=SESSION_SECOND_MODULE)
    pytester.makeini(SESSION_INI)
    journal = pytester.path / "journal.txt"
    monkeypatch.setenv("LIFESPAN_DI_TEST_JOURNAL", str(journal))
    return journal


def assert_one_run_per_process(journal: Path, processes: int) -> None:
    by_process = journal_by_process(journal)
    assert len(by_process) == processes, by_process
    for events in by_process.values():
        # The cache is replaced for the session: it is never opened.
        assert events == Counter(
            {f"{what} {name}": 1 for what in ("open", "close") for name in STARTED}
        ), events


# What tests.project's lifespan opens, the cache being replaced.
STARTED = ("database", "http_client", "reporter")


def test_a_session_lifespan_starts_once_and_overrides_end_with_their_test(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    journal = make_session_suite(pytester, monkeypatch)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "xdist", "-n", "0")
    result.assert_outcomes(passed=4)
    assert_one_run_per_process(journal, processes=1)


def test_under_xdist_each_worker_runs_its_own_session_lifespan(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    journal = make_session_suite(pytester, monkeypatch)
    # --dist loadfile: one module per worker, so both workers run tests (and a lifespan).
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-p", "xdist", "-n", "2", "--dist", "loadfile"
    )
    result.assert_outcomes(passed=4)
    assert_one_run_per_process(journal, processes=2)


MODULE_TESTS = """
import asyncio

import pytest

pytestmark = pytest.mark.asyncio(loop_scope="module")
seen = []


async def test_one(lifespan_module):
    seen.append(lifespan_module["http_client"])


async def test_two_shares_the_run_of_the_module(lifespan_module):
    assert lifespan_module["http_client"] is seen[0]
    assert seen[0].loop is asyncio.get_running_loop()
"""


def test_a_module_lifespan_runs_once_for_each_module(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_a=MODULE_TESTS, test_b=MODULE_TESTS)
    pytester.makeini(
        f"[pytest]\nDJANGO_SETTINGS_MODULE = tests.settings\npythonpath = {ROOT}\n"
        "asyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
    )
    journal = pytester.path / "journal.txt"
    monkeypatch.setenv("LIFESPAN_DI_TEST_JOURNAL", str(journal))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=4)
    (events,) = journal_by_process(journal).values()
    assert events["open http_client"] == events["close http_client"] == 2, events
