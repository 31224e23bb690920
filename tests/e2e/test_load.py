"""A bounded load test on 127.0.0.1: no error, one set of resources per worker, no memory growth.

10,000 requests over 100 concurrent connections to ``uvicorn --workers 2``, after a warm-up, each
through the shared resource (``/state/``). The workers' resident memory is printed before and
after; only a generous bound is asserted (performance itself belongs to ``make bench``).
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.support.journal import RESOURCES, assert_closed_once, journal_by_pid
from tests.support.server import rss_kib
from tests.support.servers import UVICORN_WORKERS

pytestmark = pytest.mark.e2e

CONCURRENCY = 100
WARM_UP = 500
REQUESTS = 10_000
#: Generous, yet a leak of ~10 KiB a request (each worker serves about half) fails it.
RSS_GROWTH_LIMIT_KIB = 50 * 1024


async def get_over(
    connection: tuple[asyncio.StreamReader, asyncio.StreamWriter], path: str
) -> tuple[int, bytes]:
    """One keep-alive HTTP/1.1 GET on an open connection: (status, body).

    Raw sockets rather than an HTTP client library, so the client is not the bottleneck.
    """
    reader, writer = connection
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in header_lines if line)
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    else:  # Transfer-Encoding: chunked
        body = b""
        while size := int(await reader.readuntil(b"\r\n"), 16):
            body += (await reader.readexactly(size + 2))[:-2]
        await reader.readuntil(b"\r\n")
    return int(status_line.split()[1]), body


async def hammer(port: int, path: str, count: int) -> list[dict[str, Any]]:
    """``count`` GETs of ``path`` over ``CONCURRENCY`` connections; every answer must be 200."""
    remaining = iter(range(count))
    answers: list[dict[str, Any]] = []

    async def connection_worker() -> None:
        connection = await asyncio.open_connection("127.0.0.1", port)
        try:
            for _ in remaining:
                status, body = await get_over(connection, path)
                assert status == 200, body
                answers.append(json.loads(body))
        finally:
            connection[1].close()
            await connection[1].wait_closed()

    await asyncio.gather(*(connection_worker() for _ in range(CONCURRENCY)))
    return answers


def test_load_through_the_shared_resource(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # No access log: the harness reads the server's output only once it stops, and 10,000 log
    # lines would fill the pipe and block the server.
    server = UVICORN_WORKERS.serve(tmp_path / "journal", extra_args=("--no-access-log",))
    with server:
        server.wait_for_journal("open reporter", count=UVICORN_WORKERS.workers)
        asyncio.run(hammer(server.port, "/state/", WARM_UP))
        workers = sorted(journal_by_pid(server))
        before = {pid: rss_kib(pid) for pid in workers}
        answers = asyncio.run(hammer(server.port, "/state/", REQUESTS))
        after = {pid: rss_kib(pid) for pid in workers}
    with capsys.disabled():
        print(
            f"\nload: {REQUESTS} requests, {CONCURRENCY} connections, per-worker RSS KiB "
            + ", ".join(f"pid {pid}: {before[pid]} -> {after[pid]}" for pid in workers)
        )
    assert len(answers) == REQUESTS
    served_by = Counter(answer["pid"] for answer in answers)
    assert set(served_by) <= set(workers), served_by
    clients = {(answer["pid"], answer["client_id"]) for answer in answers}
    assert len(clients) == len(served_by), "a worker handed out more than one client"
    for pid in workers:
        assert after[pid] - before[pid] < RSS_GROWTH_LIMIT_KIB, (pid, before, after)
    by_pid = journal_by_pid(server)
    assert len(by_pid) == UVICORN_WORKERS.workers
    for events in by_pid.values():
        assert sorted(e for e in events if e.startswith("open ")) == [
            f"open {name}" for name in RESOURCES
        ]
        assert_closed_once(events)
