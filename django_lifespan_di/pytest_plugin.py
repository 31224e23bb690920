"""pytest fixtures, registered through the ``pytest11`` entry point when the package is installed.

- ``lifespan``: runs the lifespan around the test, in the test's event loop; the state dict.
- ``lifespan_client``: a ``django.test.AsyncClient`` for requests served inside that lifespan.
- ``override``: ``override(provider, fake)`` replaces a provider until the test ends.
- ``lifespan_module`` / ``lifespan_session``: one lifespan for a whole module or test session
  (startup paid once), on the module's or session's event loop; per-test overrides still end
  with each test.
- ``lifespan_thread``: the lifespan in a ``LifespanThread``, for sync tests (Django's sync
  ``Client``) and for pytest-django's ``live_server``, whose request threads share its loop.
  ``live_server`` with one of the fixtures above is refused before the test starts: their loop
  is the test's, and the server's threads cannot run async views on it.

They need pytest-django (settings) and pytest-asyncio (async fixtures), configured so that the
tests and fixtures share one event loop (``asyncio_mode = "auto"`` or ``@pytest.mark.asyncio``
on the tests, ``asyncio_default_fixture_loop_scope = "function"``). Without pytest-asyncio the
same names are registered as fixtures that fail with what to install, rather than leaving pytest
to say ``fixture 'override' not found``. To replace a resource *before* it starts (one that
cannot start in tests), override in a fixture the test requests before ``lifespan``:

    @pytest.fixture
    def fake_client(override):
        override(Container.http_client, FakeClient())

    async def test_weather(fake_client, lifespan_client): ...
"""

from __future__ import annotations

import importlib.util
import inspect
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

if TYPE_CHECKING:
    from dependency_injector import providers
    from django.test import AsyncClient

    from django_lifespan_di.thread import LifespanThread

#: ``override(provider, replacement)``, as given by the ``override`` fixture.
Override = Callable[["providers.Provider[Any]", Any], "providers.Provider[Any]"]

NEEDS_PYTEST_ASYNCIO = (
    "the lifespan fixtures need pytest-asyncio: pip install pytest-asyncio, then set "
    'asyncio_mode = "auto" and asyncio_default_fixture_loop_scope = "function" in the pytest '
    "configuration (or mark the async tests with @pytest.mark.asyncio). See "
    "https://django-lifespan-di.readthedocs.io/en/latest/guides/testing.html"
)

SYNC_TEST = (
    "The `lifespan` fixture runs the lifespan on the test's event loop, and a sync test has "
    "none running: its async resources would wait for that loop forever. Use the "
    "`lifespan_thread` fixture in sync tests (Django's sync Client, live_server), or make the "
    "test `async def`."
)

#: The fixtures that run the lifespan on the test's (module's, session's) event loop.
LOOP_FIXTURES = ("lifespan", "lifespan_client", "lifespan_module", "lifespan_session")
LIVE_SERVER = (
    "pytest-django's `live_server` serves each request in a thread of its own, and the "
    "`{fixture}` fixture runs the lifespan on the test's event loop, which is busy running the "
    "test and is never lent to those threads: every async view would get EventLoopError. Use "
    "the `lifespan_thread` fixture instead of `{fixture}` (sync or async tests): it runs the "
    "lifespan on a loop of its own, which the server's threads share."
)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Refuse ``live_server`` with a lifespan on the test's loop before any fixture starts."""
    names: list[str] = getattr(item, "fixturenames", [])
    if "live_server" in names:
        # The closure lists what the test asked for before what that needs (lifespan_client
        # before lifespan): the message names the fixture the test's author wrote.
        for fixture in names:
            if fixture in LOOP_FIXTURES:
                pytest.fail(LIVE_SERVER.format(fixture=fixture), pytrace=False)


@pytest.fixture
def lifespan_thread() -> Iterator[LifespanThread]:
    """The lifespan in a thread of its own around a sync test; yields the ``LifespanThread``.

    For Django's sync ``Client`` and pytest-django's ``live_server``: sync and async views get
    the live objects (async views run on the thread's loop), and ``thread.state`` is the state.
    """
    from django_lifespan_di.testing import lifespan_thread as running

    with running() as thread:
        yield thread


# Installed packages load their pytest11 plugins in every project: no import may fail here.
if importlib.util.find_spec("pytest_asyncio") is not None:
    import pytest_asyncio

    @pytest_asyncio.fixture
    async def lifespan(request: pytest.FixtureRequest) -> AsyncIterator[dict[str, Any]]:
        """Run the lifespan (startup before the test, shutdown after it); yields the state."""
        from django_lifespan_di.testing import lifespan as run_lifespan

        test = getattr(request.node, "obj", None)
        if test is not None and not inspect.iscoroutinefunction(test):
            pytest.fail(SYNC_TEST, pytrace=False)
        async with run_lifespan() as state:
            yield state

    @pytest_asyncio.fixture(scope="module", loop_scope="module")
    async def lifespan_module() -> AsyncIterator[dict[str, Any]]:
        """One lifespan for the tests of a module, on the module's event loop; the state.

        The tests must run on that loop too (``@pytest.mark.asyncio(loop_scope="module")``).
        """
        from django_lifespan_di.testing import lifespan as run_lifespan

        async with run_lifespan() as state:
            yield state

    @pytest_asyncio.fixture(scope="session", loop_scope="session")
    async def lifespan_session() -> AsyncIterator[dict[str, Any]]:
        """One lifespan for the whole test session (for each pytest-xdist worker); the state.

        The tests and the fixtures they use must run on the session's event loop:
        ``asyncio_default_test_loop_scope = "session"`` and
        ``asyncio_default_fixture_loop_scope = "session"``.
        """
        from django_lifespan_di.testing import lifespan as run_lifespan

        async with run_lifespan() as state:
            yield state

    @pytest_asyncio.fixture
    async def lifespan_client(lifespan: dict[str, Any]) -> AsyncClient:
        """Django's ``AsyncClient``; its requests see ``request.state`` and injected objects."""
        from django.test import AsyncClient

        return AsyncClient()

    @pytest_asyncio.fixture
    async def override() -> AsyncIterator[Override]:
        """``override(provider, fake)``: replace a provider until the end of the test.

        Works before the lifespan starts and while it runs; undone (and a fake Resource shut
        down) after the test, also when it fails.
        """
        from django_lifespan_di.testing import override_providers

        async with AsyncExitStack() as stack:

            def apply(
                provider: providers.Provider[Any], replacement: Any
            ) -> providers.Provider[Any]:
                overriding = override_providers(provider, replacement)
                replaced = overriding.__enter__()
                stack.push_async_exit(overriding.__aexit__)
                return replaced

            yield apply

else:

    def _needs_pytest_asyncio(name: str) -> Any:
        @pytest.fixture(name=name)
        def fixture() -> NoReturn:
            pytest.fail(f"fixture {name!r}: {NEEDS_PYTEST_ASYNCIO}", pytrace=False)

        fixture.__doc__ = f"``{name}`` needs pytest-asyncio, which is not installed."
        return fixture

    lifespan_needs_pytest_asyncio = _needs_pytest_asyncio("lifespan")
    lifespan_client_needs_pytest_asyncio = _needs_pytest_asyncio("lifespan_client")
    override_needs_pytest_asyncio = _needs_pytest_asyncio("override")
