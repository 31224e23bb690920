"""The health probes under real servers (uvicorn; gunicorn's sync worker, WSGI): a resource whose
upstream on 127.0.0.1 stops turns ``readyz`` to 503 within ``PING_MAX_AGE`` and back to 200 once
it returns, ``livez`` staying 200; a hanging ping is abandoned at its timeout; 100 probes at
once start one ping per resource (counted in the journal); django-health-check's endpoint says
the same. Every process opens each resource once and closes it once.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest

from tests.project.health_containers import SIDECAR_PING_TIMEOUT
from tests.support.journal import RESOURCES, assert_closed_once, journal_by_pid
from tests.support.server import ASGI_APP, WSGI_APP, Server
from tests.support.upstream import Upstream

pytestmark = pytest.mark.e2e

SERVERS = {
    "uvicorn": ("uvicorn", (), ASGI_APP),
    "gunicorn-sync": ("gunicorn-wsgi", ("--workers", "1", "--no-control-socket"), WSGI_APP),
}
CONTAINERS = "tests.project.containers.Container,tests.project.health_containers.HealthContainer"
#: The upstream's URL carries credentials: they must show nowhere.
CREDENTIALS = "probe:s3cr3t-upstream"
MAX_AGE = 0.5


def serve(kind: str, journal: Path, upstream: Upstream, **env: str) -> Server:
    server, args, app = SERVERS[kind]
    return Server(
        server,
        *args,
        app=app,
        journal=journal,
        ready_path="/health/livez/",
        env={
            "LIFESPAN_DI_TEST_CONTAINERS": CONTAINERS,
            "LIFESPAN_DI_TEST_UPSTREAM": upstream.url(CREDENTIALS),
            **env,
        },
    )


def assert_each_process_opened_and_closed_once(server: Server) -> dict[int, list[str]]:
    by_pid = journal_by_pid(server)
    assert len(by_pid) == 1, by_pid
    for events in by_pid.values():
        opened = sorted(e.removeprefix("open ") for e in events if e.startswith("open "))
        assert opened == sorted([*RESOURCES, "upstream", "sidecar"]), events
        assert_closed_once(events)
    return by_pid


def get(server: Server, path: str) -> httpx.Response:
    return httpx.get(server.url(path), timeout=10.0)


@pytest.mark.parametrize("kind", list(SERVERS))
def test_readyz_follows_the_upstream_while_livez_stays_200(kind: str, tmp_path: Path) -> None:
    with (
        Upstream() as upstream,
        serve(
            kind, tmp_path / "journal", upstream, LIFESPAN_DI_TEST_PING_MAX_AGE=str(MAX_AGE)
        ) as server,
    ):
        assert get(server, "/health/readyz/").json() == {"status": "pass"}
        assert get(server, "/health-check/?format=json").status_code == 200
        upstream.stop()
        time.sleep(MAX_AGE + 0.1)  # what the probe answered from is now too old to answer again
        down = get(server, "/health/readyz/")
        live = get(server, "/health/livez/")
        checks = get(server, "/health-check/?format=json")
        legacy = get(server, "/ready/")
        upstream.start()
        time.sleep(MAX_AGE + 0.1)
        back = get(server, "/health/readyz/")
        checks_back = get(server, "/health-check/?format=json")
    assert down.status_code == 503
    assert down.headers["content-type"] == "application/health+json"
    assert down.json() == {
        "status": "fail",
        "output": "not ready: HealthContainer.upstream (ping failed: ConnectError)",
    }
    assert live.status_code == 200
    assert checks.status_code == 500
    assert checks.json()["LifespanResource(resource='HealthContainer.upstream')"] == (
        "Unavailable: HealthContainer.upstream: ping failed: ConnectError"
    )
    assert checks.json()["LifespanResource(resource='HealthContainer.sidecar')"] == "OK"
    assert (legacy.status_code, legacy.json()["reason"]) == (503, down.json()["output"])
    assert back.status_code == 200
    assert checks_back.status_code == 200
    for answer in (down, checks, legacy):
        assert "s3cr3t" not in answer.text
    assert "s3cr3t" not in server.output
    assert "The ping of HealthContainer.upstream fails: ConnectError" in server.output
    assert_each_process_opened_and_closed_once(server)


async def probe_at_once(server: Server, count: int) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=count)
    async with httpx.AsyncClient(limits=limits, timeout=30.0) as client:
        return await asyncio.gather(
            *(client.get(server.url("/health/readyz/")) for _ in range(count))
        )


@pytest.mark.parametrize("kind", list(SERVERS))
def test_a_hundred_probes_one_ping_each_and_a_hanging_ping_abandoned(
    kind: str, tmp_path: Path
) -> None:
    with (
        Upstream() as upstream,
        serve(
            kind,
            tmp_path / "journal",
            upstream,
            LIFESPAN_DI_TEST_PING_MAX_AGE="60",
            LIFESPAN_DI_TEST_HANG_PING="sidecar",
        ) as server,
    ):
        answers = asyncio.run(probe_at_once(server, 100))
        verbose = get(server, "/health/readyz/?verbose").json()
        live = get(server, "/health/livez/")
    assert {answer.status_code for answer in answers} == {503}
    assert {answer.json()["output"] for answer in answers} == {
        "not ready: HealthContainer.sidecar (ping failed: TimeoutError)"
    }
    sidecar = verbose["checks"]["HealthContainer.sidecar"][0]
    assert (sidecar["ping"], sidecar["observedValue"]) == ("fail", SIDECAR_PING_TIMEOUT * 1000)
    assert verbose["checks"]["HealthContainer.upstream"][0]["ping"] == "pass"
    assert live.status_code == 200
    assert "The ping of HealthContainer.sidecar did not answer within 0.5 s" in server.output
    (events,) = assert_each_process_opened_and_closed_once(server).values()
    assert sorted(e for e in events if e.startswith("ping ")) == ["ping sidecar", "ping upstream"]
