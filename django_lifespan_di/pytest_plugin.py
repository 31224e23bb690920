"""pytest fixtures, registered through the ``pytest11`` entry point when the package is installed.

- ``lifespan``: runs the lifespan around the test, in the test's event loop; the state dict.
- ``lifespan_client``: a ``django.test.AsyncClient`` for requests served inside that lifespan.
- ``override``: ``override(provider, fake)`` replaces a provider until the test ends.

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
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

if TYPE_CHECKING:
    from dependency_injector import providers
    from django.test import AsyncClient

#: ``override(provider, replacement)``, as given by the ``override`` fixture.
Override = Callable[["providers.Provider[Any]", Any], "providers.Provider[Any]"]

NEEDS_PYTEST_ASYNCIO = (
    "the lifespan fixtures need pytest-asyncio: pip install pytest-asyncio, then set "
    'asyncio_mode = "auto" and asyncio_default_fixture_loop_scope = "function" in the pytest '
    "configuration (or mark the async tests with @pytest.mark.asyncio). See "
    "https://django-lifespan-di.readthedocs.io/en/latest/guides/testing.html"
)

# Installed packages load their pytest11 plugins in every project: no import may fail here.
if importlib.util.find_spec("pytest_asyncio") is not None:
    import pytest_asyncio

    @pytest_asyncio.fixture
    async def lifespan() -> AsyncIterator[dict[str, Any]]:
        """Run the lifespan (startup before the test, shutdown after it); yields the state."""
        from django_lifespan_di.runtime import lifespan as run_lifespan

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
