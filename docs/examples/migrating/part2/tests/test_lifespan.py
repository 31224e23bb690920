"""Tests that run the lifespan themselves, after Part 2."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.test import AsyncClient

from django_lifespan_di import LifespanNotRunning, lifespan


async def test_after_shutdown() -> None:
    async with lifespan() as state:
        client = state["httpx_client_from_user"]
        response = await AsyncClient().get("/client-from-scope-state")
        assert response.status_code == HTTPStatus.OK
    assert client.is_closed

    # An @inject-ed view needs the lifespan: after it, the view raises LifespanNotRunning.
    with pytest.raises(LifespanNotRunning):
        await AsyncClient().get("/client-from-scope-state")
