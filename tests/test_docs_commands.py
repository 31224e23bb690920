"""The command, script and worker examples of docs/guides/processes.md, each opening and closing
the shared client exactly once, against an in-process inventory service."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from io import StringIO

import httpx
import pytest
from dependency_injector import providers
from django.core.management import call_command
from django.test import override_settings

from django_lifespan_di import StartupError
from django_lifespan_di.testing import override_providers
from docs.examples.commands import script, stock_report, worker
from docs.examples.commands.containers import Container

STOCK = {"A-1": 7, "B-2": 0}


def inventory_api(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"quantity": STOCK[request.url.path.rpartition("/")[2]]})


@pytest.fixture
def client_events() -> Iterator[list[str]]:
    """What happened to the (offline) inventory client, which stands in for the real one."""
    events: list[str] = []

    async def open_offline_client() -> AsyncIterator[httpx.AsyncClient]:
        events.append("open")
        async with httpx.AsyncClient(
            base_url="https://inventory.test", transport=httpx.MockTransport(inventory_api)
        ) as client:
            yield client
        events.append("close")

    with (
        override_settings(
            LIFESPAN_DI={"CONTAINERS": ["docs.examples.commands.containers.Container"]}
        ),
        override_providers(Container.inventory_client, providers.Resource(open_offline_client)),
    ):
        yield events


def test_the_command_runs_with_the_client_open(client_events: list[str]) -> None:
    out = StringIO()
    # A Command instance: Django calls it as it would the command found by name.
    call_command(stock_report.Command(), "A-1", "B-2", stdout=out)
    assert out.getvalue().splitlines() == ["A-1: 7", "B-2: 0"]
    assert client_events == ["open", "close"]


async def test_the_script_runs_with_the_client_open(
    client_events: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    await script.main(["B-2", "A-1"])
    assert capsys.readouterr().out.splitlines() == ["B-2: 0", "A-1: 7"]
    assert client_events == ["open", "close"]


def test_a_sync_worker_uses_the_client_on_its_loop(client_events: list[str]) -> None:
    worker.on_worker_start()
    try:
        assert [worker.stock_level("A-1"), worker.stock_level("B-2")] == [7, 0]
        assert client_events == ["open"]
    finally:
        worker.on_worker_stop()
    assert client_events == ["open", "close"]


def test_a_worker_whose_startup_fails_raises_it(client_events: list[str]) -> None:
    async def refuse() -> AsyncIterator[httpx.AsyncClient]:
        raise httpx.ConnectError("inventory service down")
        yield  # type: ignore[unreachable]  # an async generator

    with (
        override_providers(Container.inventory_client, providers.Resource(refuse)),
        pytest.raises(StartupError, match=r"Container\.inventory_client failed to start"),
    ):
        worker.on_worker_start()
