"""The before project's view tests, migrated: the pytest fixtures run the lifespan."""

# --8<-- [start:imports]
from __future__ import annotations

from http import HTTPStatus
from typing import Any

import pytest
from django.core.management import call_command
from django.test import AsyncClient

# --8<-- [end:imports]


# --8<-- [start:tests]
@pytest.mark.asyncio
async def test_integration_with_scope_state(
    lifespan: dict[str, Any], lifespan_client: AsyncClient
) -> None:
    response = await lifespan_client.get("/client-from-scope-state")
    assert response.status_code == HTTPStatus.OK
    client = lifespan["httpx_client_from_user"]
    assert response.content.decode() == f"OK state; ID of client: {id(client)}"


@pytest.mark.asyncio
async def test_integration_with_app_config(lifespan_client: AsyncClient) -> None:
    response = await lifespan_client.get("/client-from-app-config")
    assert response.status_code == HTTPStatus.OK
    assert response.content.decode().startswith("OK app config")


# --8<-- [end:tests]


def test_the_project_passes_its_checks() -> None:
    call_command("check", fail_level="WARNING")
