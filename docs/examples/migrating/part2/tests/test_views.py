"""The view tests after Part 2: a client of the test's own in place of the provider."""

# --8<-- [start:imports]
from __future__ import annotations

from collections.abc import AsyncIterator
from http import HTTPStatus
from typing import Any

import httpx
import pytest
from django.core.management import call_command
from django.test import AsyncClient

from django_lifespan_di.pytest_plugin import Override
from docs.examples.migrating.part2.library.containers import Container

# --8<-- [end:imports]


# --8<-- [start:tests]
@pytest.fixture
async def own_client(override: Override) -> AsyncIterator[httpx.AsyncClient]:
    # Requested before `lifespan_client`: the lifespan starts with this client in place of the
    # provider's, and neither opens nor closes it.
    async with httpx.AsyncClient() as client:
        override(Container.httpx_client_from_user, client)
        yield client


async def test_the_view_gets_the_replacement(
    own_client: httpx.AsyncClient, lifespan_client: AsyncClient
) -> None:
    response = await lifespan_client.get("/client-from-scope-state")
    assert response.status_code == HTTPStatus.OK
    assert response.content.decode() == f"OK state; ID of client: {id(own_client)}"


async def test_integration_with_scope_state(
    lifespan: dict[str, Any], lifespan_client: AsyncClient
) -> None:
    response = await lifespan_client.get("/client-from-scope-state")
    client = lifespan["httpx_client_from_user"]
    assert response.content.decode() == f"OK state; ID of client: {id(client)}"


# --8<-- [end:tests]


async def test_integration_with_app_config(lifespan_client: AsyncClient) -> None:
    response = await lifespan_client.get("/client-from-app-config")
    assert response.status_code == HTTPStatus.OK
    assert response.content.decode().startswith("OK app config")


def test_the_project_passes_its_checks() -> None:
    call_command("check", fail_level="WARNING")
