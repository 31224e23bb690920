"""The examples of docs/guides/context-managers.md: registered in ready(), run by the lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.test import AsyncClient, override_settings
from django.urls import path

from django_lifespan_di import StartupError, lifespan, register_lifespan_manager
from django_lifespan_di.managers import registered_managers, unregister_lifespan_manager
from docs.examples.context_managers import managers

EXAMPLE_MANAGERS = (managers.geocoder_client, managers.pruning_in_background)


async def geocoder_view(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"base_url": str(request.state["geocoder"].base_url)})  # type: ignore[attr-defined]


urlpatterns = [path("geocoder/", geocoder_view)]


@pytest.fixture
def search_app() -> Iterator[None]:
    """The example app installed (its ready() registers the managers), and no containers."""
    installed = [*settings.INSTALLED_APPS, "docs.examples.context_managers.apps.SearchConfig"]
    try:
        with override_settings(
            INSTALLED_APPS=installed, LIFESPAN_DI={"CONTAINERS": []}, ROOT_URLCONF=__name__
        ):
            yield
    finally:
        for manager in EXAMPLE_MANAGERS:
            unregister_lifespan_manager(manager)


def pruning_tasks() -> list[asyncio.Task[Any]]:
    return [task for task in asyncio.all_tasks() if task.get_name() == "pruning"]


@pytest.mark.usefixtures("search_app")
async def test_the_managers_run_in_registration_order_and_stop_in_reverse(
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert registered_managers() == EXAMPLE_MANAGERS
    managers.recent_searches.update(prague=time.monotonic() - 7200, brno=time.monotonic())
    with caplog.at_level(logging.INFO, "django_lifespan_di"):
        async with lifespan() as state:
            assert sorted(state) == ["geocoder"]
            client = state["geocoder"]
            response = await AsyncClient().get("/geocoder/")
            assert response.json() == {"base_url": "https://geocoder.example"}
            await asyncio.sleep(0)  # let the background task make its first pass
            assert list(managers.recent_searches) == ["brno"]
            assert len(pruning_tasks()) == 1
    assert client.is_closed
    assert pruning_tasks() == []
    names = [
        record.getMessage().split(" in ")[0]
        for record in caplog.records
        if record.getMessage().startswith(("Started", "Stopped"))
    ]
    prefix = "docs.examples.context_managers.managers."
    assert names == [
        f"Started {prefix}geocoder_client",
        f"Started {prefix}pruning_in_background",
        f"Stopped {prefix}pruning_in_background",
        f"Stopped {prefix}geocoder_client",
    ]


@contextlib.asynccontextmanager
async def another_geocoder() -> AsyncIterator[dict[str, Any]]:
    yield {"geocoder": object()}


closed: list[str] = []


@contextlib.asynccontextmanager
async def yields_a_list() -> AsyncIterator[Any]:
    try:
        yield ["geocoder"]
    finally:
        closed.append("yields_a_list")


@contextlib.contextmanager
def synchronous() -> Iterator[None]:
    yield


@pytest.mark.usefixtures("search_app")
@pytest.mark.parametrize(
    ("manager", "message"),
    [
        (
            another_geocoder,
            "docs.examples.context_managers.managers.geocoder_client and "
            "tests.test_docs_context_managers.another_geocoder both put 'geocoder' into the "
            "lifespan state. Rename one of them: a key is never silently overwritten.",
        ),
        (
            yields_a_list,
            "tests.test_docs_context_managers.yields_a_list failed to start: the lifespan "
            "manager yielded a list; it must yield a mapping of state keys to objects, or None.",
        ),
        (
            synchronous,
            "tests.test_docs_context_managers.synchronous failed to start: the lifespan "
            "manager returned a _GeneratorContextManager, not an async context manager.",
        ),
    ],
    ids=["collision", "bad-yield", "sync-context-manager"],
)
async def test_a_bad_manager_fails_the_startup_and_everything_is_closed(
    manager: Any, message: str
) -> None:
    closed.clear()
    register_lifespan_manager(context_manager=manager)
    try:
        with pytest.raises(StartupError) as raised:
            async with lifespan():
                pass
    finally:
        unregister_lifespan_manager(manager)
    assert str(raised.value).startswith(message)
    assert pruning_tasks() == []  # the managers that had started were stopped
    if manager is yields_a_list:
        assert closed == ["yields_a_list"]
