"""``LifespanPanel`` in the real django-debug-toolbar: the lifespan, and what a request used."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from dependency_injector import providers
from django.test import AsyncClient, Client

from django_lifespan_di import LifespanThread, get_container, recording
from django_lifespan_di import lifespan as run_lifespan
from django_lifespan_di.testing import override_providers
from tests.project.containers import Container, Tracked
from tests.project.injected_views import AsyncClassView
from tests.support.toolbar import render_panel_query, toolbar_settings

UNITS = (
    "Container.database",
    "Container.cache",
    "Container.http_client",
    "Container.reporter",
)


@pytest.fixture(autouse=True)
def _toolbar() -> Iterator[None]:
    with toolbar_settings():
        yield


async def panel(client: AsyncClient) -> str:
    response = await client.get("/__debug__/render_panel/", render_panel_query())
    assert response.status_code == 200
    return str(response.json()["content"])


async def test_the_panel_shows_the_resources_and_what_an_async_view_used(
    lifespan: dict[str, Any],
) -> None:
    client = AsyncClient()
    response = await client.get("/inject/unit-of-work/")
    assert response.status_code == 200
    content = await panel(client)

    for name in UNITS:
        assert f"<code>{name}</code>" in content
    assert content.count("<td>ready</td>") == len(UNITS)
    assert "Last startup: started in " in content
    # What @inject handed out, and the per-request resource's open and close.
    assert "<code>tests.project.injected_views.unit_of_work_view</code>" in content
    assert "<code>Provide[tests.project.containers.Container.unit_of_work]</code>" in content
    assert "<td>per call</td>" in content
    injected = content.split('id="djdt-lifespan-request-resources"')[1]
    assert "<code>Container.unit_of_work</code>" in injected
    assert "not closed yet" not in injected
    assert "Overridden providers</h4>\n  \n    <p>None.</p>" in content


async def test_a_view_that_raises_shows_what_its_resources_closed_on(
    lifespan: dict[str, Any],
) -> None:
    client = AsyncClient(raise_request_exception=False)
    response = await client.get("/inject/unit-of-work/?fail")
    assert response.status_code == 500
    content = await panel(client)
    assert "<td>ValueError</td>" in content


async def test_objects_served_and_overrides_are_shown(lifespan: dict[str, Any]) -> None:
    client = AsyncClient()
    fake = Tracked("fake cache")
    with (
        override_providers(Container.cache, fake),
        override_providers(Container.service, providers.Factory(Tracked, "fake service")),
    ):
        response = await client.get("/inject/async/x/")
        assert response.status_code == 200
        content = await panel(client)
    assert (
        "<code>Container.cache</code></td><td>Object(tests.project.containers.Tracked instance)"
        in content
    )
    assert (
        "<code>Provide[tests.project.containers.Container.http_client]</code></td><td>object</td>"
        in content
    )
    assert "<code>Provide[&#x27;cache&#x27;]</code></td><td>object</td>" in content
    assert (
        "<code>Container.service</code></td><td>Factory(tests.project.containers.Tracked)"
        in content
    )
    assert "None opened." in content
    # No repr of the fake (it could hold a secret).
    assert "fake cache" not in content


@pytest.fixture
async def served_lifespan() -> AsyncIterator[dict[str, Any]]:
    """The lifespan as servers run it (the test kit's plans every call anew: no per-call path)."""
    async with run_lifespan() as state:
        yield state


@pytest.mark.usefixtures("served_lifespan")
async def test_without_the_toolbar_the_per_call_path_is_unchanged() -> None:
    client = AsyncClient()
    spec = AsyncClassView.get.__lifespan_di_spec__  # type: ignore[attr-defined]
    await client.get("/inject/async-class/", headers={"X-No-Toolbar": "1"})
    assert spec.published is not None  # the next call is one dict merge
    # While the panel records, nothing is published: every call takes the path that records.
    await client.get("/inject/async-class/")
    assert "AsyncClassView.get" in await panel(client)
    assert spec.published is None
    assert not recording.active()
    await client.get("/inject/async-class/", headers={"X-No-Toolbar": "1"})
    assert spec.published is not None


async def test_a_loaded_configuration_is_not_shown_as_an_override(
    lifespan: dict[str, Any],
) -> None:
    config = get_container(Container).config
    config.greeting.from_value("hi")  # dependency-injector overrides the config to load it
    try:
        client = AsyncClient()
        await client.get("/inject/async-class/")
        content = await panel(client)
    finally:
        config.reset_last_overriding()
    assert "<code>Container.config</code>" not in content
    assert "Overridden providers</h4>\n  \n    <p>None.</p>" in content


def test_the_panel_works_under_wsgi_with_a_sync_view(lifespan_thread: LifespanThread) -> None:
    client = Client()
    response = client.get("/inject/sync-unit-of-work/")
    assert response.status_code == 200
    content = Client().get("/__debug__/render_panel/", render_panel_query()).json()["content"]
    assert "<code>tests.project.injected_views.sync_unit_of_work_view</code>" in content
    assert "<code>Container.unit_of_work</code>" in content


async def test_without_a_lifespan_the_panel_says_so() -> None:
    client = AsyncClient()
    await client.get("/__debug__/render_panel/", {"request_id": "x", "panel_id": "x"})
    response = await client.get("/ready/")
    assert response.status_code == 503
    assert "No lifespan serves this request" in await panel(client)
